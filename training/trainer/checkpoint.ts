/**
 * Trainer checkpoints: everything a resumed run needs to carry on as if it had never stopped —
 * parameters, AdamW moments, the data position, the best parameters so far and the history —
 * in one safetensors file written to a temporary name and renamed into place, so the file on
 * disk is always a whole checkpoint (the previous one until the rename).
 */

import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { openSafetensors, writeSafetensors, type TensorToWrite } from '../model/safetensors';

export const CHECKPOINT_FILE = 'trainer-checkpoint.safetensors';
const FORMAT = 'weatherbot-trainer-checkpoint/1';

export interface StepRecord {
  /** Optimiser step, from 1. */
  step: number;
  /** Epoch the step belongs to, from 1. */
  epoch: number;
  /** Token-weighted mean training loss of the step's micro-batches. */
  loss: number;
  learningRate: number;
  /** Global gradient norm before clipping. */
  gradientNorm: number;
  /** Counted (loss) targets in the step. */
  tokens: number;
}

export interface EpochRecord {
  /** From 1. */
  epoch: number;
  /** The last optimiser step of the epoch. */
  step: number;
  /** Token-weighted mean training loss over the epoch. */
  trainLoss: number;
  /** Token-weighted mean validation loss after the epoch; null without a validation set. */
  validationLoss: number | null;
}

/** The scalar part of a checkpoint (the tensors travel beside it). */
export interface TrainerState {
  /** The run settings that decide its trajectory; a resume must match them. */
  run: Record<string, number | boolean | null>;
  /** Optimiser steps done. */
  step: number;
  /** Zero-based epoch in progress. */
  epochIndex: number;
  /** Next micro-batch of that epoch. */
  nextBatch: number;
  /** Sums over the epoch so far, for its mean training loss. */
  epochLossSum: number;
  epochTokens: number;
  /** Non-padding input tokens trained on. */
  tokensSeen: number;
  /** Counted (loss) targets trained on. */
  targetTokens: number;
  elapsedMs: number;
  initialValidationLoss: number | null;
  best: { validationLoss: number; epoch: number; step: number } | null;
  epochsWithoutImprovement: number;
  stoppedEarly: boolean;
  finished: boolean;
  steps: StepRecord[];
  epochs: EpochRecord[];
}

export interface Checkpoint {
  state: TrainerState;
  parameters: Map<string, Float32Array>;
  firstMoments: Map<string, Float32Array>;
  secondMoments: Map<string, Float32Array>;
  /** Parameters at the best validation loss so far; empty until an epoch has been validated. */
  bestParameters: Map<string, Float32Array>;
}

const GROUPS = ['parameters', 'firstMoments', 'secondMoments', 'bestParameters'] as const;

export class CheckpointError extends Error {
  override name = 'CheckpointError';
}

export async function writeCheckpoint(
  dir: string,
  checkpoint: Checkpoint,
  shapes: ReadonlyMap<string, readonly number[]>,
): Promise<string> {
  const tensors: Array<[string, TensorToWrite]> = [];
  for (const group of GROUPS) {
    for (const [name, data] of checkpoint[group])
      tensors.push([`${group}/${name}`, { shape: shapes.get(name) ?? [data.length], data }]);
  }
  const path = join(dir, CHECKPOINT_FILE);
  await writeSafetensors(path, tensors, { format: FORMAT, state: JSON.stringify(checkpoint.state) });
  return path;
}

/** The checkpoint in `dir`, or null when there is none. */
export async function readCheckpoint(dir: string): Promise<Checkpoint | null> {
  const path = join(dir, CHECKPOINT_FILE);
  if (
    !(await stat(path).then(
      () => true,
      () => false,
    ))
  )
    return null;
  const reader = await openSafetensors(path);
  try {
    if (reader.metadata.format !== FORMAT)
      throw new CheckpointError(`${path}: not a trainer checkpoint (format ${reader.metadata.format ?? 'missing'})`);
    const checkpoint: Checkpoint = {
      state: JSON.parse(reader.metadata.state) as TrainerState,
      parameters: new Map(),
      firstMoments: new Map(),
      secondMoments: new Map(),
      bestParameters: new Map(),
    };
    for (const key of reader.names) {
      const slash = key.indexOf('/');
      const group = key.slice(0, slash) as (typeof GROUPS)[number];
      if (!GROUPS.includes(group)) throw new CheckpointError(`${path}: unexpected tensor ${key}`);
      checkpoint[group].set(key.slice(slash + 1), (await reader.readFloat32(key)).data);
    }
    return checkpoint;
  } finally {
    await reader.close();
  }
}

/** Temporary files a writer killed mid-write left behind (a finished write leaves none). */
export async function removeStaleTemporaries(dir: string): Promise<void> {
  for (const name of await readdir(dir)) {
    if (name.startsWith(`${CHECKPOINT_FILE}.`) && name.endsWith('.tmp')) await rm(join(dir, name), { force: true });
  }
}
