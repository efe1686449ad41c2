/**
 * Encoded examples to padded batches. Examples are grouped into length buckets (multiples of
 * `bucketMultiple` tokens), so a batch pads to its bucket's length and the model sees only a
 * few distinct shapes — each shape may cost it a compiled session. Sequences are right-padded:
 * real tokens sit at positions 0..n−1 and never attend to padding under the causal mask.
 * Training batches are reshuffled every epoch from the seed alone, so a resumed run sees the
 * same batches as an uninterrupted one.
 */

import type { TrainingData } from '../trainer/train';
import type { Batch } from '../trainer/trainable';
import type { EncodedExample } from './encode';
import { seededRandom } from '../random';

export interface BatchingOptions {
  /** Sequences per batch; a bucket's last batch may hold fewer. */
  batchSize: number;
  /** The pad token id (padding positions also get it as their target). */
  padId: number;
  /** Bucket lengths are multiples of this. Default 16. */
  bucketMultiple?: number;
  /** Caps the bucket length; longer examples are an error (encodeChats drops them). */
  maxSeqLen?: number;
}

/** The padded length of a sequence of `length` tokens. */
export function bucketLength(
  length: number,
  { bucketMultiple = 16, maxSeqLen = Infinity }: Omit<BatchingOptions, 'batchSize' | 'padId'> = {},
): number {
  if (length > maxSeqLen) throw new RangeError(`a sequence of ${length} tokens is longer than maxSeqLen ${maxSeqLen}`);
  return Math.min(Math.ceil(length / bucketMultiple) * bucketMultiple, maxSeqLen);
}

/**
 * One batch of `examples` padded to `seqLen`: targets are the inputs shifted left by one, and
 * the loss mask is the assistant mask of the target token (the last position predicts nothing).
 */
export function makeBatch(examples: readonly EncodedExample[], seqLen: number, padId: number): Batch {
  const batchSize = examples.length;
  const inputIds = new BigInt64Array(batchSize * seqLen).fill(BigInt(padId));
  const attentionMask = new BigInt64Array(batchSize * seqLen);
  const targets = new BigInt64Array(batchSize * seqLen).fill(BigInt(padId));
  const lossMask = new Float32Array(batchSize * seqLen);
  examples.forEach(({ ids, assistantMask }, row) => {
    if (ids.length > seqLen)
      throw new RangeError(`a sequence of ${ids.length} tokens does not fit a batch of length ${seqLen}`);
    const at = row * seqLen;
    for (let t = 0; t < ids.length; t++) {
      inputIds[at + t] = BigInt(ids[t]);
      attentionMask[at + t] = 1n;
      if (t + 1 < ids.length) {
        targets[at + t] = BigInt(ids[t + 1]);
        lossMask[at + t] = assistantMask[t + 1];
      }
    }
  });
  return { batchSize, seqLen, inputIds, attentionMask, targets, lossMask };
}

/** Example indices by bucket length, buckets shortest first, indices in input order. */
function buckets(examples: readonly EncodedExample[], options: BatchingOptions): Array<[number, number[]]> {
  const byLength = new Map<number, number[]>();
  examples.forEach((example, i) => {
    const length = bucketLength(example.ids.length, options);
    const bucket = byLength.get(length);
    if (bucket) bucket.push(i);
    else byLength.set(length, [i]);
  });
  return [...byLength].sort(([a], [b]) => a - b);
}

function batchesOf(
  examples: readonly EncodedExample[],
  order: Array<[number, number[]]>,
  options: BatchingOptions,
): Batch[] {
  const batches: Batch[] = [];
  for (const [length, indices] of order) {
    for (let i = 0; i < indices.length; i += options.batchSize) {
      batches.push(
        makeBatch(
          indices.slice(i, i + options.batchSize).map((j) => examples[j]),
          length,
          options.padId,
        ),
      );
    }
  }
  return batches;
}

/** Batches in a fixed order (bucket by bucket), for validation. */
export function orderedBatches(examples: readonly EncodedExample[], options: BatchingOptions): Batch[] {
  return batchesOf(examples, buckets(examples, options), options);
}

/**
 * One epoch's batches: each bucket's examples shuffled, batched, then the batches shuffled; fixed by seed and epoch.
 */
export function shuffledBatches(
  examples: readonly EncodedExample[],
  options: BatchingOptions,
  seed: number,
  epochIndex: number,
): Batch[] {
  const random = seededRandom(mixSeed(seed, epochIndex));
  const order = buckets(examples, options).map(([length, indices]): [number, number[]] => [
    length,
    shuffle(indices, random),
  ]);
  return shuffle(batchesOf(examples, order, options), random);
}

/** The trainer's view of a training and a validation set. */
export function batchedData(
  train: readonly EncodedExample[],
  validation: readonly EncodedExample[],
  options: BatchingOptions,
): TrainingData {
  const validationBatches = orderedBatches(validation, options);
  return {
    trainBatches: (epochIndex, seed) => shuffledBatches(train, options, seed, epochIndex),
    validationBatches: () => validationBatches,
  };
}

/** A 32-bit seed for (seed, epoch) whose streams are unrelated for neighbouring epochs (murmur3's finaliser). */
function mixSeed(seed: number, epochIndex: number): number {
  let h = (Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(epochIndex + 1, 0x85ebca6b)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Fisher–Yates into a new array. */
function shuffle<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}
