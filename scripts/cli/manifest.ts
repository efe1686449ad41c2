import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { slackManifest } from '../../bot/adapters/slack/app-manifest';

const USAGE = 'usage: manifest slack [--out file]';

/** `manifest slack [--out file]`: the Slack app manifest, its slash commands from the registry, to stdout or a file. */
export async function run(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args, allowPositionals: true, options: { out: { type: 'string' } } });
  } catch (error) {
    process.stderr.write(`manifest: ${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const { positionals, values } = parsed;
  if (positionals.length !== 1 || positionals[0] !== 'slack') {
    process.stderr.write(`manifest: name the platform: slack\n${USAGE}\n`);
    return 2;
  }
  const manifest = slackManifest();
  if (values.out) await writeFile(values.out, manifest);
  else process.stdout.write(manifest);
  return 0;
}
