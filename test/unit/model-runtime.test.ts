/**
 * @jest-environment ./test/env/typed-arrays.js
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { env } from '@huggingface/transformers';
import { createLogger } from '../../bot/core/log';
import { ModelRuntime, NO_MODEL_NOTICE } from '../../bot/model/runtime';
import { openRegistry, type ModelRegistry } from '../../training/registry';
import { eventually } from '../helpers/eventually';
import { brokenModel, untrainedModel } from '../helpers/model-fixtures';

env.allowRemoteModels = false;

let root: string;
let sources: { a: string; b: string; broken: string };
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'model-runtime-'));
  const [a, b, broken] = await Promise.all([
    untrainedModel(join(root, 'a'), 1),
    untrainedModel(join(root, 'b'), 2),
    brokenModel(join(root, 'broken')),
  ]);
  sources = { a, b, broken };
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function freshRegistry(name: string): Promise<ModelRegistry> {
  return openRegistry(join(root, name), { fsync: false, debounceMs: 10, pollIntervalMs: 50 });
}

function start(registry: ModelRegistry) {
  const logs: string[] = [];
  const runtime = ModelRuntime.start(registry, { log: createLogger('debug', [], (line) => void logs.push(line)) });
  return { logs, runtime };
}

describe('ModelRuntime', () => {
  test('with no active version there is no model, and the notice says how to get one; the first activation loads it', async () => {
    const registry = await freshRegistry('none');
    const { runtime: starting } = start(registry);
    const runtime = await starting;
    try {
      expect(runtime.current()).toBeNull();
      expect(runtime.notice()).toBe(NO_MODEL_NOTICE);
      await expect(runtime.use(async (model) => model)).resolves.toBeNull();
      const a = await registry.register(sources.a, { baseModel: 'tiny' });
      await registry.activate(a.id);
      await eventually(() => runtime.current()?.version === a.id, 'a is loaded');
      expect(runtime.current()!.loadMs).toBeGreaterThan(0);
      expect(runtime.notice()).toBeNull();
    } finally {
      await runtime.close();
    }
  });

  test('activations in quick succession end on the latest', async () => {
    const registry = await freshRegistry('quick');
    const [a, b] = [
      await registry.register(sources.a, { baseModel: 'tiny' }),
      await registry.register(sources.b, { baseModel: 'tiny' }),
    ];
    await registry.activate(a.id);
    const { runtime: starting } = start(registry);
    const runtime = await starting;
    try {
      expect(runtime.current()?.version).toBe(a.id);
      await registry.activate(b.id);
      await registry.activate(a.id);
      await registry.activate(b.id);
      await eventually(() => runtime.current()?.version === b.id, 'b is loaded');
      await new Promise((resolve) => setTimeout(resolve, 300));
      await runtime.settled();
      expect(runtime.current()?.version).toBe(b.id);
    } finally {
      await runtime.close();
    }
  });

  test('a held model stays usable after a swap and is freed when released; close frees the current one', async () => {
    const registry = await freshRegistry('held');
    const [a, b] = [
      await registry.register(sources.a, { baseModel: 'tiny' }),
      await registry.register(sources.b, { baseModel: 'tiny' }),
    ];
    await registry.activate(a.id);
    const runtime = await start(registry).runtime;
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const holding = runtime.use(async (model) => {
      await released;
      return model!.generator.generate([{ role: 'user', content: 'hi' }], { maxNewTokens: 3, timeoutMs: 5000 });
    });
    const old = runtime.current()!;
    await registry.activate(b.id);
    await eventually(() => runtime.current()?.version === b.id, 'b is loaded');
    release();
    await expect(holding).resolves.toMatchObject({ tokens: expect.any(Number) });
    await eventually(
      () =>
        old.generator.generate([{ role: 'user', content: 'hi' }], { maxNewTokens: 1, timeoutMs: 1000 }).then(
          () => false,
          (e: Error) => e.name === 'GeneratorDisposedError',
        ),
      'a is freed',
    );
    const current = runtime.current()!;
    await runtime.close();
    await expect(
      current.generator.generate([{ role: 'user', content: 'hi' }], { maxNewTokens: 1, timeoutMs: 1000 }),
    ).rejects.toMatchObject({ name: 'GeneratorDisposedError' });
  });

  test('an active version that cannot load at start leaves no model, logs why, and the notice says so', async () => {
    const registry = await freshRegistry('broken');
    const broken = await registry.register(sources.broken, { baseModel: 'tiny' });
    await registry.activate(broken.id);
    const { runtime: starting, logs } = start(registry);
    const runtime = await starting;
    try {
      expect(runtime.current()).toBeNull();
      expect(runtime.notice()).toContain(`The active model ${broken.id} could not be loaded`);
      expect(logs.join('\n')).toMatch(
        new RegExp(`ERROR could not load the active model version.*"version":"${broken.id}"`),
      );
    } finally {
      await runtime.close();
    }
  });
});
