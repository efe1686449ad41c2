import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AutoTokenizer, env, type PreTrainedTokenizer } from '@huggingface/transformers';
import { buildFacts } from '../../bot/answers/facts';
import { renderAnswer } from '../../bot/answers/templates';
import type { WeatherQuery } from '../../bot/core/domain';
import { conversation, factsText, queryText } from '../../bot/core/protocol';
import { encodeChat, EncodeError, type ChatExample, type ChatRole } from '../../training/encoding/encode';
import { prepareDataset } from '../../training/dataset/prepare';
import { createTinyModel } from '../../training/model/tiny';
import { makeReport } from '../helpers/report';

env.allowRemoteModels = false;

const shippedSeed = join(import.meta.dirname, '..', '..', 'data', 'seed');
let root: string;
let seedDir: string;
let tokenizer: PreTrainedTokenizer;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'dataset-tokens-'));
  tokenizer = await AutoTokenizer.from_pretrained((await createTinyModel(join(root, 'tiny'))).dir);
  // Every 30th line of the shipped seed: enough variety in length, quick to tokenize.
  seedDir = join(root, 'seed');
  await mkdir(seedDir);
  for (const split of ['train', 'test']) {
    const lines = (await readFile(join(shippedSeed, `${split}.jsonl`), 'utf-8')).split('\n').filter(Boolean);
    await writeFile(join(seedDir, `${split}.jsonl`), `${lines.filter((_, i) => i % 30 === 0).join('\n')}\n`);
  }
});
afterAll(() => rm(root, { recursive: true, force: true }));

const query: WeatherQuery = {
  weather: true,
  location: 'Paris',
  region: null,
  when: 'tomorrow',
  aspect: 'rain',
  units: null,
};
const facts = buildFacts(makeReport(), query);
const answer = renderAnswer(facts);
const example: ChatExample = { messages: conversation('Will it rain in Paris tomorrow?', query, facts, answer) };

/** The decoded runs of tokens with the given mask value. */
function runs(ids: Int32Array, mask: Uint8Array, trained: 0 | 1): string[] {
  const out: string[] = [];
  let current: number[] = [];
  const flush = () => {
    if (current.length) out.push(tokenizer.decode(current, { skip_special_tokens: false }));
    current = [];
  };
  ids.forEach((id, i) => (mask[i] === trained ? current.push(id) : flush()));
  flush();
  return out;
}

test('a tool turn is read like a user turn: only the two assistant turns are learned', () => {
  const { ids, assistantMask } = encodeChat(tokenizer, example, { maxSeqLen: 2048 });
  expect(runs(ids, assistantMask, 1)).toEqual([`${queryText(query)}<|im_end|>`, `${answer}<|im_end|>`]);
  const unlearned = runs(ids, assistantMask, 0);
  expect(unlearned.some((run) => run.includes(`<|im_start|>tool\n${factsText(facts)}<|im_end|>`))).toBe(true);
  // The encoding ends at the last learned token, before the template's closing newline.
  const rendered = tokenizer.apply_chat_template(example.messages, { tokenize: false }) as string;
  expect(tokenizer.decode(Array.from(ids), { skip_special_tokens: false })).toBe(rendered.replace(/\n$/, ''));
});

test('roles outside system, user, assistant and tool are still refused', () => {
  const odd = {
    messages: [
      { role: 'robot' as ChatRole, content: 'beep' },
      { role: 'assistant' as ChatRole, content: 'boop' },
    ],
  };
  expect(() => encodeChat(tokenizer, odd, { maxSeqLen: 64 })).toThrow(EncodeError);
});

test('with a tokenizer, prepareDataset drops conversations longer than maxTokens in the chat template', async () => {
  const length = encodeChat(tokenizer, example, { maxSeqLen: 4096 }).ids.length;
  const loose = await prepareDataset({ seedDir, tokenizer, maxTokens: 4096 });
  expect(loose.report.dropped['too-long']).toBe(0);
  const strict = await prepareDataset({ seedDir, tokenizer, maxTokens: length });
  expect(strict.report.dropped['too-long']).toBeGreaterThan(0);
  expect(strict.report.kept + strict.report.dropped['too-long']).toBe(loose.report.kept);
  for (const kept of strict.examples)
    expect(encodeChat(tokenizer, kept.chat, { maxSeqLen: length }).ids.length).toBeLessThanOrEqual(length);
});
