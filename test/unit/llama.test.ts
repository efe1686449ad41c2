/**
 * @jest-environment ./test/env/typed-arrays.js
 */
import { readdir, readFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { random } from '../../training/random';
import { Runner } from '../../training/engine/session';
import type { HostTensor } from '../../training/engine/session';
import { initLoraWeights } from '../../training/model/init';
import { buildCachedLogitsGraph, buildLogitsGraph } from '../../training/model/llama';
import {
  ADAPTER_CONFIG,
  ADAPTER_WEIGHTS,
  LoraError,
  loadLoraAdapter,
  loraConfig,
  mergedWeight,
  parseLoraTargets,
  saveLoraAdapter,
  writeMergedModel,
  type LoraAdapter,
} from '../../training/model/lora';
import { LoraModel } from '../../training/model/model-runner';
import { openSafetensors, SINGLE_FILE, writeSafetensors } from '../../training/model/safetensors';
import { createTinyModel, type TinyModel } from '../../training/model/tiny';
import { loadWeights, WeightsError } from '../../training/model/weights';
import type { Batch } from '../../training/trainer/trainable';

let root: string;
let tiny: TinyModel;
const lora = loraConfig(4, 8, ['q', 'v', 'down']);

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'llama-'));
  tiny = await createTinyModel(join(root, 'base'), {
    seed: 21,
    vocabSize: 272,
    hiddenSize: 32,
    intermediateSize: 48,
    numAttentionHeads: 4,
    numKeyValueHeads: 2,
  });
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Rows of token ids, right-padded with id 2 to `seqLen`; the loss counts every real next token. */
function batchOf(rows: number[][], seqLen = Math.max(...rows.map((r) => r.length))): Batch {
  const cells = rows.flatMap((row) =>
    Array.from({ length: seqLen }, (_, t) => ({
      id: row[t] ?? 2,
      real: t < row.length,
      counted: t + 1 < row.length,
      next: row[t + 1] ?? 2,
    })),
  );
  return {
    batchSize: rows.length,
    seqLen,
    inputIds: BigInt64Array.from(cells, (c) => BigInt(c.id)),
    attentionMask: BigInt64Array.from(cells, (c) => (c.real ? 1n : 0n)),
    targets: BigInt64Array.from(cells, (c) => BigInt(c.next)),
    lossMask: Float32Array.from(cells, (c) => (c.counted ? 1 : 0)),
  };
}

/** An adapter whose B matrices are non-zero, so that it changes the model. */
function trainedAdapter(seed: number): LoraAdapter {
  const weights = initLoraWeights(tiny.config, lora, seed);
  [...weights].forEach(([name, t], i) => {
    if (name.endsWith('lora_B.weight'))
      t.data = Float32Array.from(random(t.shape, { seed: seed * 100 + i, low: -0.2, high: 0.2 }));
  });
  return { lora, weights, baseModelNameOrPath: 'tiny-base' };
}

const maxDifference = (a: Float32Array, b: Float32Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

describe('LoRA adapters in PEFT format', () => {
  test('target names: q or q_proj, in layer order; unknown ones are refused', () => {
    expect(parseLoraTargets(['v', 'q_proj', 'gate'])).toEqual(['q_proj', 'v_proj', 'gate_proj']);
    expect(() => parseLoraTargets(['qkv'])).toThrow(/"qkv" is not one of/);
    expect(() => loraConfig(0, 8, ['q'])).toThrow(LoraError);
  });

  test('a new adapter has PEFT names and shapes, B zero, A within ±1/√in, and leaves the model unchanged', async () => {
    const weights = initLoraWeights(tiny.config, lora, 1);
    const a = weights.get('base_model.model.model.layers.1.mlp.down_proj.lora_A.weight')!;
    expect(a.shape).toEqual([4, 48]);
    expect(Math.max(...a.data.map(Math.abs))).toBeLessThanOrEqual(1 / Math.sqrt(48));
    expect(Math.max(...a.data.map(Math.abs))).toBeGreaterThan(0.5 / Math.sqrt(48));
    expect(weights.get('base_model.model.model.layers.0.self_attn.v_proj.lora_B.weight')).toEqual({
      shape: [16, 4],
      data: new Float32Array(64),
    });
    expect(weights.size).toBe(2 * 3 * 2);

    const batch = batchOf([[1, 50, 60, 70, 80]]);
    const [one, two] = [
      await LoraModel.load(tiny.dir, { lora, seed: 1 }),
      await LoraModel.load(tiny.dir, { lora, seed: 2 }),
    ];
    try {
      expect(one.parameters.get('base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight')!.data).not.toEqual(
        two.parameters.get('base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight')!.data,
      );
      expect(maxDifference(await one.logits(batch), await two.logits(batch))).toBe(0);
    } finally {
      await Promise.all([one.dispose(), two.dispose()]);
    }
  });

  test('save and load round-trip: adapter_config.json as PEFT writes it, tensors unchanged, shapes checked', async () => {
    const dir = join(root, 'adapter');
    const adapter = trainedAdapter(3);
    await saveLoraAdapter(dir, adapter);
    expect((await readdir(dir)).sort()).toEqual([ADAPTER_CONFIG, ADAPTER_WEIGHTS]);
    const config = JSON.parse(await readFile(join(dir, ADAPTER_CONFIG), 'utf8'));
    expect(config).toMatchObject({
      peft_type: 'LORA',
      task_type: 'CAUSAL_LM',
      r: 4,
      lora_alpha: 8,
      target_modules: ['q_proj', 'v_proj', 'down_proj'],
      base_model_name_or_path: 'tiny-base',
      bias: 'none',
    });
    const loaded = await loadLoraAdapter(dir, tiny.config);
    expect(loaded.lora).toEqual(lora);
    expect([...loaded.weights.keys()]).toEqual([...adapter.weights.keys()]);
    for (const [name, t] of adapter.weights) expect(loaded.weights.get(name)).toEqual(t);

    const wider = { ...tiny.config, hiddenSize: 64 };
    await expect(loadLoraAdapter(dir, wider)).rejects.toThrow(/lora_A\.weight" is \[4,32\], expected \[4,64\]/);
  });

  test('merging W + (alpha/r)·B·A gives the model the adapter gives', async () => {
    const adapter = trainedAdapter(4);
    const outDir = join(root, 'merged');
    await writeMergedModel(tiny.dir, adapter, outDir);
    expect((await readdir(outDir)).sort()).toEqual((await readdir(tiny.dir)).sort());

    const batch = batchOf([
      [1, 40, 41, 42, 43, 44],
      [1, 90, 91],
    ]);
    const adapted = await LoraModel.load(tiny.dir, { adapter });
    const merged = await LoraModel.load(outDir, { lora });
    try {
      const [withAdapter, withMerge] = [await adapted.logits(batch), await merged.logits(batch)];
      expect(maxDifference(withAdapter, withMerge)).toBeLessThan(1e-5);
      const base = await LoraModel.load(tiny.dir, { lora });
      expect(maxDifference(withAdapter, await base.logits(batch))).toBeGreaterThan(1e-3);
      await base.dispose();
    } finally {
      await Promise.all([adapted.dispose(), merged.dispose()]);
    }
    const a = { shape: [1, 2], data: Float32Array.from([1, 2]) };
    const b = { shape: [2, 1], data: Float32Array.from([3, -1]) };
    expect(Array.from(mergedWeight(Float32Array.from([1, 1, 1, 1]), a, b, 2))).toEqual([7, 13, -1, -3]);
  });
});

describe('weights', () => {
  async function withWeights(
    name: string,
    edit: (tensors: Map<string, { shape: number[]; data: Float32Array }>) => void,
  ): Promise<string> {
    const dir = join(root, name);
    await createTinyModel(dir, { seed: 21, vocabSize: 272, hiddenSize: 32, intermediateSize: 48 });
    const reader = await openSafetensors(dir);
    const tensors = new Map<string, { shape: number[]; data: Float32Array }>();
    for (const n of reader.names) tensors.set(n, await reader.readFloat32(n));
    await reader.close();
    edit(tensors);
    await writeSafetensors(join(dir, SINGLE_FILE), tensors);
    return dir;
  }

  test('a missing weight, a wrong shape or a stranger tensor is an error that names it', async () => {
    const missing = await withWeights('missing', (t) => t.delete('model.layers.1.mlp.up_proj.weight'));
    await expect(loadWeights(missing, tiny.config)).rejects.toThrow(
      new WeightsError(`${missing}: weight "model.layers.1.mlp.up_proj.weight" [48,32] is missing`),
    );
    const reshaped = await withWeights('reshaped', (t) =>
      t.set('model.norm.weight', { shape: [16, 2], data: new Float32Array(32) }),
    );
    await expect(loadWeights(reshaped, tiny.config)).rejects.toThrow(
      /"model\.norm\.weight" is \[16,2\], config\.json implies \[32\]/,
    );
    const stranger = await withWeights('stranger', (t) =>
      t.set('model.layers.0.self_attn.q_norm.weight', { shape: [8], data: new Float32Array(8) }),
    );
    await expect(loadWeights(stranger, tiny.config)).rejects.toThrow(
      /does not have: model\.layers\.0\.self_attn\.q_norm\.weight/,
    );
  });

  test('Linear weights enter the graph as [in, out]; others keep their shape', async () => {
    const weights = await loadWeights(tiny.dir, tiny.config);
    const reader = await openSafetensors(tiny.dir);
    const gate = await reader.readFloat32('model.layers.0.mlp.gate_proj.weight'); // [48, 32]
    await reader.close();
    const graphGate = weights.get('model.layers.0.mlp.gate_proj.weight')!;
    expect(graphGate.shape).toEqual([32, 48]);
    expect(graphGate.data[5 * 48 + 7]).toBe(gate.data[7 * 32 + 5]);
    expect(weights.get('model.embed_tokens.weight')!.shape).toEqual([272, 32]);
  });
});

describe('loss and gradients for the trainer', () => {
  test('only counted targets matter, padding changes nothing, and an empty batch costs no run', async () => {
    const model = await LoraModel.load(tiny.dir, { adapter: trainedAdapter(5) });
    try {
      const rows = [
        [1, 30, 31, 32, 33, 34],
        [1, 60, 61, 62],
      ];
      const batch = batchOf(rows);
      const { loss, tokens, gradients } = await model.lossAndGradients(batch);
      expect(tokens).toBe(5 + 3);
      expect(loss).toBeGreaterThan(5);

      // Targets where the mask is 0 are ignored; a counted one is not.
      const ignored = { ...batch, targets: batch.targets.map((t, i) => (batch.lossMask[i] === 0 ? 7n : t)) };
      expect((await model.loss(ignored)).loss).toBeCloseTo(loss, 6);
      const changed = { ...batch, targets: batch.targets.map((t, i) => (i === 0 ? 9n : t)) };
      expect(Math.abs((await model.loss(changed)).loss - loss)).toBeGreaterThan(1e-4);

      // The same rows padded further (another batch shape) give the same loss and gradients.
      const padded = await model.lossAndGradients(batchOf(rows, 9));
      expect(padded.loss).toBeCloseTo(loss, 5);
      for (const [name, g] of gradients) expect(maxDifference(g, padded.gradients.get(name)!)).toBeLessThan(1e-6);

      const empty = await model.lossAndGradients({ ...batch, lossMask: new Float32Array(batch.lossMask.length) });
      expect(empty.loss).toBe(0);
      expect(empty.tokens).toBe(0);
      expect([...empty.gradients.values()].every((g) => g.every((v) => v === 0))).toBe(true);
      await expect(model.loss({ ...batch, seqLen: 5 })).rejects.toThrow(/batch\.inputIds has 12 values, not 2x5/);
    } finally {
      await model.dispose();
    }
  });

  test('gradient descent on the LoRA parameters lowers the loss', async () => {
    const model = await LoraModel.load(tiny.dir, { lora, seed: 6 });
    try {
      const batch = batchOf([
        [1, 100, 101, 102, 103, 104, 105],
        [1, 150, 151, 152],
      ]);
      const first = await model.lossAndGradients(batch);
      let last = first.loss;
      for (let step = 0; step < 20; step++) {
        const { loss, gradients } = await model.lossAndGradients(batch);
        last = loss;
        for (const [name, p] of model.parameters) {
          const g = gradients.get(name)!;
          for (let i = 0; i < p.data.length; i++) p.data[i] -= g[i];
        }
      }
      expect(last).toBeLessThan(first.loss - 0.2);
      const saved = model.adapter();
      expect(saved.baseModelNameOrPath).toBe(tiny.dir);
      expect(
        saved.weights.get('base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight')!.data.some((v) => v !== 0),
      ).toBe(true);
    } finally {
      await model.dispose();
    }
  });
});

describe('the inference graph with a KV cache', () => {
  test('a prompt then one token at a time gives the logits of the whole sequence, left padding included', async () => {
    const { config } = tiny;
    const weights = await loadWeights(tiny.dir, config);
    const whole = await Runner.create(buildLogitsGraph(config, { batch: 2, seq: 7, initializers: weights }).graph);
    const cached = await Runner.create(buildCachedLogitsGraph(config, { initializers: weights }).graph);
    try {
      // Row 1 is left-padded by 2; its positions count from its first real token, as transformers.js does.
      const tokens = [
        [1, 40, 50, 60, 70, 80, 90],
        [2, 2, 1, 33, 44, 55, 66],
      ];
      const keep = [
        [1, 1, 1, 1, 1, 1, 1],
        [0, 0, 1, 1, 1, 1, 1],
      ];
      const positions = [
        [0, 1, 2, 3, 4, 5, 6],
        [0, 0, 0, 1, 2, 3, 4],
      ];
      const flat = (rows: number[][], from: number, to: number) =>
        BigInt64Array.from(
          rows.flatMap((r) => r.slice(from, to)),
          BigInt,
        );
      const V = config.vocabSize;
      const [kv, hs] = [config.numKeyValueHeads, config.headDim];
      let past: Record<string, HostTensor> = {};
      for (let i = 0; i < config.numHiddenLayers; i++) {
        for (const part of ['key', 'value'])
          past[`past_key_values.${i}.${part}`] = { data: new Float32Array(0), dims: [2, kv, 0, hs] };
      }
      const stepLogits: number[][] = [[], []];
      let done = 0;
      for (const n of [4, 1, 1, 1]) {
        const feeds = {
          input_ids: { data: flat(tokens, done, done + n), dims: [2, n] },
          attention_mask: { data: flat(keep, 0, done + n), dims: [2, done + n] },
          position_ids: { data: flat(positions, done, done + n), dims: [2, n] },
          ...past,
        };
        const out = await cached.run({ ...feeds, num_logits_to_keep: { data: BigInt64Array.of(0n), dims: [] } });
        const logits = out.logits.data as Float32Array;
        // Asked for the last position only (as while generating), the head runs once: that row alone, the same.
        const last = await cached.run({ ...feeds, num_logits_to_keep: { data: BigInt64Array.of(1n), dims: [] } });
        expect(last.logits.dims).toEqual([2, 1, V]);
        for (let b = 0; b < 2; b++) {
          const row = logits.subarray((b * n + n - 1) * V, (b * n + n) * V);
          expect(maxDifference((last.logits.data as Float32Array).subarray(b * V, (b + 1) * V), row)).toBeLessThan(
            1e-6,
          );
        }
        for (let b = 0; b < 2; b++) stepLogits[b].push(...Array.from(logits.subarray(b * n * V, (b + 1) * n * V)));
        past = {};
        for (let i = 0; i < config.numHiddenLayers; i++) {
          for (const part of ['key', 'value']) past[`past_key_values.${i}.${part}`] = out[`present.${i}.${part}`];
        }
        done += n;
      }
      expect(past['past_key_values.0.key'].dims).toEqual([2, kv, 7, hs]);

      // The whole-sequence graph counts positions 0..T-1, so compare the unpadded row everywhere, and the
      // padded row against a run of its real tokens alone.
      const all = (
        await whole.run({
          input_ids: flat(tokens, 0, 7),
          attention_mask: flat(
            [
              [1, 1, 1, 1, 1, 1, 1],
              [1, 1, 1, 1, 1, 1, 1],
            ],
            0,
            7,
          ),
        })
      ).logits.data as Float32Array;
      expect(maxDifference(Float32Array.from(stepLogits[0]), all.subarray(0, 7 * V))).toBeLessThan(1e-5);
      const realOnly = await Runner.create(buildLogitsGraph(config, { batch: 1, seq: 5, initializers: weights }).graph);
      const alone = (
        await realOnly.run({
          input_ids: flat([tokens[1].slice(2)], 0, 5),
          attention_mask: new BigInt64Array(5).fill(1n),
        })
      ).logits.data as Float32Array;
      await realOnly.release();
      expect(maxDifference(Float32Array.from(stepLogits[1].slice(2 * V)), alone)).toBeLessThan(1e-5);
    } finally {
      await Promise.all([whole.release(), cached.release()]);
    }
  });
});
