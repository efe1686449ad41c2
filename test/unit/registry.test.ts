import { appendFile, mkdir, mkdtemp, readdir, readFile, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CorruptFileError,
  InvalidSourceError,
  NothingToRollBackError,
  openRegistry,
  RegistryError,
  UnknownVersionError,
  VersionIntegrityError,
} from '../../training/registry';
import type { ActiveModel, ModelRegistry, RegistryOptions } from '../../training/registry';
import { sha256, versionFields, writeModelSource } from '../helpers/registry-fixtures';
import { eventually } from '../helpers/eventually';

let work: string;
let sources = 0;

beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), 'registry-'));
});
afterEach(() => rm(work, { recursive: true, force: true }));

/** A clock that moves one minute per call, from 2026-11-25 15:30 UTC. */
function minuteClock(): () => Date {
  let minutes = 0;
  return () => new Date(Date.UTC(2026, 10, 25, 15, 30 + minutes++));
}

async function open(options: RegistryOptions = {}): Promise<ModelRegistry> {
  return openRegistry(join(work, 'models'), { fsync: false, now: minuteClock(), ...options });
}

async function source(
  seed: number,
  options?: Parameters<typeof writeModelSource>[2],
): Promise<{ dir: string; files: Map<string, Buffer> }> {
  const dir = join(work, `source-${sources++}`);
  return { dir, files: await writeModelSource(dir, seed, options) };
}

async function registerMany(registry: ModelRegistry, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let seed = 1; seed <= count; seed += 1)
    ids.push((await registry.register((await source(seed)).dir, versionFields(seed))).id);
  return ids;
}

describe('register', () => {
  test('copies the model in as a candidate whose manifest holds the sha256 and size of every file', async () => {
    const registry = await open();
    const { dir, files } = await source(1);
    const version = await registry.register(dir, { ...versionFields(1), parent: 'v0000-20261101T0000Z' });

    expect(version.id).toBe('v0001-20261125T1530Z');
    expect(version.dir).toBe(join(work, 'models', 'versions', version.id));
    expect(version.modelDir).toBe(join(version.dir, 'model'));
    expect(version.adapterDir).toBe(join(version.dir, 'adapter'));
    expect(version.manifest).toMatchObject({
      id: version.id,
      status: 'candidate',
      baseModel: 'HuggingFaceTB/SmolLM2-135M-Instruct',
      dataset: versionFields(1).dataset,
      hyperparameters: versionFields(1).hyperparameters,
      metrics: versionFields(1).metrics,
      parent: 'v0000-20261101T0000Z',
      note: 'run 1',
      createdAt: '2026-11-25T15:30:00.000Z',
      activatedAt: null,
    });
    expect(Object.keys(version.manifest.files).sort()).toEqual([...files.keys()].sort());
    for (const [path, bytes] of files) {
      const dtype = /onnx\/model\.onnx(_data)?$/.test(path) ? { dtype: 'fp32' } : {};
      expect(version.manifest.files[path]).toEqual({ sha256: sha256(bytes), bytes: bytes.length, ...dtype });
      expect(await readFile(join(version.dir, path))).toEqual(bytes);
    }
    expect(JSON.parse(await readFile(join(version.dir, 'manifest.json'), 'utf-8'))).toEqual(version.manifest);
    expect((await stat(join(dir, 'model/config.json'))).isFile()).toBe(true); // copied, not moved
    expect(await registry.active()).toBeNull();
    await expect(registry.verify(version.id)).resolves.toBeUndefined();
  });

  test('ids are sortable by time and carry the sequence; move takes the folder away; no adapter is fine', async () => {
    const registry = await open();
    const first = await registry.register((await source(1)).dir, versionFields(1));
    const { dir } = await source(2, { adapter: false });
    const second = await registry.register(dir, versionFields(2), { move: true });
    expect([first.id, second.id]).toEqual(['v0001-20261125T1530Z', 'v0002-20261125T1531Z']);
    expect(second.adapterDir).toBeNull();
    expect(second.manifest.adapter).toBeNull();
    await expect(stat(dir)).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(registry.verify(second.id)).resolves.toBeUndefined();
    expect((await registry.history()).map((version) => version.id)).toEqual([second.id, first.id]);
    expect(await readdir(join(work, 'models'))).not.toContain('.staging');
  });

  test('refuses a folder that is not a finished model, saying what is missing', async () => {
    const registry = await open();
    const { dir } = await source(1);
    await expect(registry.register(join(work, 'nowhere'), versionFields(1))).rejects.toThrow(
      /nowhere: it is not a folder/,
    );

    await unlink(join(dir, 'model/config.json'));
    await expect(registry.register(dir, versionFields(1))).rejects.toThrow(InvalidSourceError);
    await expect(registry.register(dir, versionFields(1))).rejects.toThrow(/model\/config.json is missing/);
    await writeFile(join(dir, 'model/config.json'), '{}');

    await rm(join(dir, 'model/onnx/model.onnx'));
    await expect(registry.register(dir, versionFields(1))).rejects.toThrow(/model\/onnx\/ holds no .onnx file/);
    await writeFile(join(dir, 'model/onnx/model.onnx'), 'graph');

    await unlink(join(dir, 'adapter/adapter_config.json'));
    await expect(registry.register(dir, versionFields(1))).rejects.toThrow(/adapter\/adapter_config.json is missing/);
    await writeFile(join(dir, 'adapter/adapter_config.json'), '{}');

    await writeFile(join(dir, 'manifest.json'), '{}');
    await expect(registry.register(dir, versionFields(1))).rejects.toThrow(
      /manifest.json is the registry's own file name/,
    );
    await unlink(join(dir, 'manifest.json'));

    await expect(registry.register(dir, { ...versionFields(1), metrics: { loss: Number.NaN } })).rejects.toThrow(
      /metric loss is NaN/,
    );
    expect(await registry.history()).toEqual([]);
    expect((await registry.register(dir, versionFields(1))).id).toMatch(/^v0001-/);
  });
});

describe('activate and rollback', () => {
  test('activate switches the pointer and records the previous active as predecessor', async () => {
    const registry = await open();
    const [a, b] = await registerMany(registry, 2);

    const first = await registry.activate(a);
    expect(first).toMatchObject({ id: a, manifest: { status: 'active', activatedAt: expect.any(String) } });
    expect(await registry.predecessor()).toBeNull();

    const active = await registry.activate(b);
    expect(active.id).toBe(b);
    expect(active.modelDir).toBe(join(work, 'models', 'versions', b, 'model'));
    expect((await registry.active())?.id).toBe(b);
    expect(await registry.predecessor()).toBe(a);
    const pointer = JSON.parse(await readFile(join(work, 'models', 'active.json'), 'utf-8'));
    expect(pointer).toMatchObject({ id: b, predecessors: [a] });
    expect((await registry.history()).map((version) => [version.id, version.manifest.status])).toEqual([
      [b, 'active'],
      [a, 'retired'],
    ]);

    await registry.activate(b); // already active: nothing changes
    expect(await registry.predecessor()).toBe(a);
  });

  test.each([
    [
      'modified',
      async (dir: string) => writeFile(join(dir, 'model/onnx/model.onnx_data'), Buffer.alloc(4096, 7)),
      'model/onnx/model.onnx_data differs',
    ],
    [
      'truncated',
      async (dir: string) => writeFile(join(dir, 'model/tokenizer.json'), '{}'),
      'model/tokenizer.json differs',
    ],
    [
      'missing',
      async (dir: string) => unlink(join(dir, 'adapter/adapter_model.safetensors')),
      'adapter/adapter_model.safetensors is missing',
    ],
    [
      'unexpected',
      async (dir: string) => appendFile(join(dir, 'model/onnx/extra.onnx'), 'x'),
      'model/onnx/extra.onnx was not part of the version',
    ],
  ])('%s file: activation is refused naming the file, and the pointer stays', async (_case, tamper, message) => {
    const registry = await open();
    const [a, b] = await registerMany(registry, 2);
    await registry.activate(a);
    await tamper((await registry.get(b)).dir);

    const refusal = registry.activate(b);
    await expect(refusal).rejects.toThrow(VersionIntegrityError);
    await expect(registry.activate(b)).rejects.toThrow(`model version ${b} is damaged: ${message}`);
    expect((await registry.active())?.id).toBe(a);
    await expect(registry.rollback(b)).rejects.toThrow(VersionIntegrityError);
  });

  test('rollback returns to the previous active, then further back, or to a given version', async () => {
    const registry = await open();
    const [a, b, c, d] = await registerMany(registry, 4);
    await expect(registry.rollback()).rejects.toThrow(NothingToRollBackError);
    await registry.activate(a);
    await expect(registry.rollback()).rejects.toThrow(/nothing to roll back to: v0001-\S+ is active/);
    await registry.activate(b);
    await registry.activate(c);

    expect((await registry.rollback()).id).toBe(b);
    const rolledBack = await registry.get(c);
    expect(rolledBack.manifest).toMatchObject({ status: 'retired', rolledBack: true });
    expect((await registry.rollback()).id).toBe(a);
    await expect(registry.rollback()).rejects.toThrow(NothingToRollBackError);

    expect((await registry.rollback(d)).id).toBe(d);
    expect((await registry.rollback(c)).id).toBe(c);
    await expect(registry.rollback(c)).rejects.toThrow(/already the active version/);
    await expect(registry.rollback('v0099-20261125T1530Z')).rejects.toThrow(UnknownVersionError);
    expect((await registry.active())?.id).toBe(c);
  });

  test('a version marked failed cannot be activated; the active one cannot be marked failed', async () => {
    const registry = await open();
    const [a, b] = await registerMany(registry, 2);
    await registry.activate(a);
    expect((await registry.markFailed(b, 'fact accuracy fell')).manifest).toMatchObject({
      status: 'failed',
      note: 'fact accuracy fell',
    });
    await expect(registry.activate(b)).rejects.toThrow(
      `${b} is marked failed (fact accuracy fell): it cannot be activated`,
    );
    await expect(registry.markFailed(a)).rejects.toThrow(RegistryError);
    expect((await registry.active())?.id).toBe(a);
  });
});

describe('prune', () => {
  test('keeps the newest N, the active version and its predecessor; ids keep rising', async () => {
    const registry = await open();
    const [v1, v2, v3, v4, v5, v6] = await registerMany(registry, 6);
    await registry.activate(v2);
    await registry.activate(v1);

    expect(await registry.prune(2)).toEqual([v4, v3]);
    expect((await registry.history()).map((version) => version.id)).toEqual([v6, v5, v2, v1]);
    expect(await readdir(join(work, 'models', 'versions'))).toHaveLength(4);
    expect((await registry.rollback()).id).toBe(v2);
    // v6 is the newest, v2 active with no predecessor: v1 was rolled back from, so it goes too.
    expect(await registry.prune(1)).toEqual([v5, v1]);
    expect(await registry.predecessor()).toBeNull();
    const next = await registry.register((await source(7)).dir, versionFields(7));
    expect(next.id).toMatch(/^v0007-/);
    await expect(registry.prune(0)).rejects.toThrow(RangeError);
  });
});

describe('reading', () => {
  test('unknown ids, corrupt manifests and a corrupt pointer fail with errors naming the id or the file', async () => {
    const registry = await open();
    const [a] = await registerMany(registry, 1);
    await expect(registry.get('v0042-20261125T1530Z')).rejects.toThrow(UnknownVersionError);
    await expect(registry.get('v0042-20261125T1530Z')).rejects.toThrow(/no model version "v0042-20261125T1530Z"/);
    await expect(registry.get('../../etc')).rejects.toThrow(UnknownVersionError);
    await expect(registry.activate('v0042-20261125T1530Z')).rejects.toThrow(UnknownVersionError);

    await registry.activate(a);
    const manifestFile = join(work, 'models', 'versions', a, 'manifest.json');
    const manifest = await readFile(manifestFile, 'utf-8');
    await writeFile(manifestFile, manifest.slice(0, 40));
    await expect(registry.get(a)).rejects.toThrow(CorruptFileError);
    await expect(registry.history()).rejects.toThrow(`${manifestFile} is corrupt`);
    await expect(registry.active()).rejects.toThrow(`${manifestFile} is corrupt`);
    await writeFile(manifestFile, manifest.replace('"candidate"', '"promoted"').replace('"active"', '"promoted"'));
    await expect(registry.get(a)).rejects.toThrow(/status "promoted" is none of/);
    await writeFile(manifestFile, manifest);

    const pointerFile = join(work, 'models', 'active.json');
    await writeFile(pointerFile, '{"id": 7}');
    await expect(registry.active()).rejects.toThrow(`${pointerFile} is corrupt (id is not a string)`);
    await writeFile(
      pointerFile,
      JSON.stringify({ id: 'v0042-20261125T1530Z', activatedAt: '2026-11-25T15:30:00Z', predecessors: [] }),
    );
    await expect(registry.active()).rejects.toThrow(/names version v0042-20261125T1530Z, which is missing/);
  });

  test('two registries in one process (and concurrent calls on one) take turns', async () => {
    const first = await open();
    const second = await openRegistry(join(work, 'models'), { fsync: false });
    const sourcesDirs = await Promise.all([1, 2, 3, 4].map(async (seed) => (await source(seed)).dir));
    const versions = await Promise.all(
      sourcesDirs.map((dir, n) => (n % 2 === 0 ? first : second).register(dir, versionFields(n))),
    );
    const ids = versions.map((version) => version.id);
    expect(new Set(ids.map((id) => id.slice(0, 5)))).toEqual(new Set(['v0001', 'v0002', 'v0003', 'v0004']));
    await Promise.all(ids.map((id) => first.verify(id)));
  });
});

describe('watch', () => {
  test.each([
    ['fs.watch', { fsWatch: true, pollIntervalMs: 60_000 }],
    ['polling alone', { fsWatch: false, pollIntervalMs: 40 }],
  ])('reports each new active version once (%s)', async (_how, options) => {
    const registry = await open(options);
    const [a, b] = await registerMany(registry, 2);
    await registry.activate(a);
    const seen: Array<string | null> = [];
    const stop = registry.watch((active: ActiveModel | null) => seen.push(active?.id ?? null));
    try {
      await new Promise((done) => setTimeout(done, 150));
      expect(seen).toEqual([]); // the version active when watching starts is no change

      await registry.activate(b);
      await eventually(() => seen.length === 1, 'the activation to be reported');
      await registry.rollback();
      await eventually(() => seen.length === 2, 'the rollback to be reported');
      await registry.register((await source(3)).dir, versionFields(3)); // no pointer change
      await new Promise((done) => setTimeout(done, 200));
      expect(seen).toEqual([b, a]);
    } finally {
      stop();
    }
    await registry.activate(b);
    await new Promise((done) => setTimeout(done, 200));
    expect(seen).toEqual([b, a]);
  });

  test('a broken pointer is reported once to onError and watching goes on', async () => {
    const registry = await open({ pollIntervalMs: 30 });
    const [a] = await registerMany(registry, 1);
    const errors: Error[] = [];
    const seen: string[] = [];
    const stop = registry.watch(
      (active) => seen.push(active?.id ?? 'none'),
      (error) => errors.push(error),
    );
    try {
      await writeFile(join(work, 'models', 'active.json'), 'not json');
      await eventually(() => errors.length === 1, 'the broken pointer to be reported');
      await new Promise((done) => setTimeout(done, 200));
      expect(errors).toHaveLength(1);
      expect(errors[0]).toBeInstanceOf(CorruptFileError);
      await mkdir(join(work, 'models'), { recursive: true });
      await unlink(join(work, 'models', 'active.json'));
      await registry.activate(a);
      await eventually(() => seen.length === 1, 'the activation to be reported');
      expect(seen).toEqual([a]);
    } finally {
      stop();
    }
  });
});
