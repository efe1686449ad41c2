/**
 * @jest-environment ./test/env/typed-arrays.js
 */
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { batchedData, orderedBatches } from '../../training/encoding/batching';
import type { EncodedExample } from '../../training/encoding/encode';
import { CHECKPOINT_FILE, readCheckpoint } from '../../training/trainer/checkpoint';
import { GradientAccumulator } from '../../training/trainer/gradients';
import { progressBar } from '../../training/trainer/progress';
import {
  train,
  TrainingAbortedError,
  TrainingError,
  type TrainOptions,
  type TrainProgress,
  type TrainResult,
} from '../../training/trainer/train';
import { ToyLanguageModel, toySequences } from './trainer-toy-lm';

const VOCAB = 16;
const WIDTH = 8;
const batching = { batchSize: 8, padId: 0, bucketMultiple: 8 };
const trainSet = toySequences(48, { vocabSize: VOCAB, seed: 11 });
const validationSet = toySequences(16, { vocabSize: VOCAB, seed: 12 });
const data = batchedData(trainSet, validationSet, batching);
const base: TrainOptions = { epochs: 3, learningRate: 0.05, warmupSteps: 2, seed: 5 };
const perEpoch = data.trainBatches(0, 5).length;

let root: string;
const models: ToyLanguageModel[] = [];
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'trainer-'));
});
afterAll(async () => {
  await Promise.all(models.map((m) => m.dispose()));
  await rm(root, { recursive: true, force: true });
});

async function freshModel(seed = 1): Promise<ToyLanguageModel> {
  const model = await ToyLanguageModel.create({ vocabSize: VOCAB, width: WIDTH, seed });
  models.push(model);
  return model;
}

/** A run's outcome without wall-clock figures, for exact comparison between runs. */
function trajectory(result: TrainResult, model: ToyLanguageModel) {
  const { elapsedMs: _elapsed, checkpoint: _path, ...rest } = result;
  return { ...rest, parameters: model.snapshot() };
}

describe('train', () => {
  test('learns a learnable task: training loss falls and validation loss improves', async () => {
    const model = await freshModel();
    const events: TrainProgress[] = [];
    const result = await train(model, data, base, { onProgress: (e) => events.push(e) });

    expect(perEpoch).toBe(7); // 48 sequences in buckets of 8, 16, 24 and 32 tokens, batches of up to 8
    expect(result.steps).toBe(3 * perEpoch);
    expect(result.epochs).toBe(3);
    const losses = result.history.steps.map((s) => s.loss);
    expect(losses.slice(-3).reduce((a, b) => a + b) / 3).toBeLessThan(0.5 * losses[0]);
    expect(result.initialValidationLoss).toBeGreaterThan(Math.log(VOCAB) - 0.3);
    expect(result.finalValidationLoss!).toBeLessThan(0.5 * result.initialValidationLoss!);
    const validation = result.history.epochs.map((e) => e.validationLoss!);
    expect(validation[1]).toBeLessThan(validation[0]);
    expect(result.bestValidationLoss).toBe(Math.min(...validation));

    const answerTokens = trainSet.reduce((n, e) => n + e.assistantMask.reduce((a, m) => a + m, 0), 0);
    expect(result.targetTokens).toBe(3 * answerTokens);
    expect(result.tokensSeen).toBe(3 * trainSet.reduce((n, e) => n + e.ids.length, 0));
    expect(result.history.steps.map((s) => s.step)).toEqual(Array.from({ length: 21 }, (_, i) => i + 1));

    const steps = events.filter((e) => e.type === 'step');
    expect(steps).toHaveLength(21);
    expect(steps.every((e) => e.tokensPerSecond > 0 && e.etaSeconds >= 0 && e.totalSteps === 21)).toBe(true);
    expect(steps.at(-1)!.etaSeconds).toBe(0);
    expect(steps[6]).toMatchObject({ epoch: 1, validationLoss: result.initialValidationLoss });
    expect(steps[7]).toMatchObject({ epoch: 2, validationLoss: validation[0] });
    expect(events.filter((e) => e.type === 'epoch').map((e) => e.type === 'epoch' && e.validationLoss)).toEqual(
      validation,
    );
    // Every batch is padded to a bucket length, which bounds the shapes a model compiles for.
    expect(new Set([...model.shapes].map((shape) => shape.split('×')[1]))).toEqual(new Set(['8', '16', '24', '32']));
  });

  test('validation loss is the token-weighted mean over the validation set', async () => {
    const model = await freshModel();
    const result = await train(model, data, { ...base, epochs: 1 });
    const expected = await (async () => {
      let sum = 0;
      let tokens = 0;
      for (const batch of orderedBatches(validationSet, batching)) {
        const r = await model.loss(batch);
        sum += r.loss * r.tokens;
        tokens += r.tokens;
      }
      return sum / tokens;
    })();
    expect(result.finalValidationLoss).toBeCloseTo(expected, 12);
    const batchMeans = await Promise.all(
      orderedBatches(validationSet, batching).map(async (b) => (await model.loss(b)).loss),
    );
    expect(Math.abs(batchMeans.reduce((a, b) => a + b) / batchMeans.length - expected)).toBeGreaterThan(1e-6);
  });

  test('the same seed gives identical losses and parameters; another seed another order', async () => {
    const [a, b, c] = [await freshModel(), await freshModel(), await freshModel()];
    const first = await train(a, data, { ...base, epochs: 2 });
    const second = await train(b, data, { ...base, epochs: 2 });
    const other = await train(c, data, { ...base, epochs: 2, seed: 6 });
    expect(trajectory(second, b)).toEqual(trajectory(first, a));
    expect(other.history.steps.map((s) => s.loss)).not.toEqual(first.history.steps.map((s) => s.loss));
  });

  test('accumulating k micro-batches equals one batch of them', async () => {
    const sameLength = toySequences(4, { vocabSize: VOCAB, seed: 21, minLength: 12, maxLength: 16 });
    const model = await freshModel();
    const [whole] = orderedBatches(sameLength, { ...batching, batchSize: 4 });
    const big = await model.lossAndGradients(whole);
    const accumulator = new GradientAccumulator(model.parameters);
    for (const micro of orderedBatches(sameLength, { ...batching, batchSize: 1 })) {
      const r = await model.lossAndGradients(micro);
      accumulator.add(r.gradients, r.loss, r.tokens);
    }
    expect(accumulator.tokens).toBe(big.tokens);
    expect(accumulator.loss).toBeCloseTo(big.loss, 6);
    const mean = accumulator.take();
    for (const [name, g] of big.gradients) {
      const worst = Math.max(...g.map((v, i) => Math.abs(v - mean.get(name)![i])));
      expect(worst).toBeLessThan(1e-5);
    }

    // Through the trainer: one step per epoch over the same four sequences either way.
    const options = { ...base, epochs: 3, warmupSteps: 1 };
    const [x, y] = [await freshModel(), await freshModel()];
    const oneBatch = await train(x, batchedData(sameLength, [], { ...batching, batchSize: 4 }), options);
    const micro = await train(y, batchedData(sameLength, [], { ...batching, batchSize: 1 }), {
      ...options,
      gradientAccumulation: 4,
    });
    expect(micro.steps).toBe(3);
    micro.history.steps.forEach((s, i) => {
      expect(s.tokens).toBe(oneBatch.history.steps[i].tokens);
      expect(Math.abs(s.loss - oneBatch.history.steps[i].loss)).toBeLessThan(1e-5);
    });
    for (const [name, p] of x.snapshot()) {
      const q = y.snapshot().get(name)!;
      expect(Math.max(...p.map((v, i) => Math.abs(v - q[i])))).toBeLessThan(1e-5);
    }
  });

  test('an aborted run rejects between steps, keeps its last checkpoint whole, and resuming equals an uninterrupted run', async () => {
    const options = (dir: string): TrainOptions => ({ ...base, checkpoint: { dir: join(root, dir), everySteps: 4 } });
    const uninterrupted = await freshModel();
    const expected = trajectory(await train(uninterrupted, data, options('straight')), uninterrupted);

    const interrupted = await freshModel();
    const controller = new AbortController();
    const run = train(interrupted, data, options('resumed'), {
      signal: controller.signal,
      onProgress: (e) => e.type === 'step' && e.step === 10 && controller.abort(),
    });
    await expect(run).rejects.toThrow(TrainingAbortedError);
    await expect(run).rejects.toMatchObject({
      name: 'AbortError',
      step: 10,
      checkpoint: join(root, 'resumed', CHECKPOINT_FILE),
    });

    expect(await readdir(join(root, 'resumed'))).toEqual([CHECKPOINT_FILE]);
    const saved = (await readCheckpoint(join(root, 'resumed')))!;
    expect(saved.state).toMatchObject({ step: 8, epochIndex: 1, nextBatch: 1, finished: false });
    expect(saved.state.epochs).toHaveLength(1);
    expect(saved.bestParameters.size).toBe(2);
    expect(saved.firstMoments.get('head.weight')!.some((m) => m !== 0)).toBe(true);

    const resumedModel = await freshModel(99); // other initial weights: the checkpoint must replace them
    const resumed = await train(resumedModel, data, options('resumed'));
    expect(resumed.steps).toBe(21);
    expect(trajectory(resumed, resumedModel)).toEqual(expected);

    // A finished run's checkpoint resumes to the same result without training.
    const again = await freshModel(98);
    expect(trajectory(await train(again, data, options('resumed')), again)).toEqual(expected);
  });

  test('an already aborted signal writes nothing (and stale temporaries of a killed writer are cleared)', async () => {
    const controller = new AbortController();
    controller.abort();
    const dir = join(root, 'never');
    await mkdir(dir);
    await writeFile(join(dir, `${CHECKPOINT_FILE}.4242.tmp`), 'the remains of a writer killed mid-write');
    await expect(
      train(await freshModel(), data, { ...base, checkpoint: { dir } }, { signal: controller.signal }),
    ).rejects.toMatchObject({ name: 'AbortError', step: 0, checkpoint: null });
    expect(await readdir(dir)).toEqual([]);
  });

  test('resuming with other settings is refused', async () => {
    const dir = join(root, 'settings');
    await train(await freshModel(), data, { ...base, epochs: 1, checkpoint: { dir } });
    await expect(
      train(await freshModel(), data, { ...base, epochs: 1, learningRate: 0.01, checkpoint: { dir } }),
    ).rejects.toThrow(TrainingError);
    await expect(
      train(await freshModel(), data, { ...base, epochs: 1, learningRate: 0.01, checkpoint: { dir, resume: false } }),
    ).resolves.toMatchObject({ steps: perEpoch });
  });

  test('early stopping stops after `patience` epochs without improvement and restores the best parameters', async () => {
    // Validation answers follow another rule half the time: fitting the training rule overshoots it.
    const conflicting: EncodedExample[] = toySequences(16, {
      vocabSize: VOCAB,
      seed: 13,
      rule: (t) => (t * 7 + 1) % VOCAB,
    }).concat(validationSet);
    const model = await freshModel();
    const snapshots: Map<string, Float32Array>[] = [];
    const epochs: TrainProgress[] = [];
    const result = await train(
      model,
      batchedData(trainSet, conflicting, batching),
      { ...base, epochs: 10, learningRate: 0.1, patience: 2 },
      {
        onProgress: (e) => {
          if (e.type === 'epoch') {
            snapshots.push(model.snapshot());
            epochs.push(e);
          }
        },
      },
    );
    expect(result.stoppedEarly).toBe(true);
    expect(result.epochs).toBe(result.bestEpoch! + 2);
    expect(result.epochs).toBeLessThan(10);
    expect(epochs.at(-1)).toMatchObject({ stopping: true, improved: false });
    const validation = result.history.epochs.map((e) => e.validationLoss!);
    expect(result.bestValidationLoss).toBe(Math.min(...validation));
    expect(result.finalValidationLoss).toBeGreaterThan(result.bestValidationLoss!);
    // The last snapshot is taken after the best parameters are put back.
    expect(snapshots.at(-1)).toEqual(snapshots[result.bestEpoch! - 1]);
    expect(model.snapshot()).toEqual(snapshots[result.bestEpoch! - 1]);
  });
});

describe('progress bar', () => {
  test('redraws one line per step on a terminal and keeps epoch summaries', async () => {
    const written: string[] = [];
    const stream = Object.assign(
      new Writable({ write: (chunk, _enc, done) => (written.push(String(chunk)), done()) }),
      { isTTY: true },
    );
    const draw = progressBar(stream);
    draw({
      type: 'step',
      step: 5,
      totalSteps: 20,
      epoch: 1,
      epochs: 2,
      loss: 1.23456,
      learningRate: 2e-4,
      gradientNorm: 1,
      tokensPerSecond: 312.4,
      etaSeconds: 65,
      validationLoss: null,
    });
    draw({
      type: 'epoch',
      step: 10,
      totalSteps: 20,
      epoch: 1,
      epochs: 2,
      trainLoss: 1.1,
      validationLoss: 1.2,
      bestValidationLoss: 1.2,
      improved: true,
      stopping: false,
    });
    expect(written[0]).toMatch(
      // eslint-disable-next-line no-control-regex -- the progress line starts with an ANSI erase-line escape
      /^\r\x1b\[2Kepoch 1\/2 █{6}░{18} 5\/20 · loss 1\.2346 · val – · lr 2\.0e-4 · 312 tok\/s · ETA 1m05s$/,
    );
    expect(written[1]).toBe('\r\x1b[2Kepoch 1/2 done · train 1.1000 · val 1.2000 (best so far)\n');

    // Off a terminal (a log file) only the epoch lines are written, without control codes.
    written.length = 0;
    const log = progressBar(Object.assign(stream, { isTTY: false }));
    log({
      type: 'step',
      step: 6,
      totalSteps: 20,
      epoch: 1,
      epochs: 2,
      loss: 1,
      learningRate: 1e-4,
      gradientNorm: 1,
      tokensPerSecond: 1,
      etaSeconds: 1,
      validationLoss: 1,
    });
    log({
      type: 'epoch',
      step: 20,
      totalSteps: 20,
      epoch: 2,
      epochs: 2,
      trainLoss: 1,
      validationLoss: 1.5,
      bestValidationLoss: 1.2,
      improved: false,
      stopping: true,
    });
    expect(written).toEqual(['epoch 2/2 done · train 1.0000 · val 1.5000 (best 1.2000) · early stop\n']);
  });
});
