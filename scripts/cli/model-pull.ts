import { parseArgs } from 'node:util';
import { DEFAULT_BASE_MODEL, pullModel, pullProgressBar } from '../../training/hub';

/**
 * `model pull [repo] [--revision main] [--offline]`: fetches a base model into the HF cache
 * (`HF_HOME`, `HF_HUB_CACHE`; hub at `HF_ENDPOINT`, token from `HF_TOKEN`) with a progress bar
 * on stderr, and prints the snapshot folder on stdout.
 */
export async function run(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: { revision: { type: 'string' }, offline: { type: 'boolean' } },
    });
  } catch (error) {
    process.stderr.write(`model pull: ${(error as Error).message}\n`);
    return 2;
  }
  if (parsed.positionals.length > 1) return 2;
  const repo = parsed.positionals[0] ?? DEFAULT_BASE_MODEL;
  try {
    const snapshot = await pullModel(repo, {
      revision: parsed.values.revision,
      offline: parsed.values.offline || undefined,
      onProgress: pullProgressBar(process.stderr),
    });
    process.stdout.write(`${snapshot}\n`);
    return 0;
  } catch (error) {
    process.stderr.write(`model pull: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}
