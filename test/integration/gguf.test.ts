/**
 * @jest-environment ./test/env/typed-arrays.js
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AutoModelForCausalLM, AutoTokenizer, env, type Tensor } from '@huggingface/transformers';
import { queryPrompt, queryText } from '../../bot/core/protocol';
import { exportGguf } from '../../training/export/gguf';
import { understandByRules } from '../../bot/understanding/rules';
import { taughtModel } from '../helpers/model-fixtures';
import { runScript } from '../helpers/run-script';

env.allowRemoteModels = false;

const TOKENS = 64;
const END_OF_TURN = 2;
const MESSAGES = ['Will it rain in Seattle tomorrow?', 'how windy is it in Wellington'];

let root: string;
/** A tiny model fine-tuned (LoRA) until it writes these readings greedily: the GGUF is of the base with it merged. */
let taught: { base: string; adapter: string };
/** Each message's prompt token ids and transformers.js's greedy continuation of them (fp32). */
let references: Array<{ prompt: number[]; continuation: number[] }>;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'gguf-'));
  const examples = MESSAGES.map((message) => ({
    messages: [...queryPrompt(message), { role: 'assistant' as const, content: queryText(understandByRules(message)) }],
  }));
  const source = await taughtModel(join(root, 'taught'), examples);
  taught = { base: join(root, 'taught', 'base'), adapter: join(root, 'taught', 'adapter') };
  const onnxDir = join(source, 'model');
  const tokenizer = await AutoTokenizer.from_pretrained(onnxDir, { local_files_only: true });
  const model = await AutoModelForCausalLM.from_pretrained(onnxDir, { local_files_only: true, dtype: 'fp32' });
  references = [];
  for (const message of MESSAGES) {
    const inputs = tokenizer.apply_chat_template(queryPrompt(message), {
      add_generation_prompt: true,
      return_dict: true,
    }) as { input_ids: Tensor; attention_mask: Tensor };
    const prompt = (inputs.input_ids.tolist() as bigint[][])[0].map(Number);
    const written = (await model.generate({ ...inputs, max_new_tokens: TOKENS, do_sample: false })) as Tensor;
    references.push({ prompt, continuation: (written.tolist() as bigint[][])[0].slice(prompt.length).map(Number) });
  }
  await model.dispose();
}, 120_000);
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** llama.cpp's greedy continuation of each reference prompt, one after another. */
async function llamaCpp(file: string) {
  const prompts = JSON.stringify(references.map(({ prompt }) => prompt));
  const run = await runScript('test/helpers/llama-cpp-greedy.ts', [file, prompts, String(TOKENS)]);
  if (run.code !== 0) throw new Error(`llama.cpp failed (${run.code}): ${run.stderr}`);
  return JSON.parse(run.stdout.trim().split('\n').at(-1)!) as {
    architecture: string;
    chatTemplate: string | null;
    runs: Array<{ tokens: number[]; reusedTokens: number }>;
  };
}

describe('GGUF export', () => {
  test.each(['f16', 'q8_0'] as const)(
    '%s: llama.cpp loads the fine-tuned model and writes the tokens transformers.js writes',
    async (dtype) => {
      const outFile = join(root, `tiny-${dtype}.gguf`);
      const { bytes } = await exportGguf({ modelDir: taught.base, adapterDir: taught.adapter, outFile, dtype });
      expect(bytes).toBeGreaterThan(0);
      const read = await llamaCpp(outFile);
      expect(read.architecture).toBe('llama');
      expect(read.chatTemplate).toContain('<|im_start|>');
      for (const [i, { continuation }] of references.entries()) {
        expect(continuation.length).toBeGreaterThan(20); // the reading it was taught, not an empty turn
        // llama.cpp stops before it yields the end of the turn; transformers.js includes it.
        expect(read.runs[i].tokens).toEqual(continuation.filter((token) => token !== END_OF_TURN));
      }
      // The second prompt was read on from the first one's system prompt, still in the KV cache.
      expect(read.runs.map((run) => run.reusedTokens)).toEqual([0, expect.any(Number)]);
      expect(read.runs[1].reusedTokens).toBeGreaterThan(10);
    },
    60_000,
  );

  test('an existing file is kept unless overwrite is asked', async () => {
    const outFile = join(root, 'kept.gguf');
    await exportGguf({ modelDir: taught.base, outFile, dtype: 'f16' });
    await expect(exportGguf({ modelDir: taught.base, outFile, dtype: 'f16' })).rejects.toThrow(/already exists/);
    await expect(exportGguf({ modelDir: taught.base, outFile, dtype: 'q8_0', overwrite: true })).resolves.toMatchObject(
      {
        outFile,
      },
    );
  });
});
