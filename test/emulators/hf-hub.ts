/**
 * A local Hugging Face hub on 127.0.0.1, speaking the HTTP the hub speaks to @huggingface/hub
 * and huggingface_hub: model info (`/api/models/{repo}[/revision/{rev}]`), the paginated tree
 * listing (`/api/models/{repo}/tree/{rev}`, `Link: <…>; rel="next"`), `paths-info`, and file
 * resolution (`/{repo}/resolve/{rev}/{path}`, HEAD and GET) with quoted ETags, `X-Repo-Commit`,
 * Range requests (206 + Content-Range, 416), a 302 for LFS files to a CDN path on this server
 * (`X-Linked-Etag` = the sha256, `X-Linked-Size`), and the hub's error codes (`X-Error-Code`:
 * RepoNotFound, RevisionNotFound, EntryNotFound, GatedRepo). Repos are folders on disk, in
 * practice tiny models from the project's factory. A test can cut one download mid-body and
 * reads every request and the bytes served.
 */
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, relative } from 'node:path';
import {
  openSafetensors,
  SHARD_INDEX,
  SINGLE_FILE,
  writeSafetensors,
  type TensorToWrite,
} from '../../training/model/safetensors';
import { createTinyModel, type TinyModelOptions } from '../../training/model/tiny';

/** What git stores as LFS in a typical model repo's .gitattributes. */
const LFS_FILE = /\.(safetensors|bin|onnx|onnx_data|gguf|pt|h5|msgpack)$/;
const LFS_OVER_BYTES = 10_000_000;

export interface HubFile {
  path: string;
  content: Buffer;
  /** Git blob id of what the repo stores: the file itself, or its LFS pointer. */
  oid: string;
  lfs: { oid: string; size: number; pointerSize: number } | null;
  /** What the hub sends as the file's ETag (unquoted): the LFS sha256, else the git blob id. */
  etag: string;
}

export interface HubRepo {
  name: string;
  commit: string;
  gated: boolean;
  files: Map<string, HubFile>;
}

export interface HubRequest {
  method: string;
  /** Path and query as received. */
  url: string;
  range: string | null;
  authorized: boolean;
  status: number;
  /** File bytes sent in the body (0 for API answers). */
  bytes: number;
}

export interface HubEmulator {
  /** Origin without a trailing slash, for `hubUrl` / `HF_ENDPOINT`. */
  url: string;
  requests: HubRequest[];
  /**
   * File bytes sent so far (since the last `clearLog`), or to request URLs containing `urlPart` (a path, an LFS
   * sha256).
   */
  bytesServed(urlPart?: string): number;
  /** Serves the files of `dir` as model repo `name` ("org/name"). */
  addRepo(name: string, dir: string, options?: { gated?: boolean }): Promise<HubRepo>;
  /** The next body of `path` in `repo` longer than `afterBytes` stops after that many bytes (the connection drops). */
  cutNextDownload(repo: string, path: string, afterBytes: number): void;
  clearLog(): void;
  close(): Promise<void>;
}

export interface HubEmulatorOptions {
  /** The one access token the hub accepts; gated repos need it. */
  token?: string;
  /** Tree entries per page; small by default so that pagination is exercised. */
  pageSize?: number;
}

const sha = (algorithm: 'sha1' | 'sha256', ...parts: Array<string | Buffer>) => {
  const hash = createHash(algorithm);
  for (const part of parts) hash.update(part);
  return hash.digest('hex');
};
const gitBlobId = (content: Buffer) => sha('sha1', `blob ${content.length}\0`, content);

function hubFile(path: string, content: Buffer): HubFile {
  if (!LFS_FILE.test(path) && content.length <= LFS_OVER_BYTES) {
    const oid = gitBlobId(content);
    return { path, content, oid, lfs: null, etag: oid };
  }
  const sha256 = sha('sha256', content);
  const pointer = Buffer.from(
    `version https://git-lfs.github.com/spec/v1\noid sha256:${sha256}\nsize ${content.length}\n`,
  );
  return {
    path,
    content,
    oid: gitBlobId(pointer),
    lfs: { oid: sha256, size: content.length, pointerSize: pointer.length },
    etag: sha256,
  };
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)))
    .sort();
}

function parseRange(header: string | undefined, size: number): { start: number; end: number } | 'unsatisfiable' | null {
  const match = header?.match(/^bytes=(\d*)-(\d*)$/);
  if (!match || (match[1] === '' && match[2] === '')) return null;
  const [start, end] =
    match[1] === ''
      ? [Math.max(0, size - Number(match[2])), size - 1]
      : [Number(match[1]), match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1)];
  return start > end || start >= size ? 'unsatisfiable' : { start, end };
}

export async function startHubEmulator(options: HubEmulatorOptions = {}): Promise<HubEmulator> {
  const repos = new Map<string, HubRepo>();
  const requests: HubRequest[] = [];
  const cuts = new Map<string, number>();
  const pageSize = options.pageSize ?? 4;

  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => handle(request, response, Buffer.concat(chunks)));
  });

  function handle(request: IncomingMessage, response: ServerResponse, body: Buffer): void {
    const url = new URL(request.url ?? '/', `http://${request.headers.host}`);
    const authorization = request.headers.authorization;
    const record: HubRequest = {
      method: request.method ?? 'GET',
      url: url.pathname + url.search,
      range: request.headers.range ?? null,
      authorized: authorization !== undefined && authorization === `Bearer ${options.token}`,
      status: 0,
      bytes: 0,
    };
    requests.push(record);
    const json = (status: number, value: unknown, headers: Record<string, string> = {}) => {
      record.status = status;
      const text = JSON.stringify(value);
      response.writeHead(status, {
        'content-type': 'application/json; charset=utf-8',
        'content-length': Buffer.byteLength(text),
        ...headers,
      });
      response.end(request.method === 'HEAD' ? undefined : text);
    };
    const error = (status: number, code: string | null, message: string) =>
      json(status, { error: message }, code ? { 'x-error-code': code } : {});

    if (authorization !== undefined && !record.authorized)
      return error(401, null, 'Invalid credentials in Authorization header');

    if (url.pathname.startsWith('/cdn-lfs/')) {
      const etag = url.pathname.slice('/cdn-lfs/'.length);
      const file = [...repos.values()].flatMap((repo) => [...repo.files.values()]).find((f) => f.lfs?.oid === etag);
      if (!file || !url.searchParams.has('Signature')) return error(403, null, 'Access denied: the link is not signed');
      return serveBytes(request, response, record, file, file.content, {
        etag: `"${etag}"`,
        'content-type': 'application/octet-stream',
      });
    }

    const api = url.pathname.startsWith('/api/models/');
    const rest = decodeURIComponent(url.pathname.slice(api ? '/api/models/'.length : 1));
    const repo = [...repos.values()].find((r) => rest === r.name || rest.startsWith(`${r.name}/`));
    if (!repo) return error(404, 'RepoNotFound', 'Repository not found');
    const [action = '', revision = 'main', ...pathParts] = rest.slice(repo.name.length + 1).split('/');
    if (action !== '' && revision !== 'main' && revision !== 'HEAD' && revision !== repo.commit)
      return error(404, 'RevisionNotFound', `Invalid rev id: ${revision}`);
    const commitHeader = { 'x-repo-commit': repo.commit };

    if (api) {
      if (action === '' || action === 'revision') return json(200, modelInfo(repo));
      if (action === 'tree') return json(200, ...treePage(repo, pathParts.join('/'), url));
      if (action === 'paths-info' && request.method === 'POST') {
        const { paths = [], expand = false } = JSON.parse(body.toString() || '{}') as {
          paths?: string[];
          expand?: boolean;
        };
        return json(
          200,
          paths.flatMap((path) => (repo.files.has(path) ? [treeEntry(repo, repo.files.get(path)!, expand)] : [])),
        );
      }
      return error(404, null, 'Not found');
    }

    if ((action !== 'resolve' && action !== 'raw') || (request.method !== 'GET' && request.method !== 'HEAD'))
      return error(404, null, 'Not found');
    if (repo.gated && !record.authorized) {
      return error(
        401,
        'GatedRepo',
        `Access to model ${repo.name} is restricted. You must have access to it and be authenticated to access it. Please log in.`,
      );
    }
    const file = repo.files.get(pathParts.join('/'));
    if (!file) return error(404, 'EntryNotFound', 'Entry not found');
    if (file.lfs && action === 'resolve') {
      record.status = 302;
      response.writeHead(302, {
        location: `http://${request.headers.host}/cdn-lfs/${file.lfs.oid}?Expires=${Date.now() + 3_600_000}&Signature=emulator`,
        etag: `"${file.oid}"`,
        'x-linked-etag': `"${file.lfs.oid}"`,
        'x-linked-size': String(file.lfs.size),
        ...commitHeader,
        'content-length': 0,
      });
      return void response.end();
    }
    const content = file.lfs ? lfsPointer(file) : file.content;
    serveBytes(request, response, record, file, content, {
      etag: `"${file.oid}"`,
      'content-type': 'text/plain; charset=utf-8',
      ...commitHeader,
    });
  }

  function serveBytes(
    request: IncomingMessage,
    response: ServerResponse,
    record: HubRequest,
    file: HubFile,
    content: Buffer,
    headers: Record<string, string>,
  ): void {
    const range = parseRange(request.headers.range, content.length);
    const common = { ...headers, 'accept-ranges': 'bytes' };
    if (range === 'unsatisfiable') {
      record.status = 416;
      response.writeHead(416, { ...common, 'content-range': `bytes */${content.length}`, 'content-length': 0 });
      return void response.end();
    }
    const [start, end] = range ? [range.start, range.end] : [0, content.length - 1];
    const bytes = content.subarray(start, end + 1);
    record.status = range ? 206 : 200;
    response.writeHead(record.status, {
      ...common,
      'content-length': bytes.length,
      ...(range && { 'content-range': `bytes ${start}-${end}/${content.length}` }),
    });
    if (request.method === 'HEAD') return void response.end();
    const cutAfter = cuts.get(file.etag);
    if (cutAfter !== undefined && bytes.length > cutAfter) {
      cuts.delete(file.etag);
      record.bytes = cutAfter;
      // The connection drops a moment after the last byte, as when a network goes away mid-download;
      // dropping it at once would let the client discard bytes it had received but not yet written.
      response.write(bytes.subarray(0, cutAfter), () => setTimeout(() => response.socket?.destroy(), 100));
      return;
    }
    record.bytes = bytes.length;
    response.end(bytes);
  }

  function modelInfo(repo: HubRepo) {
    const [author] = repo.name.split('/');
    return {
      _id: repo.commit.slice(0, 24),
      id: repo.name,
      modelId: repo.name,
      author,
      sha: repo.commit,
      lastModified: '2026-01-15T10:00:00.000Z',
      createdAt: '2026-01-15T10:00:00.000Z',
      private: false,
      disabled: false,
      gated: repo.gated ? 'auto' : false,
      downloads: 0,
      likes: 0,
      pipeline_tag: 'text-generation',
      library_name: 'transformers',
      tags: ['transformers', 'safetensors', 'llama', 'text-generation'],
      siblings: [...repo.files.keys()].map((rfilename) => ({ rfilename })),
    };
  }

  function treeEntry(repo: HubRepo, file: HubFile, expand: boolean) {
    return {
      type: 'file',
      oid: file.oid,
      size: file.content.length,
      path: file.path,
      ...(file.lfs && { lfs: file.lfs }),
      ...(expand && {
        lastCommit: { id: repo.commit, title: 'Upload model', date: '2026-01-15T10:00:00.000Z' },
        securityFileStatus: { status: 'safe' },
      }),
    };
  }

  /** One page of the listing under `folder`, and the Link header to the next page. */
  function treePage(repo: HubRepo, folder: string, url: URL): [unknown, Record<string, string>] {
    const recursive = url.searchParams.get('recursive') === 'true';
    const expand = url.searchParams.get('expand') === 'true';
    const prefix = folder ? `${folder}/` : '';
    const directories = new Set<string>();
    const entries: unknown[] = [];
    for (const file of repo.files.values()) {
      if (!file.path.startsWith(prefix)) continue;
      const parts = file.path.slice(prefix.length).split('/');
      for (let depth = 1; depth < parts.length && (recursive || depth === 1); depth++) {
        const directory = prefix + parts.slice(0, depth).join('/');
        if (!directories.has(directory))
          entries.push({ type: 'directory', oid: sha('sha1', directory), size: 0, path: directory });
        directories.add(directory);
      }
      if (recursive || parts.length === 1) entries.push(treeEntry(repo, file, expand));
    }
    const offset = Number(url.searchParams.get('cursor') ?? 0);
    const next = new URL(url);
    next.searchParams.set('cursor', String(offset + pageSize));
    const more = offset + pageSize < entries.length;
    return [entries.slice(offset, offset + pageSize), more ? { link: `<${next.href}>; rel="next"` } : {}];
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    bytesServed: (urlPart) =>
      requests.filter((r) => urlPart === undefined || r.url.includes(urlPart)).reduce((sum, r) => sum + r.bytes, 0),
    async addRepo(name, dir, repoOptions = {}) {
      const files = new Map<string, HubFile>();
      for (const path of await filesUnder(dir)) files.set(path, hubFile(path, await readFile(join(dir, path))));
      const commit = sha('sha1', name, ...[...files.values()].map((file) => `${file.path} ${file.oid}\n`));
      const repo: HubRepo = { name, commit, gated: repoOptions.gated ?? false, files };
      repos.set(name, repo);
      return repo;
    },
    cutNextDownload(repoName, path, afterBytes) {
      const file = repos.get(repoName)?.files.get(path);
      if (!file) throw new Error(`no ${path} in ${repoName}`);
      cuts.set(file.etag, afterBytes);
    },
    clearLog: () => void requests.splice(0),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const lfsPointer = (file: HubFile) =>
  Buffer.from(`version https://git-lfs.github.com/spec/v1\noid sha256:${file.lfs!.oid}\nsize ${file.lfs!.size}\n`);

/**
 * A tiny model laid out as a hub repo: the model folder, optionally with its weights in two
 * shards and an index, plus what real repos carry and a pull must skip (README, .gitattributes,
 * a pytorch_model.bin and an ONNX export).
 */
export async function writeTinyHubRepo(
  dir: string,
  options: TinyModelOptions & { sharded?: boolean } = {},
): Promise<string[]> {
  const { sharded, ...modelOptions } = options;
  await createTinyModel(dir, modelOptions);
  if (sharded) await shardWeights(dir);
  await writeFile(join(dir, 'README.md'), '---\nlicense: apache-2.0\n---\n# tiny weather model\n');
  await writeFile(
    join(dir, '.gitattributes'),
    '*.safetensors filter=lfs diff=lfs merge=lfs -text\n*.bin filter=lfs diff=lfs merge=lfs -text\n*.onnx filter=lfs diff=lfs merge=lfs -text\n',
  );
  await writeFile(join(dir, 'pytorch_model.bin'), Buffer.alloc(4096, 7));
  await mkdir(join(dir, 'onnx'), { recursive: true });
  await writeFile(join(dir, 'onnx', 'model.onnx'), Buffer.alloc(2048, 9));
  return filesUnder(dir);
}

async function shardWeights(dir: string): Promise<void> {
  const weights = await openSafetensors(join(dir, SINGLE_FILE));
  const names = weights.names;
  const halves = [names.slice(0, Math.ceil(names.length / 2)), names.slice(Math.ceil(names.length / 2))];
  const weightMap: Record<string, string> = {};
  let totalSize = 0;
  for (const [i, half] of halves.entries()) {
    const shard = `model-0000${i + 1}-of-00002.safetensors`;
    const tensors: Array<[string, TensorToWrite]> = [];
    for (const name of half) {
      const tensor = await weights.read(name);
      tensors.push([name, tensor]);
      totalSize += tensor.data.byteLength;
      weightMap[name] = shard;
    }
    await writeSafetensors(join(dir, shard), tensors, { format: 'pt' });
  }
  await weights.close();
  await rm(join(dir, SINGLE_FILE));
  await writeFile(
    join(dir, SHARD_INDEX),
    JSON.stringify({ metadata: { total_size: totalSize }, weight_map: weightMap }, null, 2),
  );
}
