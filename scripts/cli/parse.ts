import { createInterface } from 'node:readline';
import { createApp } from '../../bot/app';
import { loadConfig, loadDotEnv } from '../../bot/config';
import { isUnderstanding, type Understanding } from '../../bot/core/domain';
import { createLogger } from '../../bot/core/log';
import { ModelRuntime } from '../../bot/model/runtime';
import { writeQuery } from '../../bot/model/steps';
import { understandByRules } from '../../bot/understanding/rules';
import { openRegistry, registryPath } from '../../training/registry';

type Reader = (line: string) => Promise<Understanding | null>;

interface OpenReader {
  read: Reader;
  close(): Promise<void>;
}

const READERS: Record<string, () => Promise<OpenReader>> = {
  '--rules': async () => ({ read: async (line) => understandByRules(line), close: async () => undefined }),
  '--model': activeModelReader,
};

/**
 * One message per line on stdin -> one JSON query per line on stdout (a blank line too). By default as the chat
 * reads it: the rules with everything moderators taught, and the active model's query as they let it through.
 * `--rules` reads with the rules alone; `--model` prints the active model's own reading, unguarded (null where it
 * wrote no valid query).
 */
export async function run(args: string[]): Promise<number> {
  if (args.length > 1 || (args[0] !== undefined && !Object.hasOwn(READERS, args[0]))) return 2;
  const reader = await (args[0] ? READERS[args[0]] : chatReader)();
  try {
    const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
    for await (const line of lines) process.stdout.write(JSON.stringify(await reader.read(line)) + '\n');
  } finally {
    await reader.close();
  }
  return 0;
}

function config() {
  loadDotEnv();
  const loaded = loadConfig();
  return { config: loaded, log: createLogger(loaded.logLevel === 'info' ? 'warn' : loaded.logLevel, loaded.secrets) };
}

/** The chat's own reading, on the data folder read-only (the bot may be running on it). */
async function chatReader(): Promise<OpenReader> {
  const { config: loaded, log } = config();
  const app = await createApp(loaded, log, { readOnly: true });
  return { read: (line) => app.assistant.read(line), close: () => app.close() };
}

/** The active model's own reading, before any guard. */
async function activeModelReader(): Promise<OpenReader> {
  const { config: loaded, log } = config();
  if (!loaded.model.enabled) throw new Error('MODEL is off: there is no model to read with');
  const runtime = await ModelRuntime.start(await openRegistry(registryPath(loaded.dataDir)), {
    log,
    watch: false,
    dtype: loaded.model.dtype,
  });
  const model = runtime.current();
  if (!model) {
    await runtime.close();
    throw new Error('no model version is active: see `npm run --silent cli -- model list`');
  }
  const limits = { maxNewTokens: loaded.model.maxNewTokens, timeoutMs: loaded.model.timeoutMs };
  const read: Reader = async (line) => {
    const { generation } = await writeQuery(model.generator, line, understandByRules(line), limits);
    try {
      const written: unknown = JSON.parse(generation?.text ?? '');
      return isUnderstanding(written) ? written : null;
    } catch {
      return null;
    }
  };
  return { read, close: () => runtime.close() };
}
