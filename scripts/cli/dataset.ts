import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { loadConfig, loadDotEnv } from '../../bot/config';
import { openStore } from '../../bot/store/lowdb-store';
import { EXPORT_FORMATS, toJsonl, type ExportFormat, type ExportSplit } from '../../training/dataset/jsonl';
import { prepareDataset } from '../../training/dataset/prepare';
import { datasetStats, formatStats } from '../../training/dataset/stats';
import { SHIPPED_SEED_DIR } from '../../training/dataset/seed';

export const USAGE = `usage: npm run --silent cli -- dataset <command>
  export --format hf|openai [--out file] [--split train|validation|all] [--seed-dir dir]
                 the prepared dataset as JSONL (stdout without --out; split default train)
  stats [--seed-dir dir]
                 counts by moderation status, aspect, when and source
`;

const SPLITS: readonly ExportSplit[] = ['train', 'validation', 'all'];

export interface DatasetIo {
  env: Record<string, string | undefined>;
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
}

/** `--name value` options; null when an option is unknown or has no value. */
function parseOptions(args: string[], known: readonly string[]): Record<string, string> | null {
  const options: Record<string, string> = {};
  for (let i = 0; i < args.length; i += 2) {
    const name = args[i].replace(/^--/, '');
    if (!args[i].startsWith('--') || !known.includes(name) || args[i + 1] === undefined) return null;
    options[name] = args[i + 1];
  }
  return options;
}

/** The dataset command with its environment and output passed in; `run` gives it the process's. */
export async function datasetCommand([command, ...args]: string[], io: DatasetIo): Promise<number> {
  const options = parseOptions(args, command === 'export' ? ['format', 'out', 'split', 'seed-dir'] : ['seed-dir']);
  const format = options?.format as ExportFormat | undefined;
  const split = (options?.split ?? 'train') as ExportSplit;
  const valid =
    options !== null &&
    (command === 'stats' ||
      (command === 'export' && EXPORT_FORMATS.includes(format as ExportFormat) && SPLITS.includes(split)));
  if (!valid || options === null) {
    io.stderr.write(USAGE);
    return 2;
  }
  const config = loadConfig(io.env);
  const store = await openStore({
    dir: join(config.dataDir, 'store'),
    salt: config.storeSalt ?? undefined,
    readOnly: true,
  });
  const seedDir = options['seed-dir'] ?? SHIPPED_SEED_DIR;
  try {
    if (command === 'stats') {
      io.stdout.write(formatStats(await datasetStats({ store, seedDir })));
      return 0;
    }
    const dataset = await prepareDataset({ store, seedDir });
    const examples = split === 'all' ? [...dataset.train, ...dataset.validation] : dataset[split];
    const text = toJsonl(examples, format as ExportFormat);
    if (options.out) {
      await mkdir(dirname(options.out), { recursive: true });
      await writeFile(options.out, text);
    } else {
      io.stdout.write(text);
    }
    io.stderr.write(
      `${examples.length} examples (${split}, ${format}) ${options.out ? `written to ${options.out}` : 'written'}; dataset sha256 ${dataset.manifest.sha256}\n`,
    );
    return 0;
  } finally {
    await store.close();
  }
}

export async function run(args: string[]): Promise<number> {
  loadDotEnv();
  return datasetCommand(args, { env: process.env, stdout: process.stdout, stderr: process.stderr });
}
