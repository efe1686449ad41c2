import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AutoTokenizer, env, type PreTrainedTokenizer } from '@huggingface/transformers';
import {
  batchedData,
  bucketLength,
  makeBatch,
  orderedBatches,
  shuffledBatches,
} from '../../training/encoding/batching';
import {
  encodeChat,
  encodeChats,
  EncodeError,
  type ChatExample,
  type EncodedExample,
} from '../../training/encoding/encode';
import { createTinyModel } from '../../training/model/tiny';

env.allowRemoteModels = false;

let root: string;
let tokenizer: PreTrainedTokenizer;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'batching-'));
  const model = await createTinyModel(join(root, 'tiny'));
  tokenizer = await AutoTokenizer.from_pretrained(model.dir);
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const conversation: ChatExample = {
  messages: [
    { role: 'system', content: 'You are WeatherBot.' },
    { role: 'user', content: 'Will it rain in Seattle tomorrow?' },
    { role: 'assistant', content: 'Yes: a 70% chance of rain, high of 14°C.' },
    { role: 'user', content: 'And in Denver?' },
    { role: 'assistant', content: '\n Snow is likely on Saturday in Denver.' },
    { role: 'user', content: 'Thanks!' },
  ],
};

/** The decoded runs of consecutive masked (1) or unmasked (0) tokens. */
function runs({ ids, assistantMask }: EncodedExample, trained: 0 | 1): string[] {
  const out: string[] = [];
  let current: number[] = [];
  const flush = () => {
    if (current.length) out.push(tokenizer.decode(current, { skip_special_tokens: false }));
    current = [];
  };
  ids.forEach((id, i) => (assistantMask[i] === trained ? current.push(id) : flush()));
  flush();
  return out;
}

describe('encodeChat', () => {
  test('masks exactly each assistant answer and its <|im_end|>', () => {
    const encoded = encodeChat(tokenizer, conversation, { maxSeqLen: 512 });
    expect(runs(encoded, 1)).toEqual([
      'Yes: a 70% chance of rain, high of 14°C.<|im_end|>',
      '\n Snow is likely on Saturday in Denver.<|im_end|>',
    ]);
    expect(runs(encoded, 0)).toEqual([
      '<|im_start|>system\nYou are WeatherBot.<|im_end|>\n<|im_start|>user\nWill it rain in Seattle tomorrow?<|im_end|>\n<|im_start|>assistant\n',
      '\n<|im_start|>user\nAnd in Denver?<|im_end|>\n<|im_start|>assistant\n',
    ]);
  });

  test('the ids are the tokens of the full chat-template rendering, up to the last trained token', () => {
    const encoded = encodeChat(tokenizer, conversation, { maxSeqLen: 512 });
    const rendered = tokenizer.apply_chat_template(conversation.messages, { tokenize: false }) as string;
    const full = tokenizer.encode(rendered, { add_special_tokens: false });
    expect(full.length).toBeGreaterThan(encoded.ids.length);
    expect(Array.from(encoded.ids)).toEqual(full.slice(0, encoded.ids.length));
    expect(tokenizer.decode(full.slice(encoded.ids.length), { skip_special_tokens: false })).toBe(
      '\n<|im_start|>user\nThanks!<|im_end|>\n',
    );
    expect(encoded.ids.at(-1)).toBe(tokenizer.eos_token_id);
    expect(encoded.assistantMask.at(-1)).toBe(1);
  });

  test('an assistant message with weight 0 stays out of the loss', () => {
    const weighted: ChatExample = {
      messages: conversation.messages.map((m, i) => (i === 2 ? { ...m, weight: 0 as const } : m)),
    };
    expect(runs(encodeChat(tokenizer, weighted, { maxSeqLen: 512 }), 1)).toEqual([
      '\n Snow is likely on Saturday in Denver.<|im_end|>',
    ]);
  });

  test('refuses what it cannot train on, and says why', () => {
    const length = encodeChat(tokenizer, conversation, { maxSeqLen: 512 }).ids.length;
    const examples: ChatExample[] = [
      conversation,
      { messages: [{ role: 'user', content: 'Hello?' }] },
      { messages: [{ role: 'robot' as 'user', content: 'beep' }] },
      { messages: [] },
    ];
    const { examples: kept, dropped } = encodeChats(tokenizer, examples, { maxSeqLen: length - 1 });
    expect(kept).toEqual([]);
    expect(dropped.map(({ index, reason }) => [index, reason])).toEqual([
      [0, 'too-long'],
      [1, 'no-assistant'],
      [2, 'invalid'],
      [3, 'invalid'],
    ]);
    expect(dropped[0].message).toBe(`${length} tokens, more than ${length - 1}`);
    expect(encodeChats(tokenizer, examples.slice(0, 1), { maxSeqLen: length }).examples).toHaveLength(1);
    expect(() => encodeChat(tokenizer, conversation, { maxSeqLen: 512, endOfTurn: '<|nope|>' })).toThrow(EncodeError);
  });
});

const example = (length: number, answerFrom: number, first = 10): EncodedExample => ({
  ids: Int32Array.from({ length }, (_, t) => first + t),
  assistantMask: Uint8Array.from({ length }, (_, t) => (t >= answerFrom ? 1 : 0)),
});

describe('batching', () => {
  test('bucket lengths are multiples, capped at maxSeqLen', () => {
    expect([1, 16, 17, 32, 33].map((n) => bucketLength(n))).toEqual([16, 16, 32, 32, 48]);
    expect(bucketLength(40, { bucketMultiple: 32, maxSeqLen: 50 })).toBe(50);
    expect(() => bucketLength(51, { maxSeqLen: 50 })).toThrow(RangeError);
  });

  test("a batch is right-padded; targets are the next token and the loss mask is the target's assistant mask", () => {
    const batch = makeBatch([example(5, 3), example(3, 1, 20)], 6, 2);
    expect(batch).toMatchObject({ batchSize: 2, seqLen: 6 });
    expect(Array.from(batch.inputIds, Number)).toEqual([10, 11, 12, 13, 14, 2, 20, 21, 22, 2, 2, 2]);
    expect(Array.from(batch.attentionMask, Number)).toEqual([1, 1, 1, 1, 1, 0, 1, 1, 1, 0, 0, 0]);
    expect(Array.from(batch.targets, Number)).toEqual([11, 12, 13, 14, 2, 2, 21, 22, 2, 2, 2, 2]);
    expect(Array.from(batch.lossMask)).toEqual([0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 0, 0]);
  });

  test('groups by bucket, so each batch pads only to its bucket', () => {
    const lengths = [3, 40, 17, 16, 5, 33, 31, 8, 48, 12];
    const examples = lengths.map((n) => example(n, 1));
    const batches = orderedBatches(examples, { batchSize: 3, padId: 0 });
    expect(batches.map((b) => [b.seqLen, b.batchSize])).toEqual([
      [16, 3],
      [16, 2],
      [32, 2],
      [48, 3],
    ]);
    for (const batch of batches) {
      const real = Array.from({ length: batch.batchSize }, (_, row) =>
        batch.attentionMask.slice(row * batch.seqLen, (row + 1) * batch.seqLen).reduce((a, b) => a + b, 0n),
      );
      expect(real.every((n) => bucketLength(Number(n)) === batch.seqLen)).toBe(true);
    }
  });

  test('shuffles per epoch from the seed alone; every example once per epoch', () => {
    const examples = Array.from({ length: 40 }, (_, i) => example(4 + ((i * 7) % 30), 2, 100 * i));
    const options = { batchSize: 4, padId: 0, bucketMultiple: 8 };
    const firstTokens = (batches: ReturnType<typeof shuffledBatches>) =>
      batches.flatMap((b) => Array.from({ length: b.batchSize }, (_, row) => Number(b.inputIds[row * b.seqLen])));
    const epoch0 = firstTokens(shuffledBatches(examples, options, 7, 0));
    expect(firstTokens(shuffledBatches(examples, options, 7, 0))).toEqual(epoch0);
    expect(firstTokens(shuffledBatches(examples, options, 7, 1))).not.toEqual(epoch0);
    expect(firstTokens(shuffledBatches(examples, options, 8, 0))).not.toEqual(epoch0);
    expect([...epoch0].sort((a, b) => a - b)).toEqual(examples.map((e) => e.ids[0]));
    const data = batchedData(examples, examples.slice(0, 5), options);
    expect(data.trainBatches(3, 7).length).toBe(data.trainBatches(0, 7).length);
    expect(data.validationBatches().reduce((n, b) => n + b.batchSize, 0)).toBe(5);
  });

  test('encoded chats batch end to end', () => {
    const encoded = encodeChat(tokenizer, conversation, { maxSeqLen: 512 });
    const [batch] = orderedBatches([encoded], { batchSize: 1, padId: tokenizer.pad_token_id });
    const n = encoded.ids.length;
    const counted = Array.from(batch.lossMask.slice(0, n - 1))
      .map((m, t) => (m ? Number(batch.targets[t]) : -1))
      .filter((id) => id >= 0);
    expect(counted).toEqual(Array.from(encoded.ids).filter((_, t) => encoded.assistantMask[t] === 1));
    expect(batch.lossMask.reduce((a, b) => a + b, 0)).toBe(encoded.assistantMask.reduce((a, b) => a + b, 0));
  });
});
