/**
 * @jest-environment ./test/env/typed-arrays.js
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AutoModelForCausalLM,
  AutoTokenizer,
  env,
  Tensor,
  type PreTrainedModel,
  type PreTrainedTokenizer,
} from '@huggingface/transformers';
import { random } from '../../training/random';
import { Runner } from '../../training/engine/session';
import { exportModel } from '../../training/export/model-folder';
import { initLoraWeights } from '../../training/model/init';
import { buildLogitsGraph } from '../../training/model/llama';
import { loraConfig, saveLoraAdapter, writeMergedModel, type LoraAdapter } from '../../training/model/lora';
import { LoraModel } from '../../training/model/model-runner';
import { openSafetensors, SINGLE_FILE, writeSafetensors } from '../../training/model/safetensors';
import { createTinyModel, type TinyModel, type TinyModelOptions } from '../../training/model/tiny';
import { loadWeights } from '../../training/model/weights';

env.allowRemoteModels = false;

/** Logits [T, V] of one sequence, from our own training-side forward graph. */
type Forward = (tokens: readonly number[]) => Promise<Float32Array>;

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'export-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/**
 * A tiny model whose weights (all but the norms) are scaled up: at the factory's 0.02 a random
 * model repeats one token, and a greedy comparison of repeats proves little.
 */
async function variedTinyModel(dir: string, options: TinyModelOptions): Promise<TinyModel> {
  const tiny = await createTinyModel(dir, options);
  const reader = await openSafetensors(dir);
  const tensors = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const name of reader.names) {
    const { shape, data } = await reader.readFloat32(name);
    tensors.set(name, { shape, data: name.endsWith('norm.weight') ? data : data.map((v) => v * 5) });
  }
  await reader.close();
  await writeSafetensors(join(dir, SINGLE_FILE), tensors, { format: 'pt' });
  return tiny;
}

/** An adapter on q, v and down whose B matrices are non-zero, so that it changes the model. */
function randomAdapter(tiny: TinyModel): LoraAdapter {
  const lora = loraConfig(4, 8, ['q', 'v', 'down']);
  const weights = initLoraWeights(tiny.config, lora, 5);
  [...weights].forEach(([name, t], i) => {
    if (name.endsWith('lora_B.weight'))
      t.data = Float32Array.from(random(t.shape, { seed: 700 + i, low: -0.3, high: 0.3 }));
  });
  return { lora, weights, baseModelNameOrPath: tiny.dir };
}

async function graphForward(
  modelDir: string,
  tiny: TinyModel,
): Promise<{ forward: Forward; release: () => Promise<void> }> {
  const weights = await loadWeights(modelDir, tiny.config);
  const runner = await Runner.create(
    buildLogitsGraph(tiny.config, { batch: 1, seq: 'seq', initializers: weights }).graph,
  );
  const forward: Forward = async (tokens) => {
    const ids = BigInt64Array.from(tokens, (t) => BigInt(t));
    const out = await runner.run({
      input_ids: { data: ids, dims: [1, ids.length] },
      attention_mask: { data: new BigInt64Array(ids.length).fill(1n), dims: [1, ids.length] },
    });
    return out.logits.data as Float32Array;
  };
  return { forward, release: () => runner.release() };
}

async function adapterForward(
  tiny: TinyModel,
  adapter: LoraAdapter,
): Promise<{ forward: Forward; release: () => Promise<void> }> {
  const model = await LoraModel.load(tiny.dir, { adapter });
  const forward: Forward = (tokens) =>
    model.logits({
      batchSize: 1,
      seqLen: tokens.length,
      inputIds: BigInt64Array.from(tokens, (t) => BigInt(t)),
      attentionMask: new BigInt64Array(tokens.length).fill(1n),
    });
  return { forward, release: () => model.dispose() };
}

const maxDifference = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
};
const argmax = (row: ArrayLike<number>) => {
  let best = 0;
  for (let i = 1; i < row.length; i++) if (row[i] > row[best]) best = i;
  return best;
};
const ones = (n: number) => new Tensor('int64', new BigInt64Array(n).fill(1n), [1, n]);

const VARIANTS: Array<{ name: string; options: TinyModelOptions; adapter?: boolean }> = [
  { name: 'Llama, grouped-query attention (4 heads, 2 kv), tied head', options: { seed: 31 } },
  {
    name: 'Llama, multi-head attention, untied head',
    options: { seed: 32, numKeyValueHeads: 4, tieWordEmbeddings: false },
  },
  {
    name: 'Qwen2 with q/k/v bias, 4 heads sharing 1 kv',
    options: { seed: 33, attentionBias: true, numKeyValueHeads: 1 },
  },
  { name: 'Llama with a LoRA adapter merged in', options: { seed: 34 }, adapter: true },
];

describe.each(VARIANTS)(
  'transformers.js runs the export of a tiny $name',
  ({ name, options, adapter: withAdapter }) => {
    let tiny: TinyModel;
    let model: PreTrainedModel;
    let tokenizer: PreTrainedTokenizer;
    let ours: { forward: Forward; release: () => Promise<void> };
    let prompt: number[];

    beforeAll(async () => {
      const dir = join(root, name.replace(/\W+/g, '-'));
      tiny = await variedTinyModel(join(dir, 'base'), options);
      let adapterDir: string | undefined;
      if (withAdapter) {
        const adapter = randomAdapter(tiny);
        adapterDir = join(dir, 'adapter');
        await saveLoraAdapter(adapterDir, adapter);
        ours = await adapterForward(tiny, adapter);
      } else {
        ours = await graphForward(tiny.dir, tiny);
      }
      const exported = await exportModel({ modelDir: tiny.dir, adapterDir, outDir: join(dir, 'export') });
      model = await AutoModelForCausalLM.from_pretrained(exported.outDir, { local_files_only: true });
      tokenizer = await AutoTokenizer.from_pretrained(exported.outDir, { local_files_only: true });
      const chat = [{ role: 'user', content: 'Will it rain in Seattle tomorrow?' }];
      prompt = tokenizer.apply_chat_template(chat, {
        add_generation_prompt: true,
        tokenize: true,
        return_tensor: false,
        return_dict: false,
      }) as number[];
      expect(prompt.length).toBeGreaterThan(10);
    });
    afterAll(async () => {
      await Promise.all([model?.dispose(), ours?.release()]);
    });

    test("the prompt step and a cached step give our forward graph's logits (max abs error < 1e-4)", async () => {
      const { vocabSize: V, numKeyValueHeads: kv, headDim: hs, numHiddenLayers: layers } = tiny.config;
      const T = prompt.length;
      const first = await model({
        input_ids: new Tensor('int64', BigInt64Array.from(prompt, BigInt), [1, T]),
        attention_mask: ones(T),
      });
      expect(first.logits.dims).toEqual([1, T, V]);
      const expectedFirst = await ours.forward(prompt);
      expect(maxDifference(first.logits.data as Float32Array, expectedFirst)).toBeLessThan(1e-4);

      const next = argmax((first.logits.data as Float32Array).subarray((T - 1) * V));
      const past: Record<string, Tensor> = {};
      for (let i = 0; i < layers; i++) {
        for (const part of ['key', 'value']) {
          const present = first[`present.${i}.${part}`] as Tensor;
          expect(present.dims).toEqual([1, kv, T, hs]);
          past[`past_key_values.${i}.${part}`] = present;
        }
      }
      const second = await model({
        input_ids: new Tensor('int64', BigInt64Array.from([BigInt(next)]), [1, 1]),
        attention_mask: ones(T + 1),
        past_key_values: past,
      });
      expect(second.logits.dims).toEqual([1, 1, V]);
      expect((second['present.0.key'] as Tensor).dims).toEqual([1, kv, T + 1, hs]);
      const expectedSecond = (await ours.forward([...prompt, next])).subarray(T * V);
      expect(maxDifference(second.logits.data as Float32Array, expectedSecond)).toBeLessThan(1e-4);
    });

    test('greedy generation agrees token for token with a greedy loop over our forward graph', async () => {
      const V = tiny.config.vocabSize;
      const eos = tiny.config.eosTokenIds;
      const ids = new Tensor('int64', BigInt64Array.from(prompt, BigInt), [1, prompt.length]);
      const sequences = (await model.generate({
        input_ids: ids,
        attention_mask: ones(prompt.length),
        do_sample: false,
        max_new_tokens: 20,
      })) as Tensor;
      const theirs = (sequences.tolist() as bigint[][])[0].slice(prompt.length).map(Number);

      const mine: number[] = [];
      while (mine.length < 20 && !eos.includes(mine[mine.length - 1])) {
        const tokens = [...prompt, ...mine];
        mine.push(argmax((await ours.forward(tokens)).subarray((tokens.length - 1) * V)));
      }
      expect(theirs).toEqual(mine);
      expect(new Set(mine).size).toBeGreaterThan(3);
    });
  },
);

test('the export with an adapter is the base with W + (alpha/r)·B·A, and not the base', async () => {
  const dir = join(root, 'merge');
  const tiny = await variedTinyModel(join(dir, 'base'), { seed: 35, tieWordEmbeddings: false, attentionBias: true });
  const adapter = randomAdapter(tiny);
  await saveLoraAdapter(join(dir, 'adapter'), adapter);
  await writeMergedModel(tiny.dir, adapter, join(dir, 'merged'));
  const [withAdapter, base] = await Promise.all([
    exportModel({ modelDir: tiny.dir, adapterDir: join(dir, 'adapter'), outDir: join(dir, 'export') }),
    exportModel({ modelDir: tiny.dir, outDir: join(dir, 'export-base') }),
  ]);
  const merged = await graphForward(join(dir, 'merged'), tiny);
  const models = await Promise.all(
    [withAdapter, base].map((e) => AutoModelForCausalLM.from_pretrained(e.outDir, { local_files_only: true })),
  );
  try {
    const prompt = [1, 70, 80, 90, 100, 110, 120];
    const feed = {
      input_ids: new Tensor('int64', BigInt64Array.from(prompt, BigInt), [1, prompt.length]),
      attention_mask: ones(prompt.length),
    };
    const [adapted, plain] = await Promise.all(models.map(async (m) => (await m(feed)).logits.data as Float32Array));
    const expected = await merged.forward(prompt);
    expect(maxDifference(adapted, expected)).toBeLessThan(1e-4);
    expect(maxDifference(plain, expected)).toBeGreaterThan(1e-2);
  } finally {
    await Promise.all([...models.map((m) => m.dispose()), merged.release()]);
  }
});
