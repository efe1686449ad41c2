/**
 * The standard HF hub cache, as huggingface_hub and @huggingface/hub lay it out:
 * `<cache>/models--{org}--{name}/blobs/<etag>` holds each file once, named by its ETag;
 * `snapshots/<commit>/<path>` links to the blobs of one commit; `refs/<revision>` names the
 * commit a branch or tag pointed to when last pulled. Everything here works offline.
 */
import { readFile, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { getHFHubCachePath, getRepoFolderName } from '@huggingface/hub';
import { SHARD_INDEX, SINGLE_FILE } from '../model/safetensors';

export const DEFAULT_BASE_MODEL = 'HuggingFaceTB/SmolLM2-135M-Instruct';
export const DEFAULT_REVISION = 'main';

const COMMIT_HASH = /^[0-9a-f]{40}$/;
const REPO_ID = /^(?:[\w.-]+\/)?[\w.-]+$/;

/** Why a pull or a lookup failed; `code` says which way, `message` says what to do about it. */
export type HubErrorCode =
  | 'unreachable'
  | 'repo-not-found'
  | 'revision-not-found'
  | 'gated'
  | 'unauthorized'
  | 'not-cached'
  | 'incomplete-folder'
  | 'no-weights'
  | 'corrupt-download';

export class HubError extends Error {
  override name = 'HubError';
  constructor(
    readonly code: HubErrorCode,
    message: string,
    /** Files a model folder or cached snapshot lacks (for not-cached and incomplete-folder). */
    readonly missing: string[] = [],
  ) {
    super(message);
  }
}

/** `HF_HUB_CACHE`, else `$HF_HOME/hub`, else `~/.cache/huggingface/hub` (read when called). */
export function hubCacheDir(): string {
  return getHFHubCachePath();
}

/** Offline mode as huggingface_hub reads `HF_HUB_OFFLINE`. */
export function offlineByEnvironment(): boolean {
  return ['1', 'true', 'yes', 'on'].includes((process.env.HF_HUB_OFFLINE ?? '').trim().toLowerCase());
}

export function isRepoId(value: string): boolean {
  return REPO_ID.test(value) && !value.startsWith('.') && !value.includes('..');
}

export function isCommitHash(revision: string): boolean {
  return COMMIT_HASH.test(revision);
}

/** `<cache>/models--{org}--{name}` */
export function repoCacheFolder(repo: string, cacheDir = hubCacheDir()): string {
  return join(cacheDir, getRepoFolderName({ type: 'model', name: repo }));
}

/** The command that fills the cache for `repo`, quoted in every "not cached" message. */
export function pullCommand(repo: string, revision = DEFAULT_REVISION): string {
  return `npm run cli -- model pull ${repo}${revision === DEFAULT_REVISION ? '' : ` --revision ${revision}`}`;
}

const exists = (path: string) =>
  stat(path).then(
    () => true,
    () => false,
  );

/**
 * What `dir` lacks to be an HF model folder the project can train and serve: config.json,
 * the tokenizer (tokenizer.json + tokenizer_config.json, which transformers.js needs) and the
 * safetensors weights — `model.safetensors`, or the index and every shard it names.
 */
export async function missingModelFiles(dir: string): Promise<string[]> {
  const missing: string[] = [];
  for (const file of ['config.json', 'tokenizer.json', 'tokenizer_config.json']) {
    if (!(await exists(join(dir, file)))) missing.push(file);
  }
  if (await exists(join(dir, SHARD_INDEX))) {
    for (const shard of await shardsOf(join(dir, SHARD_INDEX))) {
      if (!(await exists(join(dir, shard)))) missing.push(shard);
    }
  } else if (!(await exists(join(dir, SINGLE_FILE)))) {
    missing.push(`${SINGLE_FILE} (or ${SHARD_INDEX} and its shards)`);
  }
  return missing;
}

/** The shard files a `model.safetensors.index.json` maps its tensors to, in first-use order. */
export async function shardsOf(indexPath: string): Promise<string[]> {
  const index = JSON.parse(await readFile(indexPath, 'utf8')) as { weight_map?: Record<string, string> };
  return [...new Set(Object.values(index.weight_map ?? {}))];
}

/** The commit `revision` points to in the cache (itself when it is a commit hash), or null. */
export async function cachedCommit(
  repo: string,
  revision = DEFAULT_REVISION,
  cacheDir = hubCacheDir(),
): Promise<string | null> {
  if (isCommitHash(revision)) return revision;
  const ref = await readFile(join(repoCacheFolder(repo, cacheDir), 'refs', revision), 'utf8').catch(() => null);
  return ref === null ? null : ref.trim();
}

export interface CacheLookupOptions {
  revision?: string;
  /** Default: {@link hubCacheDir}. */
  cacheDir?: string;
}

/**
 * The cached snapshot folder of `repo` at `revision`, checked to be a complete model folder
 * without touching the network; a HubError listing the missing files (and the pull command) otherwise.
 */
export async function cachedSnapshot(repo: string, options: CacheLookupOptions = {}): Promise<string> {
  const revision = options.revision ?? DEFAULT_REVISION;
  const cacheDir = options.cacheDir ?? hubCacheDir();
  const commit = await cachedCommit(repo, revision, cacheDir);
  const snapshot = join(repoCacheFolder(repo, cacheDir), 'snapshots', commit ?? revision);
  const missing = await missingModelFiles(snapshot);
  if (missing.length > 0) {
    const what =
      commit === null
        ? `nothing of ${repo}@${revision} is cached (needed: ${missing.join(', ')})`
        : `the snapshot ${snapshot} lacks ${missing.join(', ')}`;
    throw new HubError(
      'not-cached',
      `${repo} is not fully in the HF cache (${cacheDir}) and the hub may not be used (offline): ${what}. ` +
        `Fetch it with: ${pullCommand(repo, revision)}`,
      missing,
    );
  }
  return snapshot;
}

/**
 * What `--base <hf-model-folder|hub-repo>` names, as a model folder on disk. A path to an
 * existing folder is used as it is (it must hold a whole model); otherwise a repo id is looked
 * up in the HF cache, offline. Errors name the missing files.
 */
export async function resolveModel(repoOrPath: string, options: CacheLookupOptions = {}): Promise<string> {
  const path = resolve(repoOrPath.startsWith('~/') ? join(homedir(), repoOrPath.slice(2)) : repoOrPath);
  const folder = await stat(path).then(
    (s) => s.isDirectory(),
    () => null,
  );
  if (folder === false)
    throw new HubError('incomplete-folder', `${path} is a file; --base takes a model folder or a hub repo id`);
  if (folder) {
    const missing = await missingModelFiles(path);
    if (missing.length > 0)
      throw new HubError(
        'incomplete-folder',
        `${path} is not a complete HF model folder: it lacks ${missing.join(', ')}`,
        missing,
      );
    return path;
  }
  if (isAbsolute(repoOrPath) || repoOrPath.startsWith('.') || repoOrPath.startsWith('~') || !isRepoId(repoOrPath)) {
    throw new HubError('incomplete-folder', `no model folder at ${path} (and "${repoOrPath}" is not a hub repo id)`);
  }
  return cachedSnapshot(repoOrPath, options);
}
