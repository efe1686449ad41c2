/**
 * @jest-environment ./test/env/typed-arrays.js
 */
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AutoTokenizer, env, type PreTrainedTokenizer, type Tensor } from '@huggingface/transformers';
import {
  GenerationTimeoutError,
  GeneratorDisposedError,
  ModelFolderError,
  ModelGenerator,
  type Generation,
} from '../../bot/model/generator';
import { grammarMatches } from '../../bot/core/grammar';
import { guardQuery, queryGrammar, readQuery } from '../../bot/core/guard';
import { PROMPT_PREFIX, queryPrompt, SYSTEM_PROMPT, type ProtocolMessage } from '../../bot/core/protocol';
import { NICKNAMES } from '../../bot/understanding/places';
import { understandByRules } from '../../bot/understanding/rules';
import { Runner } from '../../training/engine/session';
import { exportModel } from '../../training/export/model-folder';
import { buildLogitsGraph } from '../../training/model/llama';
import { openSafetensors, SINGLE_FILE, writeSafetensors } from '../../training/model/safetensors';
import { createTinyModel, type TinyModel } from '../../training/model/tiny';
import { loadWeights } from '../../training/model/weights';

env.allowRemoteModels = false;

let root: string;
let tiny: TinyModel;
let exportDir: string;
let generator: ModelGenerator;
let tokenizer: PreTrainedTokenizer;
let reference: Runner;

const IM_END = 2;
const question = (text: string): ProtocolMessage[] => queryPrompt(text);

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'generator-'));
  tiny = await createTinyModel(join(root, 'base'), { seed: 51 });
  // Weights scaled up (norms aside): at the factory's scale a random model repeats one token.
  const reader = await openSafetensors(tiny.dir);
  const tensors = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const name of reader.names) {
    const { shape, data } = await reader.readFloat32(name);
    tensors.set(name, { shape, data: name.endsWith('norm.weight') ? data : data.map((v) => v * 5) });
  }
  await reader.close();
  await writeSafetensors(join(tiny.dir, SINGLE_FILE), tensors, { format: 'pt' });

  exportDir = (await exportModel({ modelDir: tiny.dir, outDir: join(root, 'export') })).outDir;
  // fp32: its tokens are checked against the fp32 reference graph's.
  generator = await ModelGenerator.load(exportDir, { threads: 1, dtype: 'fp32' });
  tokenizer = await AutoTokenizer.from_pretrained(exportDir, { local_files_only: true });
  const weights = await loadWeights(tiny.dir, tiny.config);
  reference = await Runner.create(buildLogitsGraph(tiny.config, { batch: 1, seq: 'seq', initializers: weights }).graph);
});
afterAll(async () => {
  await Promise.all([generator?.dispose(), reference?.release()]);
  await rm(root, { recursive: true, force: true });
});

/** ChatML written out by hand, with the assistant's header: what the model must continue. */
function chatml(messages: ProtocolMessage[]): string {
  return `${messages.map((m) => `<|im_start|>${m.role}\n${m.content}<|im_end|>\n`).join('')}<|im_start|>assistant\n`;
}

/** Greedy continuation by our own forward graph, stopping after a stop token or `count` tokens. */
async function greedy(
  messages: ProtocolMessage[],
  count: number,
  stops: readonly number[] = [IM_END],
): Promise<number[]> {
  const prompt = tokenizer.encode(chatml(messages));
  const V = tiny.config.vocabSize;
  const out: number[] = [];
  while (out.length < count && !stops.includes(out[out.length - 1])) {
    const ids = BigInt64Array.from([...prompt, ...out], (t) => BigInt(t));
    const { logits } = await reference.run({
      input_ids: { data: ids, dims: [1, ids.length] },
      attention_mask: { data: new BigInt64Array(ids.length).fill(1n), dims: [1, ids.length] },
    });
    const last = (logits.data as Float32Array).subarray((ids.length - 1) * V);
    out.push(last.indexOf(Math.max(...last)));
  }
  return out;
}

const elapsed = async (work: Promise<unknown>): Promise<{ ms: number; error: unknown }> => {
  const start = Date.now();
  const error = await work.then(
    () => undefined,
    (e: unknown) => e,
  );
  return { ms: Date.now() - start, error };
};

describe('ModelGenerator', () => {
  test('writes the assistant turn of the chat template greedily, up to maxNewTokens', async () => {
    expect(generator.stopTokenIds).toContain(IM_END);
    const messages = question('Will it rain in Seattle tomorrow?');
    expect(messages[0]).toEqual({ role: 'system', content: SYSTEM_PROMPT });
    const result = await generator.generate(messages, { maxNewTokens: 12, timeoutMs: 10_000 });
    const expected = await greedy(messages, 12);
    expect(expected).toHaveLength(12);
    expect(result).toMatchObject<Partial<Generation>>({
      text: tokenizer.decode(expected, { skip_special_tokens: true }),
      tokens: 12,
      finish: 'length',
    });
    expect(result.text.length).toBeGreaterThan(5);
    expect(result.ms).toBeGreaterThan(0);
  });

  test('stops at an end-of-sequence token and leaves it out of the text', async () => {
    const messages = question('How cold is it in Chicago tonight?');
    const free = await greedy(messages, 10);
    const stop = free[4];
    const at = free.indexOf(stop);
    const dir = join(root, 'stop-export');
    await cp(exportDir, dir, { recursive: true });
    await writeFile(
      join(dir, 'generation_config.json'),
      JSON.stringify({ bos_token_id: 1, eos_token_id: stop, pad_token_id: 2 }),
    );
    const stopping = await ModelGenerator.load(dir);
    try {
      expect([...stopping.stopTokenIds].sort()).toEqual([stop, IM_END].sort());
      const result = await stopping.generate(messages, { maxNewTokens: 50, timeoutMs: 10_000 });
      expect(result).toMatchObject({
        text: tokenizer.decode(free.slice(0, at), { skip_special_tokens: true }),
        tokens: at + 1,
        finish: 'stop',
      });
    } finally {
      await stopping.dispose();
    }
  });

  test('under a grammar it writes a sentence of the grammar and stops: a valid query, where free it writes junk', async () => {
    for (const message of ['Will it rain in Seattle tomorrow?', 'how cold is it in ho chi minh city', 'hello there']) {
      const rules = understandByRules(message);
      const grammar = queryGrammar(message, rules, NICKNAMES);
      const free = await generator.generate(question(message), { maxNewTokens: 60, timeoutMs: 10_000 });
      const held = await generator.generate(question(message), { maxNewTokens: 200, timeoutMs: 10_000, grammar });
      expect(readQuery(free.text)).toBeNull();
      expect(held.finish).toBe('stop');
      expect(grammarMatches(grammar, held.text)).toBe(true);
      expect(readQuery(held.text)).not.toBeNull();
      expect(guardQuery(message, held.text, rules, NICKNAMES).fallback).not.toBe('invalid');
    }
  });

  test('the timeout ends a long generation on time, and the model serves the next call', async () => {
    const { ms, error } = await elapsed(
      generator.generate(question('Tell me about the weekend in Denver.'), { maxNewTokens: 100_000, timeoutMs: 150 }),
    );
    expect(error).toBeInstanceOf(GenerationTimeoutError);
    expect(ms).toBeGreaterThanOrEqual(145);
    expect(ms).toBeLessThan(3_000); // 100,000 tokens would take minutes
    await expect(generator.generate(question('hi'), { maxNewTokens: 3, timeoutMs: 10_000 })).resolves.toMatchObject({
      tokens: 3,
    });
  });

  test('an abort signal ends a generation, or refuses one before it starts', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const { ms, error } = await elapsed(
      generator.generate(question('Snow in Denver?'), {
        maxNewTokens: 100_000,
        timeoutMs: 10_000,
        signal: controller.signal,
      }),
    );
    expect(error).toMatchObject({ name: 'AbortError' });
    expect(ms).toBeLessThan(3_000);
    await expect(
      generator.generate(question('Snow?'), { maxNewTokens: 3, timeoutMs: 10_000, signal: controller.signal }),
    ).rejects.toMatchObject({ name: 'AbortError' });
  });

  test('concurrent calls run one at a time, in call order, and all complete with their own answers', async () => {
    const prompts = ['Rain in Paris?', 'Wind in Boston?', 'Humidity in Miami?', 'Sun in Los Angeles?'].map(question);
    const alone: Generation[] = [];
    for (const messages of prompts)
      alone.push(await generator.generate(messages, { maxNewTokens: 16, timeoutMs: 10_000 }));
    const together = await Promise.all(
      prompts.map((messages) => generator.generate(messages, { maxNewTokens: 16, timeoutMs: 10_000 })),
    );
    expect(together.map((r) => r.text)).toEqual(alone.map((r) => r.text));
    expect(new Set(alone.map((r) => r.text)).size).toBeGreaterThan(1);
    for (let i = 1; i < together.length; i++) {
      // Called in the same tick: each starts only when the one before has finished.
      expect(together[i].waitedMs).toBeGreaterThanOrEqual(together[i - 1].waitedMs + together[i - 1].ms - 2);
    }
  });

  test('a call queued behind a slow one times out on its own deadline', async () => {
    const slow = elapsed(
      generator.generate(question('A long story, please.'), { maxNewTokens: 100_000, timeoutMs: 500 }),
    );
    const queued = await elapsed(generator.generate(question('hi'), { maxNewTokens: 3, timeoutMs: 100 }));
    expect(queued.error).toBeInstanceOf(GenerationTimeoutError);
    expect(queued.ms).toBeLessThan(400);
    expect((await slow).error).toBeInstanceOf(GenerationTimeoutError);
  });

  test('a prompt starts from the KV cache of the longest beginning it shares with an earlier one, with the same tokens', async () => {
    const fresh = () => ModelGenerator.load(exportDir, { threads: 1, dtype: 'fp32' });
    const [warm, cold] = await Promise.all([fresh(), fresh()]);
    const limits = { maxNewTokens: 10, timeoutMs: 10_000 };
    const promptLength = (messages: ProtocolMessage[], add_generation_prompt = true) =>
      (tokenizer.apply_chat_template(messages, { add_generation_prompt, return_dict: true }) as { input_ids: Tensor })
        .input_ids.dims[1];
    try {
      const seattle = question('Will it rain in Seattle tomorrow?');
      const first = await warm.generate(seattle, limits);
      expect(first.reusedTokens).toBe(0);
      // The same prompt again: all of it but the last token, whose logits start the reply.
      const again = await warm.generate(seattle, limits);
      expect(again).toMatchObject({ text: first.text, reusedTokens: promptLength(seattle) - 1 });
      // Another message: the system prompt and the user turn's start are shared.
      const oslo = question('snow in Oslo?');
      const reused = await warm.generate(oslo, limits);
      expect(reused.reusedTokens).toBeGreaterThanOrEqual(promptLength(oslo.slice(0, 1), false));
      expect(reused.reusedTokens).toBeLessThan(promptLength(oslo) - 1);
      expect(reused.text).toBe((await cold.generate(oslo, limits)).text);
      // The answer step repeats the query step's conversation: it starts past all of the query's prompt.
      const answer = [
        ...oslo,
        { role: 'assistant' as const, content: reused.text },
        { role: 'tool' as const, content: '{}' },
      ];
      const answered = await warm.generate(answer, limits);
      expect(answered.reusedTokens).toBeGreaterThanOrEqual(promptLength(oslo));
      expect(answered.text).toBe((await cold.generate(answer, limits)).text);
    } finally {
      await Promise.all([warm.dispose(), cold.dispose()]);
    }
  });

  test("loaded with the protocol's prefix, its very first prompt starts past the system prompt, with the same tokens", async () => {
    const [pinned, plain] = await Promise.all([
      ModelGenerator.load(exportDir, { threads: 1, dtype: 'fp32', prefix: PROMPT_PREFIX }),
      ModelGenerator.load(exportDir, { threads: 1, dtype: 'fp32' }),
    ]);
    const limits = { maxNewTokens: 10, timeoutMs: 10_000 };
    const prefixLength = (
      tokenizer.apply_chat_template([...PROMPT_PREFIX], { return_dict: true }) as { input_ids: Tensor }
    ).input_ids.dims[1];
    try {
      const oslo = question('snow in Oslo?');
      const first = await pinned.generate(oslo, limits);
      expect(first.reusedTokens).toBe(prefixLength);
      expect(first.text).toBe((await plain.generate(oslo, limits)).text);
      // Kept for good: still there after more prompts than the generator keeps of its own.
      for (const text of ['a', 'b', 'c'])
        await pinned.generate([...PROMPT_PREFIX, { role: 'user', content: text }], limits);
      const later = await pinned.generate(question('wind in Lima'), limits);
      expect(later.reusedTokens).toBeGreaterThanOrEqual(prefixLength);
    } finally {
      await Promise.all([pinned.dispose(), plain.dispose()]);
    }
  });

  test('serves the int8 weights by default, fp32 when asked or when the folder has none', async () => {
    const served = async (dir: string, dtype?: 'fp32' | 'q8') => {
      const loaded = await ModelGenerator.load(dir, { threads: 1, dtype });
      const { text } = await loaded.generate(question('rain in Oslo?'), { maxNewTokens: 4, timeoutMs: 10_000 });
      await loaded.dispose();
      return { dtype: loaded.dtype, written: text.length > 0 };
    };
    expect(generator.dtype).toBe('fp32');
    expect(await served(exportDir)).toEqual({ dtype: 'q8', written: true });
    expect(await served(exportDir, 'fp32')).toEqual({ dtype: 'fp32', written: true });
    const older = join(root, 'fp32-only-export');
    await cp(exportDir, older, { recursive: true });
    await rm(join(older, 'onnx', 'model_quantized.onnx'));
    expect(await served(older)).toEqual({ dtype: 'fp32', written: true });
    await rm(join(older, 'onnx', 'model.onnx'));
    await expect(ModelGenerator.load(older)).rejects.toThrow(
      new ModelFolderError(`${older} is not a transformers.js model folder: onnx/model.onnx is missing`),
    );
  });

  test('a folder that is not an export is refused, naming what is missing', async () => {
    await expect(ModelGenerator.load(tiny.dir)).rejects.toThrow(
      new ModelFolderError(`${tiny.dir} is not a transformers.js model folder: onnx/model.onnx is missing`),
    );
  });

  test('dispose lets the generation in flight finish, then frees the model and refuses new calls', async () => {
    const own = await ModelGenerator.load(exportDir);
    const inFlight = own.generate(question('Rain in Seattle?'), { maxNewTokens: 8, timeoutMs: 10_000 });
    const disposed = own.dispose();
    expect(own.dispose()).toBe(disposed);
    await expect(inFlight).resolves.toMatchObject({ tokens: 8 });
    await disposed;
    await expect(own.generate(question('hi'), { maxNewTokens: 3, timeoutMs: 10_000 })).rejects.toBeInstanceOf(
      GeneratorDisposedError,
    );
  });
});
