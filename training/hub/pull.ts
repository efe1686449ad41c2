/**
 * Pulls a base model from the HF hub into the standard HF cache with @huggingface/hub: the
 * library finds the commit (`modelInfo`), lists the files (`listFiles`) and downloads each one
 * (`downloadFile`, whose blob fetches byte ranges). Only what a model folder needs comes down —
 * config, generation config, tokenizer files, safetensors weights — never .bin or .onnx copies.
 * Added here, because the library's own `downloadFileToCacheDir` has none of it: progress over
 * the total bytes, resuming an interrupted download from its `.incomplete` file with a Range
 * request, checking each blob against its ETag (sha256 or git blob id), and clear errors.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { copyFile, mkdir, readFile, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { setTimeout as sleep } from 'node:timers/promises';
import { downloadFile, HUB_URL, HubApiError, listFiles, modelInfo, type ListFileEntry } from '@huggingface/hub';
import { SHARD_INDEX, SINGLE_FILE } from '../model/safetensors';
import {
  cachedSnapshot,
  DEFAULT_BASE_MODEL,
  DEFAULT_REVISION,
  HubError,
  hubCacheDir,
  missingModelFiles,
  offlineByEnvironment,
  repoCacheFolder,
  shardsOf,
  type CacheLookupOptions,
} from './cache';

/** Files of a model folder besides the weights; each is fetched when the repo has it. */
export const MODEL_FOLDER_FILES = [
  'config.json',
  'generation_config.json',
  'tokenizer.json',
  'tokenizer_config.json',
  'special_tokens_map.json',
  'added_tokens.json',
  'vocab.json',
  'merges.txt',
  'tokenizer.model',
  'chat_template.jinja',
] as const;

export interface PullProgress {
  /** The file being downloaded. */
  file: string;
  fileReceived: number;
  fileSize: number;
  /** Bytes of this pull on disk so far (resumed partial files count from the start). */
  receivedBytes: number;
  /** Bytes of the files this pull downloads; cached files are not counted. */
  totalBytes: number;
  filesDone: number;
  fileCount: number;
}

export interface PullOptions extends CacheLookupOptions {
  /** Use the cache only, never the network. Default: `HF_HUB_OFFLINE`. */
  offline?: boolean;
  /** Default: `HF_ENDPOINT`, else https://huggingface.co. */
  hubUrl?: string;
  /** Default: `HF_TOKEN`, else the token file `huggingface-cli login` writes. */
  accessToken?: string;
  onProgress?: (progress: PullProgress) => void;
  /** How often an interrupted download resumes within this call before giving up. Default 3. */
  retries?: number;
}

interface Hub {
  repo: string;
  commit: string;
  hubUrl: string;
  accessToken: string | undefined;
  fetch: typeof fetch;
  folder: string;
  snapshot: string;
  retries: number;
}

/**
 * Downloads what a model folder needs from `repo` at `options.revision` (default main) into
 * the HF cache and returns the snapshot folder (`…/snapshots/<commit>`). Files already cached
 * are not fetched again; offline, the cached snapshot is returned or a HubError lists what is missing.
 */
export async function pullModel(repo: string = DEFAULT_BASE_MODEL, options: PullOptions = {}): Promise<string> {
  const revision = options.revision ?? DEFAULT_REVISION;
  const cacheDir = options.cacheDir ?? hubCacheDir();
  if (options.offline ?? offlineByEnvironment()) return cachedSnapshot(repo, { revision, cacheDir });

  const hubUrl = (options.hubUrl ?? process.env.HF_ENDPOINT ?? HUB_URL).replace(/\/+$/, '');
  const accessToken = options.accessToken ?? (await storedToken());
  const hubFetch = fetchWithHubErrors(repo, revision, hubUrl, accessToken !== undefined);
  const { sha: commit } = await modelInfo({
    name: repo,
    revision,
    additionalFields: ['sha'],
    hubUrl,
    accessToken,
    fetch: hubFetch,
  });

  const listing = new Map<string, ListFileEntry>();
  for await (const entry of listFiles({
    repo,
    revision: commit,
    recursive: true,
    hubUrl,
    accessToken,
    fetch: hubFetch,
  })) {
    if (entry.type === 'file') listing.set(entry.path, entry);
  }
  const folder = repoCacheFolder(repo, cacheDir);
  const hub: Hub = {
    repo,
    commit,
    hubUrl,
    accessToken,
    fetch: hubFetch,
    folder,
    snapshot: join(folder, 'snapshots', commit),
    retries: options.retries ?? 3,
  };

  const index = listing.get(SHARD_INDEX);
  // The index is small and names the shards, so it comes first and on its own.
  if (index) await fetchFiles(hub, [index]);
  const weights = index ? await shardEntries(hub, listing) : [listing.get(SINGLE_FILE)];
  if (weights[0] === undefined) {
    const others = [...listing.keys()].filter((path) => /\.(bin|pt|pth|onnx|gguf|h5|msgpack)$/.test(path));
    throw new HubError(
      'no-weights',
      `${repo}@${commit} has no safetensors weights (${SINGLE_FILE} or ${SHARD_INDEX})` +
        `${others.length > 0 ? `, only ${others.join(', ')}` : ''}; only safetensors models are supported`,
    );
  }
  const files = MODEL_FOLDER_FILES.flatMap((path) => listing.get(path) ?? []);
  await fetchFiles(hub, [...files, ...(weights as ListFileEntry[])], options.onProgress);

  const missing = await missingModelFiles(hub.snapshot);
  if (missing.length > 0)
    throw new HubError(
      'incomplete-folder',
      `${repo}@${commit} is not a complete model folder: the repo lacks ${missing.join(', ')}`,
      missing,
    );
  if (revision !== commit) {
    // Written last, so an interrupted pull leaves the ref on the last complete snapshot.
    const ref = join(folder, 'refs', revision);
    await mkdir(dirname(ref), { recursive: true });
    await writeFile(ref, commit);
  }
  return hub.snapshot;
}

async function shardEntries(hub: Hub, listing: Map<string, ListFileEntry>): Promise<ListFileEntry[]> {
  const shards = await shardsOf(join(hub.snapshot, SHARD_INDEX));
  const absent = shards.filter((shard) => !listing.has(shard));
  if (shards.length === 0 || absent.length > 0) {
    throw new HubError(
      'no-weights',
      `${hub.repo}@${hub.commit}: ${SHARD_INDEX} names ${shards.length === 0 ? 'no shards' : `shards the repo lacks: ${absent.join(', ')}`}`,
    );
  }
  return shards.map((shard) => listing.get(shard)!);
}

/** The hub's ETag of a file, which names its blob: the sha256 of an LFS file, the git blob id of any other. */
const etagOf = (entry: ListFileEntry) => entry.lfs?.oid ?? entry.oid!;
const sizeOf = (entry: ListFileEntry) => entry.lfs?.size ?? entry.size;
const exists = (path: string) =>
  stat(path).then(
    () => true,
    () => false,
  );
const partialSize = (path: string) =>
  stat(path).then(
    (s) => s.size,
    () => 0,
  );

/** Links each file into the snapshot, downloading the blobs the cache lacks. */
async function fetchFiles(
  hub: Hub,
  entries: ListFileEntry[],
  onProgress?: (progress: PullProgress) => void,
): Promise<void> {
  const blobOf = (entry: ListFileEntry) => join(hub.folder, 'blobs', etagOf(entry));
  const toLink: ListFileEntry[] = [];
  for (const entry of entries) if (!(await exists(join(hub.snapshot, entry.path)))) toLink.push(entry);
  const toDownload: ListFileEntry[] = [];
  for (const entry of toLink) if (!(await exists(blobOf(entry)))) toDownload.push(entry);

  const totalBytes = toDownload.reduce((sum, entry) => sum + sizeOf(entry), 0);
  let doneBytes = 0;
  let filesDone = 0;
  for (const entry of toDownload) {
    const report = (fileReceived: number) =>
      onProgress?.({
        file: entry.path,
        fileReceived,
        fileSize: sizeOf(entry),
        receivedBytes: doneBytes + fileReceived,
        totalBytes,
        filesDone,
        fileCount: toDownload.length,
      });
    await downloadBlob(hub, entry, blobOf(entry), report);
    filesDone++;
    report(sizeOf(entry));
    doneBytes += sizeOf(entry);
  }
  for (const entry of toLink) await linkIntoSnapshot(blobOf(entry), join(hub.snapshot, entry.path));
}

/**
 * Downloads one file to `<blob>.incomplete`, resuming from what an earlier attempt left there
 * with a Range request (the library's blob `slice`), then checks it and renames it into place.
 */
async function downloadBlob(
  hub: Hub,
  entry: ListFileEntry,
  blob: string,
  report: (received: number) => void,
): Promise<void> {
  const size = sizeOf(entry);
  const incomplete = `${blob}.incomplete`;
  await mkdir(dirname(blob), { recursive: true });
  const remote = await downloadFile({
    repo: hub.repo,
    path: entry.path,
    revision: hub.commit,
    hubUrl: hub.hubUrl,
    accessToken: hub.accessToken,
    fetch: hub.fetch,
  });
  if (!remote)
    throw new HubError(
      'corrupt-download',
      `${hub.repo}@${hub.commit} lists ${entry.path} but the hub has no such file`,
    );

  for (let attempt = 0; ; attempt++) {
    let offset = await partialSize(incomplete);
    if (offset > size) {
      await rm(incomplete);
      offset = 0;
    }
    report(offset);
    if (offset === size) break;
    let received = offset;
    const count = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        received += chunk.length;
        report(received);
        done(null, chunk);
      },
    });
    try {
      const body = (offset > 0 ? remote.slice(offset) : remote).stream() as unknown as WebReadableStream<Uint8Array>;
      await pipeline(Readable.fromWeb(body), count, createWriteStream(incomplete, { flags: 'a' }));
      break;
    } catch (reason) {
      const error = reason instanceof Error ? reason : new Error(String(reason));
      if (attempt >= hub.retries || !isTransient(error)) {
        throw isTransient(error)
          ? new HubError(
              'unreachable',
              `downloading ${entry.path} from ${hub.hubUrl} failed: ${describe(error)}; run the pull again to resume`,
            )
          : error;
      }
      await sleep(200 * (attempt + 1));
    }
  }
  await checkBlob(incomplete, etagOf(entry), size, entry.path);
  await rename(incomplete, blob);
}

/** A dropped connection or a server hiccup is worth resuming; a refusal or a disk error is not. */
function isTransient(error: Error): boolean {
  if (error instanceof HubError) return error.code === 'unreachable';
  if (error instanceof HubApiError) return error.statusCode >= 500 || error.statusCode === 429;
  return (error as NodeJS.ErrnoException).path === undefined;
}

function describe(error: Error): string {
  // Not `instanceof`: undici's causes may come from another realm. An AggregateError (IPv4 and IPv6 both refused) has
  // only a code.
  const cause = error.cause as { message?: string; code?: string } | undefined;
  const reason = cause?.message || cause?.code;
  return reason ? `${error.message} (${reason})` : error.message;
}

/** The blob must have the listed size and hash to its ETag: sha256 for LFS files, git's blob sha1 for the rest. */
async function checkBlob(path: string, etag: string, size: number, file: string): Promise<void> {
  const actualSize = await partialSize(path);
  const hash = /^[0-9a-f]{64}$/.test(etag)
    ? createHash('sha256')
    : /^[0-9a-f]{40}$/.test(etag)
      ? createHash('sha1').update(`blob ${size}\0`)
      : null;
  let digest: string | null = null;
  if (hash && actualSize === size) {
    for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
    digest = hash.digest('hex');
  }
  if (actualSize !== size || (digest !== null && digest !== etag)) {
    await rm(path, { force: true });
    const what =
      actualSize !== size
        ? `${actualSize} bytes instead of ${size}`
        : `content hashing to ${digest} instead of ${etag}`;
    throw new HubError('corrupt-download', `downloaded ${file} has ${what}; it was deleted, run the pull again`);
  }
}

/** A relative symlink from the snapshot to the blob, as huggingface_hub makes; a copy where links are not allowed. */
async function linkIntoSnapshot(blob: string, pointer: string): Promise<void> {
  await mkdir(dirname(pointer), { recursive: true });
  await rm(pointer, { force: true });
  try {
    await symlink(relative(dirname(pointer), blob), pointer);
  } catch {
    await copyFile(blob, pointer);
  }
}

/** `HF_TOKEN`, else the file `huggingface-cli login` writes (`HF_TOKEN_PATH`, default `$HF_HOME/token`). */
async function storedToken(): Promise<string | undefined> {
  const fromEnvironment = process.env.HF_TOKEN ?? process.env.HUGGING_FACE_HUB_TOKEN;
  if (fromEnvironment?.trim()) return fromEnvironment.trim();
  const home = process.env.HF_HOME ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'huggingface');
  const token = await readFile(process.env.HF_TOKEN_PATH ?? join(home, 'token'), 'utf8').catch(() => '');
  return token.trim() || undefined;
}

/**
 * The fetch handed to the library: turns a network failure and the hub's error codes
 * (`X-Error-Code`, which the library's own errors drop) into HubErrors that say what to do.
 */
function fetchWithHubErrors(repo: string, revision: string, hubUrl: string, withToken: boolean): typeof fetch {
  return async (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    let response: Response;
    try {
      response = await fetch(input, init);
    } catch (error) {
      throw new HubError(
        'unreachable',
        `could not reach ${url.origin}: ${describe(error as Error)} — check the network or set HF_ENDPOINT`,
      );
    }
    const page = `${hubUrl}/${repo}`;
    switch (response.headers.get('x-error-code')) {
      case 'RepoNotFound':
        throw new HubError(
          'repo-not-found',
          `model repo ${repo} was not found on ${hubUrl}${withToken ? '' : ' (if it is private, set HF_TOKEN to a token that can read it)'}`,
        );
      case 'RevisionNotFound':
        throw new HubError('revision-not-found', `${repo} has no revision "${revision}" on ${hubUrl}`);
      case 'GatedRepo':
        throw new HubError(
          'gated',
          withToken
            ? `${repo} is gated and the token in HF_TOKEN has no access to it: request access at ${page}`
            : `${repo} is gated: accept its conditions at ${page}, then set HF_TOKEN to an access token`,
        );
    }
    if (response.status === 401) {
      throw new HubError(
        'unauthorized',
        withToken
          ? `the hub refused the access token (HF_TOKEN) for ${repo}`
          : `the hub wants an access token for ${repo}: set HF_TOKEN`,
      );
    }
    return response;
  };
}
