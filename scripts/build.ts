/**
 * `npm run build`: the bot as plain JavaScript, for `npm start` to run on Node alone. tsx compiles each module as it
 * loads, in loader threads that stay resident: about 170 MB more peak memory in the serving process, and a slower
 * start. One ESM file per entry; packages stay in node_modules.
 *
 * The training job's bundle lies beside the bot's, as its source does (TRAINING_JOB_ENTRY); other files are found
 * from the project's folder (PROJECT_DIR).
 */
import { build } from 'esbuild';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PROJECT_DIR } from '../bot/core/project';

/** The bot and the training job it forks. */
export const BOT_ENTRIES = ['bot/main.ts', 'bot/training-job.ts'];

/**
 * Bundles `entries` (paths from the project's root) into dist/, each at its source's path with .js, and returns those
 * paths. Each file is replaced whole, so a bot starting while another build runs reads one build or the other.
 */
export async function bundle(entries: readonly string[]): Promise<string[]> {
  const { outputFiles } = await build({
    absWorkingDir: PROJECT_DIR,
    entryPoints: [...entries],
    outbase: '.',
    outdir: 'dist',
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    packages: 'external',
    sourcemap: true,
    logLevel: 'warning',
    write: false,
  });
  for (const { path, contents } of outputFiles) {
    await mkdir(dirname(path), { recursive: true });
    const staged = `${path}.${process.pid}.tmp`;
    await writeFile(staged, contents);
    await rename(staged, path);
  }
  return entries.map((entry) => join(PROJECT_DIR, 'dist', entry.replace(/\.ts$/, '.js')));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await bundle(BOT_ENTRIES);
