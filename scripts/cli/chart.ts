import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { createApp } from '../../bot/app';
import { loadConfig, loadDotEnv } from '../../bot/config';
import { createLogger } from '../../bot/core/log';

const USAGE = 'usage: chart "<place>" [--days 7] --out chart.png';

/** `chart "<place>" [--days n] --out <file.png>`: /chart, its picture written to a file; nothing captured. */
export async function run(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: { days: { type: 'string' }, out: { type: 'string' } },
    });
  } catch (error) {
    process.stderr.write(`chart: ${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const place = parsed.positionals.join(' ').trim();
  const { days, out } = parsed.values;
  if (!place || !out) {
    process.stderr.write(`chart: ${!place ? 'a place' : '--out'} is required\n${USAGE}\n`);
    return 2;
  }
  if (days !== undefined && !/^\d+$/.test(days)) {
    process.stderr.write(`chart: --days must be a whole number (got "${days}")\n${USAGE}\n`);
    return 2;
  }
  loadDotEnv();
  const loaded = loadConfig();
  // A chart needs no model.
  const config = { ...loaded, model: { ...loaded.model, enabled: false } };
  const app = await createApp(config, createLogger('warn', config.secrets), { readOnly: true });
  try {
    const reply = await app.assistant.handle({
      platform: 'cli',
      channelId: 'cli',
      author: { id: 'cli', roles: [] },
      text: `/chart ${place}${days === undefined ? '' : ` ${days}`}`,
    });
    if (!reply.image) {
      process.stderr.write(`${reply.text}\n`);
      return 1;
    }
    await writeFile(out, reply.image.png);
    process.stdout.write(`${out}: ${reply.image.alt}\n`);
    return 0;
  } finally {
    await app.close();
  }
}
