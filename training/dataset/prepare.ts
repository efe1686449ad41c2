/**
 * The training set: moderated exchanges (approved, or corrected with the moderator's answer)
 * and the seed's train split, cleaned, scrubbed of personal data, deduplicated, split into
 * train and validation, and written as conversations of the model's tool-call protocol.
 */
import { createHash } from 'node:crypto';
import type { PreTrainedTokenizer } from '@huggingface/transformers';
import { isUnderstanding, type ModerationStatus, type Understanding, type WeatherFacts } from '../../bot/core/domain';
import { conversation } from '../../bot/core/protocol';
import type { ExchangeSource } from '../../bot/core/store';
import { encodeChat, EncodeError, type ChatExample } from '../encoding/encode';
import { unsupportedNumbers } from '../../bot/core/fact-guard';
import { questionKey, splitOf, type Split } from './question-key';
import { noneFound, PII_KINDS, scrubPersonalData, type PiiKind } from './scrub';
import { loadSeed, type SeedExample } from './seed';

export type ExampleSource = 'seed' | 'store';
/** 'taught': a store exchange whose moderator corrected the reading (the gold); 'everyday': every other example. */
export type Slice = 'taught' | 'everyday';

export const DROP_REASONS = [
  'pending',
  'rejected',
  'incomplete',
  'errored',
  'unsupported-numbers',
  'too-long',
  'unencodable',
  'held-out',
  'duplicate',
] as const;
/**
 * pending/rejected: not approved by a moderator; incomplete: no query, or no answer to a question
 * with facts; errored: an error reply; unsupported-numbers: the answer has a number its facts do
 * not; too-long: over the character or token limit; unencodable: the tokenizer's chat template
 * refused it; held-out: the question is in the seed's test split; duplicate: a better copy is kept.
 */
export type DropReason = (typeof DROP_REASONS)[number];

export interface PrepareOptions {
  /** Moderated exchanges come from here; none without it. */
  store?: Pick<ExchangeSource, 'exchanges'>;
  /** The seed folder (data/seed): its train split is added and its test split kept out. None without it. */
  seedDir?: string;
  /** Share of questions (by hash) that go to validation. Default 0.1. */
  validationFraction?: number;
  /** Longest conversation kept, in characters of all its messages together. Default 4000. */
  maxChars?: number;
  /** With a tokenizer, conversations longer than `maxTokens` in the model's chat template are dropped too. */
  tokenizer?: PreTrainedTokenizer;
  /** Default 512. */
  maxTokens?: number;
  /** Names of people (users, moderators) to scrub from messages and answers. */
  knownNames?: readonly string[];
}

export interface PreparedExample {
  /** The exchange or seed id it came from. */
  id: string;
  source: ExampleSource;
  split: Split;
  /** The evaluation slice it belongs to. */
  slice: Slice;
  /** The normalized question: the key of deduplication and of the split. */
  key: string;
  query: Understanding;
  chat: ChatExample;
}

export interface PrepareReport {
  /** Records looked at: store exchanges of every status, and seed train examples. */
  considered: number;
  kept: number;
  dropped: Record<DropReason, number>;
  /** Kept examples by where they came from. */
  bySource: Record<ExampleSource, number>;
  /** Kept examples by evaluation slice. */
  bySlice: Record<Slice, number>;
  train: number;
  validation: number;
  /** Personal data replaced, by kind. */
  scrubbed: Record<PiiKind, number>;
}

/** What the model registry records about the data a model was trained on. */
export interface DatasetManifest {
  /** sha256 over the canonical examples (split and messages, in key order), hex. */
  sha256: string;
  examples: number;
  /** Size of that canonical text in bytes. */
  bytes: number;
  train: number;
  validation: number;
}

export interface PreparedDataset {
  /** Sorted by split, then key: the same data always comes out in the same order. */
  examples: PreparedExample[];
  train: ChatExample[];
  validation: ChatExample[];
  report: PrepareReport;
  manifest: DatasetManifest;
}

interface Candidate {
  id: string;
  source: ExampleSource;
  /** The moderation of a store exchange; seed examples count as approved. */
  status: ModerationStatus;
  question: string;
  query: Understanding | null;
  facts: WeatherFacts | null;
  answer: string | null;
  error: string | null;
  /** For choosing between duplicates: corrected first, then the newest; seed examples are the oldest. */
  corrected: boolean;
  /** The moderator corrected the reading: the example is in the taught slice. */
  taught: boolean;
  createdAt: string;
}

async function* storeCandidates(store: Pick<ExchangeSource, 'exchanges'>): AsyncGenerator<Candidate> {
  for await (const exchange of store.exchanges()) {
    const { status, correction, reading } = exchange.moderation;
    // A corrected reading is the gold: the query, the facts looked up for it and the answer grounded in them.
    const gold = status === 'corrected' && reading !== undefined;
    yield {
      id: exchange.id,
      source: 'store',
      status,
      question: exchange.question,
      query: gold ? reading : exchange.query,
      facts: gold ? (exchange.moderation.facts ?? null) : exchange.facts,
      answer: status === 'corrected' ? correction : exchange.answer,
      error: gold ? null : exchange.error,
      corrected: status === 'corrected',
      taught: gold,
      createdAt: exchange.createdAt,
    };
  }
}

/** Why a candidate cannot be used as it is, if it cannot. */
function defect(candidate: Candidate): DropReason | null {
  const { query, facts, answer, status } = candidate;
  if (status === 'pending' || status === 'rejected') return status;
  if (candidate.question.trim() === '' || !isUnderstanding(query)) return 'incomplete';
  if (facts !== null && (answer === null || answer.trim() === '')) return 'incomplete';
  if (candidate.error !== null) return 'errored';
  if (facts !== null && unsupportedNumbers(answer as string, facts).length > 0) return 'unsupported-numbers';
  return null;
}

/** Corrected beats approved; then the newer wins (store ids grow with capture order, which breaks a tie of times). */
function better(a: Candidate, b: Candidate): boolean {
  if (a.corrected !== b.corrected) return a.corrected;
  return a.createdAt !== b.createdAt ? a.createdAt > b.createdAt : a.id > b.id;
}

function canonicalText(examples: readonly PreparedExample[]): string {
  return examples.map((e) => `${JSON.stringify({ split: e.split, messages: e.chat.messages })}\n`).join('');
}

function seedCandidate(example: SeedExample): Candidate {
  const { id, message, query, facts, answer } = example;
  return {
    id,
    source: 'seed',
    status: 'approved',
    question: message,
    query,
    facts,
    answer,
    error: null,
    corrected: false,
    taught: false,
    createdAt: '',
  };
}

interface Limits {
  maxChars: number;
  tokenizer?: PreTrainedTokenizer;
  maxTokens: number;
}

/** The conversation of a clean candidate, or why it is too long for training. */
function trainable(candidate: Candidate, limits: Limits): ChatExample | DropReason {
  const messages = conversation(
    candidate.question,
    candidate.query as Understanding,
    candidate.facts,
    candidate.facts ? candidate.answer : null,
  );
  if (messages.reduce((n, m) => n + m.content.length, 0) > limits.maxChars) return 'too-long';
  const chat: ChatExample = { messages };
  if (!limits.tokenizer) return chat;
  try {
    encodeChat(limits.tokenizer, chat, { maxSeqLen: limits.maxTokens });
    return chat;
  } catch (error) {
    if (!(error instanceof EncodeError)) throw error;
    return error.reason === 'too-long' ? 'too-long' : 'unencodable';
  }
}

export async function prepareDataset(options: PrepareOptions): Promise<PreparedDataset> {
  const validationFraction = options.validationFraction ?? 0.1;
  const limits: Limits = {
    maxChars: options.maxChars ?? 4000,
    tokenizer: options.tokenizer,
    maxTokens: options.maxTokens ?? 512,
  };
  const names = options.knownNames ?? [];
  const dropped = Object.fromEntries(DROP_REASONS.map((r) => [r, 0])) as Record<DropReason, number>;
  const scrubbed = noneFound();
  const scrub = (text: string) => {
    const result = scrubPersonalData(text, names);
    for (const kind of PII_KINDS) scrubbed[kind] += result.found[kind];
    return result.text;
  };

  const seedDir = options.seedDir;
  const heldOut = new Set(seedDir ? (await loadSeed(seedDir, 'test')).map((e) => questionKey(e.message)) : []);
  const seed = seedDir ? await loadSeed(seedDir, 'train') : [];
  async function* candidates(): AsyncGenerator<Candidate> {
    yield* seed.map(seedCandidate);
    if (options.store) yield* storeCandidates(options.store);
  }

  let considered = 0;
  const byKey = new Map<string, { candidate: Candidate; chat: ChatExample }>();
  for await (const raw of candidates()) {
    considered += 1;
    const reason = defect(raw);
    if (reason) {
      dropped[reason] += 1;
      continue;
    }
    const candidate = { ...raw, question: scrub(raw.question), answer: raw.answer === null ? null : scrub(raw.answer) };
    const key = questionKey(candidate.question);
    const chat = key === '' ? 'incomplete' : heldOut.has(key) ? 'held-out' : trainable(candidate, limits);
    if (typeof chat === 'string') {
      dropped[chat] += 1;
      continue;
    }
    const kept = byKey.get(key);
    if (kept) dropped.duplicate += 1;
    if (!kept || better(candidate, kept.candidate)) byKey.set(key, { candidate, chat });
  }

  const examples: PreparedExample[] = [...byKey]
    .map(([key, { candidate, chat }]) => ({
      id: candidate.id,
      source: candidate.source,
      split: splitOf(key, validationFraction),
      slice: candidate.taught ? ('taught' as const) : ('everyday' as const),
      key,
      query: candidate.query as Understanding,
      chat,
    }))
    .sort((a, b) =>
      a.split !== b.split ? (a.split === 'train' ? -1 : 1) : a.key < b.key ? -1 : a.key > b.key ? 1 : 0,
    );

  const train = examples.filter((e) => e.split === 'train').map((e) => e.chat);
  const validation = examples.filter((e) => e.split === 'validation').map((e) => e.chat);
  const text = canonicalText(examples);
  return {
    examples,
    train,
    validation,
    report: {
      considered,
      kept: examples.length,
      dropped,
      bySource: {
        seed: examples.filter((e) => e.source === 'seed').length,
        store: examples.filter((e) => e.source === 'store').length,
      },
      bySlice: {
        taught: examples.filter((e) => e.slice === 'taught').length,
        everyday: examples.filter((e) => e.slice === 'everyday').length,
      },
      train: train.length,
      validation: validation.length,
      scrubbed,
    },
    manifest: {
      sha256: createHash('sha256').update(text).digest('hex'),
      examples: examples.length,
      bytes: Buffer.byteLength(text),
      train: train.length,
      validation: validation.length,
    },
  };
}
