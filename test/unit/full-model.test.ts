/**
 * @jest-environment ./test/env/typed-arrays.js
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeBatch } from '../../training/encoding';
import { FullModel } from '../../training/model/model-runner';
import { createTinyModel } from '../../training/model/tiny';
import type { Batch } from '../../training/trainer/trainable';

let root: string;
let dir: string;
let batch: Batch;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'full-model-'));
  dir = join(root, 'micro');
  await createTinyModel(dir, { seed: 3, hiddenSize: 16, numHiddenLayers: 1, numAttentionHeads: 2, vocabSize: 300 });
  const example = (ids: number[]) => ({
    ids: Int32Array.from(ids),
    assistantMask: Uint8Array.from(ids, (_, i) => (i >= 2 ? 1 : 0)),
  });
  batch = makeBatch([example([1, 40, 41, 42, 43, 44, 45, 2]), example([1, 50, 51, 52, 53, 2])], 8, 0);
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

test('every weight gets a gradient that agrees with the loss along it', async () => {
  const model = await FullModel.load(dir, { threads: 1 });
  try {
    const { loss, gradients } = await model.lossAndGradients(batch);
    expect([...gradients.keys()].sort()).toEqual([...model.parameters.keys()].sort());
    for (const [name, grad] of gradients)
      expect({ name, nonZero: grad.some((g) => g !== 0) }).toEqual({ name, nonZero: true });
    // The loss along the gradient changes at rate ‖g‖² (central difference).
    const squaredNorm = [...gradients.values()].reduce((n, g) => n + g.reduce((s, x) => s + x * x, 0), 0);
    const epsilon = 1e-2 / Math.sqrt(squaredNorm);
    const originals = new Map([...model.parameters].map(([name, p]) => [name, Float32Array.from(p.data)]));
    const lossAt = async (t: number) => {
      for (const [name, p] of model.parameters)
        p.data.set(originals.get(name)!.map((x, i) => x + t * gradients.get(name)![i]));
      return (await model.loss(batch)).loss;
    };
    const slope = ((await lossAt(epsilon)) - (await lossAt(-epsilon))) / (2 * epsilon);
    expect(slope / squaredNorm).toBeCloseTo(1, 1);
    expect(await lossAt(0)).toBeCloseTo(loss, 5);
  } finally {
    await model.dispose();
  }
});

test('gradient steps lower the loss, and the saved weights load back as they were trained', async () => {
  const model = await FullModel.load(dir, { threads: 1 });
  let trainedLoss: number;
  try {
    const initial = (await model.loss(batch)).loss;
    for (let step = 0; step < 30; step++) {
      const { gradients } = await model.lossAndGradients(batch);
      for (const [name, p] of model.parameters) p.data.set(p.data.map((x, i) => x - 0.5 * gradients.get(name)![i]));
    }
    trainedLoss = (await model.loss(batch)).loss;
    expect(trainedLoss).toBeLessThan(initial * 0.5);
    await model.save(dir);
  } finally {
    await model.dispose();
  }
  const reloaded = await FullModel.load(dir, { threads: 1 });
  try {
    expect((await reloaded.loss(batch)).loss).toBeCloseTo(trainedLoss, 5);
  } finally {
    await reloaded.dispose();
  }
});
