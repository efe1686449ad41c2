import { createInterface } from 'node:readline';
import { loadConfig, loadDotEnv } from '../../bot/config';
import type { Understanding } from '../../bot/core/domain';
import { createLogger } from '../../bot/core/log';
import { ModelRuntime } from '../../bot/model/runtime';
import { writeQuery } from '../../bot/model/steps';
import { understandByRules } from '../../bot/understanding/rules';
import { openRegistry, registryPath } from '../../training/registry';

type Reader = (line: string) => Promise<Understanding>;

/**
 * One message per line on stdin -> one JSON query per line on stdout (a blank line too). The
 * active model, when there is one, writes each query and the rules guard it, as in the chat;
 * `--rules` reads with the rules alone.
 */
export async function run(args: string[]): Promise<number> {
  if (args.some((arg) => arg !== '--rules')) return 2;
  const model = args.includes('--rules') ? null : await activeModelReader();
  const read: Reader = model?.read ?? (async (line) => understandByRules(line));
  try {
    const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
    for await (const line of lines) process.stdout.write(JSON.stringify(await read(line)) + '\n');
  } finally {
    await model?.close();
  }
  return 0;
}

/** The active model, loaded once, as a reader; null when there is none or MODEL=off. */
async function activeModelReader(): Promise<{ read: Reader; close: () => Promise<void> } | null> {
  loadDotEnv();
  const config = loadConfig();
  if (!config.model.enabled) return null;
  const log = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel, config.secrets);
  const runtime = await ModelRuntime.start(await openRegistry(registryPath(config.dataDir)), { log, watch: false });
  const model = runtime.current();
  if (!model) {
    await runtime.close();
    return null;
  }
  const limits = { maxNewTokens: config.model.maxNewTokens, timeoutMs: config.model.timeoutMs };
  const read: Reader = async (line) => {
    const rules = understandByRules(line);
    return line.trim() === '' ? rules : (await writeQuery(model.generator, line, rules, limits)).query;
  };
  return { read, close: () => runtime.close() };
}
