/**
 * A byte-level BPE tokenizer in the HF `tokenizers` format, as GPT-2 and SmolLM2 use: text is
 * split into words (digits one by one, then GPT-2's pattern), each word's UTF-8 bytes are
 * spelled with 256 printable stand-in characters, and learned merges join frequent neighbours.
 * Any text encodes (every byte has a token), and decoding gives the same text back.
 * Training is the textbook loop: count adjacent pairs over the corpus's words, merge the most
 * frequent, repeat.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BYTE_CHARS } from '../../bot/core/byte-level';

export const END_OF_TEXT = '<|endoftext|>';
export const IM_START = '<|im_start|>';
export const IM_END = '<|im_end|>';
/** Ids 0, 1, 2, as in SmolLM2. */
export const SPECIAL_TOKENS = [END_OF_TEXT, IM_START, IM_END] as const;

/**
 * ChatML, like SmolLM2-Instruct's template but with no default system turn:
 * `<|im_start|>{role}\n{content}<|im_end|>\n` per message, then the assistant's header when
 * a generation prompt is asked for.
 */
export const CHATML_TEMPLATE =
  `{% for message in messages %}{{ '${IM_START}' + message['role'] + '\n' + message['content'] + '${IM_END}' + '\n' }}{% endfor %}` +
  `{% if add_generation_prompt %}{{ '${IM_START}assistant\n' }}{% endif %}`;

// The same splits as the tokenizer.json pre-tokenizer below (Digits, then the word pattern).
const DIGIT_SPLIT = /[^\d]+|\d/gu;

/**
 * How text is cut into words before merges. `gpt2` is GPT-2's pattern (a word carries the space before it).
 * `initials` keeps spaces apart and cuts a word's first letter off: "Paris" alone, after a space or after a quote has
 * the same tokens, and "paris" differs from it in the first only — so a small model can copy a name it never saw from
 * a message into a query, changing its case with one token.
 */
export const WORD_SPLITS = {
  gpt2: String.raw`'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`,
  initials: String.raw`'s|'t|'re|'ve|'m|'ll|'d|(?<!\p{L})\p{L}|\p{L}+|\p{N}+|[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`,
} as const;
export type WordSplit = keyof typeof WORD_SPLITS;
const SPECIAL_SPLIT = new RegExp(SPECIAL_TOKENS.map((t) => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'), 'g');

/** The byte-level words the tokenizer sees in `text` (special tokens are not words: they are cut out). */
export function byteLevelWords(text: string, split: WordSplit = 'gpt2'): string[] {
  const encoder = new TextEncoder();
  const wordSplit = new RegExp(WORD_SPLITS[split], 'gu');
  const words: string[] = [];
  for (const segment of text.split(SPECIAL_SPLIT)) {
    for (const piece of segment.match(DIGIT_SPLIT) ?? []) {
      for (const word of piece.match(wordSplit) ?? []) {
        words.push(Array.from(encoder.encode(word), (byte) => BYTE_CHARS[byte]).join(''));
      }
    }
  }
  return words;
}

export interface ByteLevelBpe {
  /** Token strings by id: the special tokens, the 256 byte characters, then one per merge. */
  vocab: string[];
  /** Merges in rank order. */
  merges: Array<[string, string]>;
  split: WordSplit;
}

export class TokenizerTrainingError extends Error {
  override name = 'TokenizerTrainingError';
}

/** The smallest vocabulary: special tokens and the 256 bytes. */
export const BASE_VOCAB_SIZE = SPECIAL_TOKENS.length + 256;

/**
 * Learns merges from `corpus` until the vocabulary holds `vocabSize` tokens. Ties go to the
 * pair that sorts first, so the result depends on the corpus alone.
 */
export function trainByteLevelBpe(corpus: string, vocabSize: number, split: WordSplit = 'gpt2'): ByteLevelBpe {
  if (!Number.isInteger(vocabSize) || vocabSize < BASE_VOCAB_SIZE) {
    throw new TokenizerTrainingError(
      `vocabulary size must be an integer of at least ${BASE_VOCAB_SIZE} (special tokens + 256 bytes), got ${vocabSize}`,
    );
  }
  const vocab = [...SPECIAL_TOKENS, ...BYTE_CHARS];
  const known = new Set(vocab);
  const merges: Array<[string, string]> = [];

  const counts = new Map<string, number>();
  for (const word of byteLevelWords(corpus, split)) counts.set(word, (counts.get(word) ?? 0) + 1);
  const words = [...counts].map(([word, count]) => ({ symbols: Array.from(word), count }));

  while (vocab.length < vocabSize) {
    const best = mostFrequentPair(words);
    if (!best) {
      throw new TokenizerTrainingError(
        `the corpus supports a vocabulary of only ${vocab.length} tokens (${merges.length} merges); asked for ${vocabSize}`,
      );
    }
    const [left, right] = best;
    merges.push([left, right]);
    const merged = left + right;
    if (!known.has(merged)) {
      known.add(merged);
      vocab.push(merged);
    }
    for (const word of words) word.symbols = mergePair(word.symbols, left, right);
  }
  return { vocab, merges, split };
}

function mostFrequentPair(words: Array<{ symbols: string[]; count: number }>): [string, string] | null {
  const pairs = new Map<string, { pair: [string, string]; count: number }>();
  for (const { symbols, count } of words) {
    for (let i = 0; i + 1 < symbols.length; i++) {
      const key = `${symbols[i]} ${symbols[i + 1]}`;
      const seen = pairs.get(key);
      if (seen) seen.count += count;
      else pairs.set(key, { pair: [symbols[i], symbols[i + 1]], count });
    }
  }
  let best: { pair: [string, string]; count: number } | null = null;
  for (const candidate of pairs.values()) {
    if (
      !best ||
      candidate.count > best.count ||
      (candidate.count === best.count && comparePairs(candidate.pair, best.pair) < 0)
    )
      best = candidate;
  }
  return best?.pair ?? null;
}

function comparePairs(a: [string, string], b: [string, string]): number {
  return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0;
}

function mergePair(symbols: string[], left: string, right: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < symbols.length; i++) {
    if (i + 1 < symbols.length && symbols[i] === left && symbols[i + 1] === right) {
      out.push(left + right);
      i++;
    } else {
      out.push(symbols[i]);
    }
  }
  return out;
}

const ADDED_TOKEN_FLAGS = { single_word: false, lstrip: false, rstrip: false, normalized: false, special: true };
const addedToken = (content: string) => ({
  content,
  lstrip: false,
  normalized: false,
  rstrip: false,
  single_word: false,
});

/** `tokenizer.json` in the HF tokenizers format (the layout of SmolLM2's). */
export function tokenizerJson(bpe: ByteLevelBpe): Record<string, unknown> {
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: SPECIAL_TOKENS.map((content, id) => ({ id, content, ...ADDED_TOKEN_FLAGS })),
    normalizer: null,
    pre_tokenizer: {
      type: 'Sequence',
      pretokenizers: [
        { type: 'Digits', individual_digits: true },
        ...(bpe.split === 'gpt2'
          ? [{ type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true }]
          : [
              { type: 'Split', pattern: { Regex: WORD_SPLITS[bpe.split] }, behavior: 'Isolated', invert: false },
              { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: false },
            ]),
      ],
    },
    post_processor: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: false, use_regex: true },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab: Object.fromEntries(bpe.vocab.map((token, id) => [token, id])),
      // Byte-level symbols never contain a space, so the classic "left right" strings are unambiguous.
      merges: bpe.merges.map(([left, right]) => `${left} ${right}`),
    },
  };
}

/** `tokenizer_config.json`: ChatML roles, <|im_end|> ends a turn and pads, as in SmolLM2-Instruct. */
export function tokenizerConfigJson(vocabSize: number, modelMaxLength: number): Record<string, unknown> {
  return {
    add_prefix_space: false,
    added_tokens_decoder: Object.fromEntries(
      SPECIAL_TOKENS.map((content, id) => [String(id), { ...addedToken(content), special: true }]),
    ),
    additional_special_tokens: [IM_START, IM_END],
    bos_token: IM_START,
    chat_template: CHATML_TEMPLATE,
    clean_up_tokenization_spaces: false,
    eos_token: IM_END,
    model_max_length: modelMaxLength,
    pad_token: IM_END,
    tokenizer_class: 'GPT2Tokenizer',
    unk_token: END_OF_TEXT,
    vocab_size: vocabSize,
  };
}

export function specialTokensMapJson(): Record<string, unknown> {
  return {
    additional_special_tokens: [IM_START, IM_END],
    bos_token: addedToken(IM_START),
    eos_token: addedToken(IM_END),
    pad_token: addedToken(IM_END),
    unk_token: addedToken(END_OF_TEXT),
  };
}

/** Token ids of the special tokens, for config.json and generation_config.json. */
export const SPECIAL_TOKEN_IDS = {
  bos: SPECIAL_TOKENS.indexOf(IM_START),
  eos: SPECIAL_TOKENS.indexOf(IM_END),
  pad: SPECIAL_TOKENS.indexOf(IM_END),
};

/** Writes tokenizer.json, tokenizer_config.json and special_tokens_map.json; returns the file names. */
export async function writeTokenizerFiles(dir: string, bpe: ByteLevelBpe, modelMaxLength: number): Promise<string[]> {
  const files: Record<string, unknown> = {
    'tokenizer.json': tokenizerJson(bpe),
    'tokenizer_config.json': tokenizerConfigJson(bpe.vocab.length, modelMaxLength),
    'special_tokens_map.json': specialTokensMapJson(),
  };
  for (const [name, json] of Object.entries(files))
    await writeFile(join(dir, name), JSON.stringify(json, null, 2) + '\n');
  return Object.keys(files);
}
