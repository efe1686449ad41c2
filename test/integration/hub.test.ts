import { createServer } from 'node:net';
import { lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, stat, writeFile } from 'node:fs/promises';
import { PassThrough } from 'node:stream';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { downloadFileToCacheDir } from '@huggingface/hub';
import { jest } from '@jest/globals';
import { AutoTokenizer, env } from '@huggingface/transformers';
import { run as modelPull } from '../../scripts/cli/model-pull';
import {
  cachedSnapshot,
  HubError,
  missingModelFiles,
  pullModel,
  pullProgressBar,
  resolveModel,
  type PullProgress,
} from '../../training/hub';
import { readLlamaConfig } from '../../training/model/hf-config';
import { openSafetensors } from '../../training/model/safetensors';
import { startHubEmulator, writeTinyHubRepo, type HubEmulator, type HubRepo } from '../emulators/hf-hub';

env.allowRemoteModels = false;

const TOKEN = 'hf_emulatorGatedAccessTokenXYZ';
const HUB_ENV = [
  'HF_HOME',
  'HF_HUB_CACHE',
  'HUGGINGFACE_HUB_CACHE',
  'HF_ENDPOINT',
  'HF_TOKEN',
  'HUGGING_FACE_HUB_TOKEN',
  'HF_TOKEN_PATH',
  'HF_HUB_OFFLINE',
];
const MODEL_FOLDER = [
  'config.json',
  'generation_config.json',
  'model.safetensors',
  'special_tokens_map.json',
  'tokenizer.json',
  'tokenizer_config.json',
];

let root: string;
let hub: HubEmulator;
let plain: HubRepo;
let sharded: HubRepo;
let gated: HubRepo;
let plainDir: string;
const savedEnv = Object.fromEntries(HUB_ENV.map((name) => [name, process.env[name]]));

/** A fresh, empty HF_HOME with no hub settings from the machine running the tests. */
async function freshHome(): Promise<string> {
  for (const name of HUB_ENV) delete process.env[name];
  process.env.HF_HOME = await mkdtemp(join(root, 'hf-home-'));
  return process.env.HF_HOME;
}
const cacheOf = (home: string, repo: HubRepo) => join(home, 'hub', `models--${repo.name.replace('/', '--')}`);
const contentRequests = (path: string) =>
  hub.requests.filter(
    (r) =>
      r.method === 'GET' &&
      r.bytes > 1 &&
      (r.url.endsWith(`/${path}`) || r.url.includes(`/cdn-lfs/${fileOf(plain, path).etag}`)),
  );
const fileOf = (repo: HubRepo, path: string) => repo.files.get(path)!;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'hub-'));
  hub = await startHubEmulator({ token: TOKEN });
  plainDir = join(root, 'repos', 'plain');
  await writeTinyHubRepo(plainDir, { seed: 5 });
  await writeTinyHubRepo(join(root, 'repos', 'sharded'), { seed: 5, sharded: true });
  plain = await hub.addRepo('weatherbot/tiny-llama', plainDir);
  sharded = await hub.addRepo('weatherbot/tiny-llama-sharded', join(root, 'repos', 'sharded'));
  gated = await hub.addRepo('weatherbot/tiny-llama-gated', plainDir, { gated: true });
});
beforeEach(() => hub.clearLog());
afterAll(async () => {
  for (const [name, value] of Object.entries(savedEnv)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  await hub.close();
  await rm(root, { recursive: true, force: true });
});

describe('pulling a model through @huggingface/hub', () => {
  test('lands the model folder files, and only those, in the standard HF cache layout', async () => {
    const home = await freshHome();
    const snapshot = await pullModel(plain.name, { hubUrl: hub.url });

    const folder = cacheOf(home, plain);
    expect(snapshot).toBe(join(folder, 'snapshots', plain.commit));
    expect(await readFile(join(folder, 'refs', 'main'), 'utf8')).toBe(plain.commit);
    expect((await readdir(snapshot)).sort()).toEqual(MODEL_FOLDER);
    for (const path of MODEL_FOLDER) {
      const file = fileOf(plain, path);
      expect((await lstat(join(snapshot, path))).isSymbolicLink()).toBe(true);
      expect(await readlink(join(snapshot, path))).toBe(join('..', '..', 'blobs', file.etag));
      expect((await readFile(join(snapshot, path))).equals(file.content)).toBe(true);
    }
    expect((await readdir(join(folder, 'blobs'))).sort()).toEqual(
      MODEL_FOLDER.map((path) => fileOf(plain, path).etag).sort(),
    );
    // Blobs are named by the ETag the hub sends: X-Linked-Etag (sha256) for LFS files, ETag (git blob id) for the rest.
    const head = (path: string) =>
      fetch(`${hub.url}/${plain.name}/resolve/main/${path}`, { method: 'HEAD', redirect: 'manual' });
    const weights = await head('model.safetensors');
    expect(weights.status).toBe(302);
    expect(weights.headers.get('x-linked-etag')).toBe(`"${fileOf(plain, 'model.safetensors').etag}"`);
    expect(weights.headers.get('x-linked-size')).toBe(String(fileOf(plain, 'model.safetensors').content.length));
    expect(weights.headers.get('x-repo-commit')).toBe(plain.commit);
    expect((await head('config.json')).headers.get('etag')).toBe(`"${fileOf(plain, 'config.json').etag}"`);

    const fetched = hub.requests.filter((r) => r.bytes > 1).map((r) => r.url);
    for (const skipped of ['pytorch_model.bin', 'onnx/model.onnx', 'README.md', '.gitattributes']) {
      expect(fetched.some((url) => url.endsWith(skipped) || url.includes(fileOf(plain, skipped).etag))).toBe(false);
    }
    expect(hub.requests.filter((r) => r.url.includes('/tree/')).length).toBeGreaterThan(1); // the listing came in pages
  });

  test('the cache layout is the library’s own: downloadFileToCacheDir finds the same blob names', async () => {
    const libraryCache = await mkdtemp(join(root, 'library-cache-'));
    const debug = jest.spyOn(console, 'debug').mockImplementation(() => undefined);
    try {
      for (const path of ['config.json', 'model.safetensors']) {
        const pointer = await downloadFileToCacheDir({
          repo: plain.name,
          path,
          revision: plain.commit,
          hubUrl: hub.url,
          cacheDir: libraryCache,
        });
        expect(pointer).toBe(join(libraryCache, 'models--weatherbot--tiny-llama', 'snapshots', plain.commit, path));
        expect(await readlink(pointer)).toBe(join('..', '..', 'blobs', fileOf(plain, path).etag));
      }
    } finally {
      debug.mockRestore();
    }
  });

  test('the snapshot is a model folder the project loads: config, safetensors weights, transformers.js tokenizer', async () => {
    await freshHome();
    const snapshot = await pullModel(plain.name, { hubUrl: hub.url });
    expect(await readLlamaConfig(snapshot)).toEqual(await readLlamaConfig(plainDir));
    const [pulled, source] = [await openSafetensors(snapshot), await openSafetensors(plainDir)];
    try {
      expect(pulled.names).toEqual(source.names);
      expect((await pulled.read('model.layers.1.mlp.down_proj.weight')).data).toEqual(
        (await source.read('model.layers.1.mlp.down_proj.weight')).data,
      );
    } finally {
      await Promise.all([pulled.close(), source.close()]);
    }
    const tokenizer = await AutoTokenizer.from_pretrained(snapshot);
    const reference = await AutoTokenizer.from_pretrained(plainDir);
    const text = 'Will it rain tomorrow in Seattle?';
    expect(tokenizer.encode(text)).toEqual(reference.encode(text));
    expect(tokenizer.decode(tokenizer.encode(text), { skip_special_tokens: true })).toBe(text);
  });

  test('a second pull downloads nothing, and a lost snapshot link is restored from its blob', async () => {
    const home = await freshHome();
    const progress: PullProgress[] = [];
    const first = await pullModel(plain.name, { hubUrl: hub.url, onProgress: (p) => progress.push(p) });
    const last = progress.at(-1)!;
    const total = MODEL_FOLDER.reduce((sum, path) => sum + fileOf(plain, path).content.length, 0);
    expect(last).toMatchObject({
      receivedBytes: total,
      totalBytes: total,
      filesDone: MODEL_FOLDER.length,
      fileCount: MODEL_FOLDER.length,
    });
    expect(progress.every((p, i) => i === 0 || p.receivedBytes >= progress[i - 1].receivedBytes)).toBe(true);
    const blobTimes = await Promise.all(
      MODEL_FOLDER.map(
        async (path) => (await stat(join(cacheOf(home, plain), 'blobs', fileOf(plain, path).etag))).mtimeMs,
      ),
    );

    hub.clearLog();
    progress.length = 0;
    expect(await pullModel(plain.name, { hubUrl: hub.url, onProgress: (p) => progress.push(p) })).toBe(first);
    expect(hub.bytesServed()).toBe(0);
    expect(hub.requests.some((r) => r.url.includes('/resolve/') || r.url.includes('/cdn-lfs/'))).toBe(false);
    expect(progress).toEqual([]);
    expect(
      await Promise.all(
        MODEL_FOLDER.map(
          async (path) => (await stat(join(cacheOf(home, plain), 'blobs', fileOf(plain, path).etag))).mtimeMs,
        ),
      ),
    ).toEqual(blobTimes);

    await rm(join(first, 'tokenizer.json'));
    hub.clearLog();
    await pullModel(plain.name, { hubUrl: hub.url });
    expect(hub.bytesServed()).toBe(0);
    expect((await readFile(join(first, 'tokenizer.json'))).equals(fileOf(plain, 'tokenizer.json').content)).toBe(true);
  });

  test('a download cut mid-body resumes with a Range request and gives the same bytes', async () => {
    const home = await freshHome();
    const weights = fileOf(plain, 'model.safetensors');
    hub.cutNextDownload(plain.name, 'model.safetensors', 100_000);
    const snapshot = await pullModel(plain.name, { hubUrl: hub.url });

    expect((await readFile(join(snapshot, 'model.safetensors'))).equals(weights.content)).toBe(true);
    const [cut, resumed, ...others] = contentRequests('model.safetensors');
    expect(others).toEqual([]);
    expect(cut).toMatchObject({ range: null, status: 200, bytes: 100_000 });
    expect(resumed.status).toBe(206);
    expect(resumed.range).toBe(`bytes=100000-${weights.content.length - 1}`);
    expect(resumed.bytes).toBe(weights.content.length - 100_000);
    expect(await readdir(join(cacheOf(home, plain), 'blobs'))).not.toContainEqual(
      expect.stringMatching(/\.incomplete$/),
    );
  });

  test('a pull that gave up leaves the .incomplete file, and the next pull continues from it', async () => {
    const home = await freshHome();
    const weights = fileOf(plain, 'model.safetensors');
    hub.cutNextDownload(plain.name, 'model.safetensors', 150_000);
    const failure = await pullModel(plain.name, { hubUrl: hub.url, retries: 0 }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(HubError);
    expect((failure as HubError).message).toMatch(
      /downloading model\.safetensors from http:\/\/127\.0\.0\.1:\d+ failed: .*run the pull again to resume/,
    );
    const partial = join(cacheOf(home, plain), 'blobs', `${weights.etag}.incomplete`);
    const kept = (await stat(partial)).size;
    expect(kept).toBe(150_000);
    await expect(readFile(join(cacheOf(home, plain), 'refs', 'main'))).rejects.toThrow(/ENOENT/);

    hub.clearLog();
    const snapshot = await pullModel(plain.name, { hubUrl: hub.url });
    expect((await readFile(join(snapshot, 'model.safetensors'))).equals(weights.content)).toBe(true);
    const [resumed, ...others] = contentRequests('model.safetensors');
    expect(others).toEqual([]);
    expect(resumed).toMatchObject({ range: `bytes=${kept}-${weights.content.length - 1}`, status: 206 });
    expect(resumed.bytes).toBe(weights.content.length - kept);
    // All this pull fetched of the file: the library's one-byte size probe and the rest from `kept` on.
    expect(hub.bytesServed(weights.etag)).toBe(1 + weights.content.length - kept);
    expect(hub.bytesServed(weights.etag)).toBeLessThan(weights.content.length);
  });

  test('a partial file that does not belong to the blob is caught by the hash check, deleted, and fetched whole next time', async () => {
    const home = await freshHome();
    const weights = fileOf(plain, 'model.safetensors');
    const blobs = join(cacheOf(home, plain), 'blobs');
    await mkdir(blobs, { recursive: true });
    await writeFile(join(blobs, `${weights.etag}.incomplete`), Buffer.alloc(50_000, 1));
    await expect(pullModel(plain.name, { hubUrl: hub.url })).rejects.toMatchObject({
      code: 'corrupt-download',
      message: expect.stringMatching(
        /^downloaded model\.safetensors has content hashing to [0-9a-f]{64} instead of [0-9a-f]{64}; it was deleted, run the pull again$/,
      ),
    });
    expect(await readdir(blobs)).not.toContain(`${weights.etag}.incomplete`);
    const snapshot = await pullModel(plain.name, { hubUrl: hub.url });
    expect((await readFile(join(snapshot, 'model.safetensors'))).equals(weights.content)).toBe(true);
  });

  test('sharded weights: the index, then every shard it names', async () => {
    await freshHome();
    const snapshot = await pullModel(sharded.name, { hubUrl: hub.url });
    expect((await readdir(snapshot)).sort()).toEqual([
      'config.json',
      'generation_config.json',
      'model-00001-of-00002.safetensors',
      'model-00002-of-00002.safetensors',
      'model.safetensors.index.json',
      'special_tokens_map.json',
      'tokenizer.json',
      'tokenizer_config.json',
    ]);
    expect(await missingModelFiles(snapshot)).toEqual([]);
    const [pulled, source] = [await openSafetensors(snapshot), await openSafetensors(plainDir)];
    try {
      expect(pulled.names).toEqual(source.names);
      expect(new Set(pulled.names.map((name) => pulled.info(name).file.split('/').pop())).size).toBe(2);
      for (const name of source.names) expect((await pulled.read(name)).data).toEqual((await source.read(name)).data);
    } finally {
      await Promise.all([pulled.close(), source.close()]);
    }
  });
});

describe('offline', () => {
  test('with an empty cache it fails naming every missing file and the command to fetch them, without a request', async () => {
    const home = await freshHome();
    const failure = await pullModel(plain.name, { hubUrl: hub.url, offline: true }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(HubError);
    expect((failure as HubError).code).toBe('not-cached');
    expect((failure as HubError).missing).toEqual([
      'config.json',
      'tokenizer.json',
      'tokenizer_config.json',
      'model.safetensors (or model.safetensors.index.json and its shards)',
    ]);
    expect((failure as HubError).message).toBe(
      `weatherbot/tiny-llama is not fully in the HF cache (${join(home, 'hub')}) and the hub may not be used (offline): nothing of weatherbot/tiny-llama@main is cached ` +
        '(needed: config.json, tokenizer.json, tokenizer_config.json, model.safetensors (or model.safetensors.index.json and its shards)). Fetch it with: npm run cli -- model pull weatherbot/tiny-llama',
    );

    process.env.HF_HUB_OFFLINE = '1';
    await expect(pullModel(sharded.name, { hubUrl: hub.url, revision: 'v1.0' })).rejects.toThrow(
      'npm run cli -- model pull weatherbot/tiny-llama-sharded --revision v1.0',
    );
    expect(hub.requests).toEqual([]);
  });

  test('with a full cache it returns the snapshot with zero requests; a half-pulled snapshot names what it lacks', async () => {
    await freshHome();
    const online = await pullModel(sharded.name, { hubUrl: hub.url });
    hub.clearLog();
    process.env.HF_HUB_OFFLINE = '1';
    expect(await pullModel(sharded.name, { hubUrl: hub.url })).toBe(online);
    expect(await pullModel(sharded.name, { revision: sharded.commit })).toBe(online);
    expect(await cachedSnapshot(sharded.name)).toBe(online);
    expect(await resolveModel(sharded.name)).toBe(online);
    expect(hub.requests).toEqual([]);

    await rm(join(online, 'model-00002-of-00002.safetensors'));
    await rm(join(online, 'tokenizer.json'));
    const failure = (await pullModel(sharded.name).catch((error: unknown) => error)) as HubError;
    expect(failure.missing).toEqual(['tokenizer.json', 'model-00002-of-00002.safetensors']);
    expect(failure.message).toContain(`the snapshot ${online} lacks tokenizer.json, model-00002-of-00002.safetensors`);
    expect(hub.requests).toEqual([]);
  });

  test('HF_HUB_CACHE wins over HF_HOME', async () => {
    const home = await freshHome();
    process.env.HF_HUB_CACHE = join(home, 'elsewhere');
    const snapshot = await pullModel(plain.name, { hubUrl: hub.url });
    expect(snapshot).toBe(join(home, 'elsewhere', 'models--weatherbot--tiny-llama', 'snapshots', plain.commit));
  });
});

describe('resolveModel', () => {
  test('a local model folder is used as it is; one lacking files is refused naming them', async () => {
    await freshHome();
    expect(await resolveModel(plainDir)).toBe(plainDir);
    const incomplete = join(root, 'repos', 'plain', 'onnx');
    await expect(resolveModel(incomplete)).rejects.toThrow(
      `${incomplete} is not a complete HF model folder: it lacks config.json, tokenizer.json, tokenizer_config.json, model.safetensors (or model.safetensors.index.json and its shards)`,
    );
    await expect(resolveModel(join(plainDir, 'config.json'))).rejects.toThrow(/is a file/);
    await expect(resolveModel('./no/such/folder')).rejects.toThrow(/no model folder at .*no\/such\/folder/);
    await expect(resolveModel('weatherbot/not-pulled')).rejects.toThrow(
      /npm run cli -- model pull weatherbot\/not-pulled/,
    );
  });
});

describe('hub errors', () => {
  test('an unknown repo and an unknown revision say so', async () => {
    await freshHome();
    await expect(pullModel('weatherbot/no-such-model', { hubUrl: hub.url })).rejects.toMatchObject({
      code: 'repo-not-found',
      message: expect.stringContaining(`model repo weatherbot/no-such-model was not found on ${hub.url}`),
    });
    await expect(pullModel(plain.name, { hubUrl: hub.url, revision: 'v9' })).rejects.toMatchObject({
      code: 'revision-not-found',
      message: `weatherbot/tiny-llama has no revision "v9" on ${hub.url}`,
    });
  });

  test('a gated repo needs HF_TOKEN; the token never shows in errors or output', async () => {
    await freshHome();
    const failure = (await pullModel(gated.name, { hubUrl: hub.url }).catch((error: unknown) => error)) as HubError;
    expect(failure.code).toBe('gated');
    expect(failure.message).toBe(
      `weatherbot/tiny-llama-gated is gated: accept its conditions at ${hub.url}/weatherbot/tiny-llama-gated, then set HF_TOKEN to an access token`,
    );

    const wrong = (await pullModel(gated.name, { hubUrl: hub.url, accessToken: 'hf_wrongTokenABC' }).catch(
      (error: unknown) => error,
    )) as HubError;
    expect(wrong.code).toBe('unauthorized');
    expect(wrong.message).not.toContain('hf_wrongTokenABC');

    process.env.HF_TOKEN = TOKEN;
    const snapshot = await pullModel(gated.name, { hubUrl: hub.url });
    expect(await missingModelFiles(snapshot)).toEqual([]);
    expect(hub.requests.filter((r) => r.url.includes('/resolve/')).every((r) => r.authorized || r.status === 401)).toBe(
      true,
    );
  });
});

describe('npm run cli -- model pull', () => {
  async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    const output = { stdout: '', stderr: '' };
    const capture = (stream: 'stdout' | 'stderr') =>
      jest.spyOn(process[stream], 'write').mockImplementation((chunk: string | Uint8Array) => {
        output[stream] += String(chunk);
        return true;
      });
    const spies = [capture('stdout'), capture('stderr')];
    try {
      return { code: await modelPull(args), ...output };
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
  }

  test('pulls through HF_ENDPOINT with HF_TOKEN, prints a line per file on stderr and the snapshot on stdout', async () => {
    const home = await freshHome();
    process.env.HF_ENDPOINT = hub.url;
    process.env.HF_TOKEN = TOKEN;
    const { code, stdout, stderr } = await cli([gated.name]);
    expect(code).toBe(0);
    expect(stdout).toBe(`${join(cacheOf(home, gated), 'snapshots', gated.commit)}\n`);
    expect(stderr).toMatch(/^downloaded config\.json \(\d+ B\), 1\/6 files\n/);
    expect(stderr).toMatch(/downloaded model\.safetensors \(\d+\.\d kB\), 6\/6 files\n$/);
    expect(stdout + stderr).not.toContain(TOKEN);

    process.env.HF_HUB_OFFLINE = '1';
    expect(await cli([gated.name])).toEqual({ code: 0, stdout, stderr: '' });
    expect(await cli(['--offline', plain.name])).toMatchObject({
      code: 1,
      stdout: '',
      stderr: expect.stringMatching(/^model pull: .*npm run cli -- model pull weatherbot\/tiny-llama\n$/),
    });
  });

  test('on a terminal the progress bar redraws one line and ends it when the last file is in', async () => {
    await freshHome();
    const terminal = Object.assign(new PassThrough(), { isTTY: true });
    let drawn = '';
    terminal.on('data', (chunk: Buffer) => (drawn += chunk.toString()));
    await pullModel(sharded.name, { hubUrl: hub.url, onProgress: pullProgressBar(terminal) });
    const frames = drawn.split('\r\x1b[2K').filter(Boolean);
    expect(frames.length).toBeGreaterThan(1);
    expect(frames.slice(0, -1).every((frame) => !frame.includes('\n'))).toBe(true);
    expect(frames.at(-1)).toMatch(
      /^█{24} (\d+\.\d kB)\/\1 · .* · ETA 0s · model-00002-of-00002\.safetensors \(file 7\/7\)\n$/,
    );
  });

  test('an unreachable hub is one friendly line and exit code 1; bad usage is exit code 2', async () => {
    await freshHome();
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as { port: number };
    await new Promise((resolve) => closed.close(resolve));
    process.env.HF_ENDPOINT = `http://127.0.0.1:${port}`;
    process.env.HF_TOKEN = TOKEN;

    const { code, stdout, stderr } = await cli([plain.name, '--revision', 'main']);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toMatch(
      new RegExp(
        `^model pull: could not reach http://127\\.0\\.0\\.1:${port}: fetch failed \\(connect ECONNREFUSED 127\\.0\\.0\\.1:${port}\\) — check the network or set HF_ENDPOINT\\n$`,
      ),
    );
    expect(stderr).not.toContain(TOKEN);
    expect((await cli(['--bogus'])).code).toBe(2);
    expect((await cli(['a/b', 'c/d'])).code).toBe(2);
  });
});
