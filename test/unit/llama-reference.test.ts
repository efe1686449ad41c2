/**
 * @jest-environment ./test/env/typed-arrays.js
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  FIXTURE,
  makeReferenceModel,
  REFERENCE_BATCH,
  REFERENCE_CASES,
  referenceAdapter,
  type ReferenceFixture,
} from '../../scripts/reference/cases';
import { checkGradients } from '../../training/engine/gradcheck';
import { random } from '../../training/random';
import { initLoraWeights } from '../../training/model/init';
import { buildLossGraph } from '../../training/model/llama';
import { loraConfig } from '../../training/model/lora';
import { lossRows, LoraModel } from '../../training/model/model-runner';
import { loadWeights } from '../../training/model/weights';
import type { TensorData } from '../../training/engine/graph';

let root: string;
let fixture: ReferenceFixture;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'llama-reference-'));
  fixture = JSON.parse(await readFile(FIXTURE, 'utf8'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

function cosine(a: ArrayLike<number>, b: ArrayLike<number>): { cosine: number; normError: number } {
  let [dot, aa, bb, diff] = [0, 0, 0, 0];
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i];
    aa += a[i] * a[i];
    bb += b[i] * b[i];
    diff += (a[i] - b[i]) ** 2;
  }
  return { cosine: dot / Math.sqrt(aa * bb), normError: Math.sqrt(diff) / Math.sqrt(bb) };
}

describe('the model against the independent PyTorch reference (fixture)', () => {
  test.each(REFERENCE_CASES.map((c) => [c.name, c] as const))(
    '%s: logits, loss and every LoRA gradient agree',
    async (name, c) => {
      const expected = fixture.cases[name];
      const dir = join(root, name);
      const { config, sha256 } = await makeReferenceModel(dir, c);
      // A different model file means the tiny-model factory changed: regenerate the fixture.
      expect(`${name} model.safetensors sha256 ${sha256}`).toBe(
        `${name} model.safetensors sha256 ${expected.modelSha256}`,
      );

      const model = await LoraModel.load(dir, { adapter: referenceAdapter(config) });
      try {
        const logits = await model.logits(REFERENCE_BATCH);
        expect(logits.length).toBe(expected.logits.length);
        const worst = logits.reduce((m, v, i) => Math.max(m, Math.abs(v - expected.logits[i])), 0);
        expect(worst).toBeLessThan(1e-4);

        const { loss, tokens, gradients } = await model.lossAndGradients(REFERENCE_BATCH);
        expect(tokens).toBe(REFERENCE_BATCH.lossMask.reduce((n, m) => n + m, 0));
        expect(Math.abs(loss - expected.loss)).toBeLessThan(1e-5);
        expect([...gradients.keys()].sort()).toEqual(Object.keys(expected.gradients).sort());
        for (const [param, grad] of gradients) {
          const { cosine: similarity, normError } = cosine(grad, expected.gradients[param]);
          expect(
            `${param} cos ${similarity > 0.9999 ? 'ok' : similarity} norm ${normError < 1e-3 ? 'ok' : normError}`,
          ).toBe(`${param} cos ok norm ok`);
        }
        expect((await model.loss(REFERENCE_BATCH)).loss).toBeCloseTo(loss, 6);
      } finally {
        await model.dispose();
      }
    },
  );
});

describe('gradients of the whole model', () => {
  test('every LoRA gradient of a tiny two-layer GQA model matches finite differences in float64', async () => {
    const dir = join(root, 'gradcheck');
    const model = {
      seed: 3,
      vocabSize: 262,
      hiddenSize: 8,
      numHiddenLayers: 2,
      numAttentionHeads: 2,
      numKeyValueHeads: 1,
      intermediateSize: 8,
      attentionBias: true,
    };
    const { config } = await makeReferenceModel(dir, { name: 'gradcheck', model });
    const lora = loraConfig(2, 4, ['q', 'k', 'v', 'o', 'gate', 'up', 'down']);
    const batch = {
      ...REFERENCE_BATCH,
      inputIds: REFERENCE_BATCH.inputIds.map((id) => id % 262n),
      targets: REFERENCE_BATCH.targets.map((id) => id % 262n),
    };
    const {
      loss,
      lora: params,
      frozenInputs,
    } = buildLossGraph(config, { batch: batch.batchSize, seq: batch.seqLen, dtype: 'float64', lora });
    const weights = await loadWeights(dir, config);
    const rows = lossRows(batch);
    const feeds: Record<string, TensorData | { data: TensorData; dims: number[] }> = {
      input_ids: batch.inputIds,
      attention_mask: batch.attentionMask,
      loss_positions: { data: rows.positions, dims: [rows.tokens] },
      loss_targets: { data: rows.targets, dims: [rows.tokens] },
      loss_weights: { data: Float64Array.from(rows.weights), dims: [rows.tokens] },
    };
    for (const name of frozenInputs.keys()) feeds[name] = Float64Array.from(weights.get(name)!.data);
    [...initLoraWeights(config, lora, 1)].forEach(([name, t], i) => {
      feeds[name] = name.endsWith('lora_B.weight')
        ? random(t.shape, { seed: 70 + i, low: -0.5, high: 0.5 })
        : Float64Array.from(t.data);
    });
    const checks = await checkGradients(loss, [...params.values()], feeds, { epsilon: 1e-4 });
    expect(checks).toHaveLength(2 * 2 * 7);
    for (const { param, relativeError } of checks) {
      expect(`${param}: ${relativeError < 1e-6 ? 'ok' : `relative error ${relativeError}`}`).toBe(`${param}: ok`);
    }
  });
});
