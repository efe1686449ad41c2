/**
 * The training loop: epochs of shuffled batches, gradient accumulation, clipping, AdamW on the
 * scheduled learning rate, validation after each epoch, early stopping that keeps the best
 * parameters, checkpoints a resumed run continues from exactly, and cancellation between steps.
 */

import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { AdamW } from './adamw';
import {
  CHECKPOINT_FILE,
  readCheckpoint,
  removeStaleTemporaries,
  writeCheckpoint,
  type Checkpoint,
  type EpochRecord,
  type StepRecord,
  type TrainerState,
} from './checkpoint';
import { clipGradients, globalNorm, GradientAccumulator } from './gradients';
import { learningRateAt } from './lr-schedule';
import type { Batch, TrainableModel } from './trainable';

/** Where batches come from (training/encoding/batching.ts builds one from encoded examples). */
export interface TrainingData {
  /**
   * The micro-batches of one epoch in training order; the same epoch and seed give the same batches, and every epoch
   * the same count.
   */
  trainBatches(epochIndex: number, seed: number): readonly Batch[];
  /** The validation batches (may be none). */
  validationBatches(): readonly Batch[];
}

export interface TrainOptions {
  /** Default 3. */
  epochs?: number;
  /** Peak learning rate. Default 2e-4. */
  learningRate?: number;
  /** Linear warmup steps; when omitted, `warmupRatio` of all steps (default 0.05), at least 1. */
  warmupSteps?: number;
  warmupRatio?: number;
  /** The cosine ends at learningRate × this. Default 0.1. */
  minLearningRateRatio?: number;
  /** Default 0. */
  weightDecay?: number;
  /** Default 0.9 and 0.999. */
  beta1?: number;
  beta2?: number;
  /** Default 1e-8. */
  epsilon?: number;
  /** Clip the global gradient norm to this; 0 turns clipping off. Default 1. */
  maxGradientNorm?: number;
  /** Micro-batches per optimiser step. Default 1. */
  gradientAccumulation?: number;
  /** Seeds the per-epoch shuffle. Default 0. */
  seed?: number;
  /** Stop after this many validated epochs without improvement (needs validation data). Default: never. */
  patience?: number;
  /** An improvement must lower the validation loss by more than this. Default 0. */
  minDelta?: number;
  /** End with the parameters of the best validation epoch. Default true (when there is validation data). */
  restoreBest?: boolean;
  checkpoint?: {
    dir: string;
    /** Also checkpoint every this many steps (always after each epoch). Default: epochs only. */
    everySteps?: number;
    /** Continue from the checkpoint in `dir` when there is one. Default true. */
    resume?: boolean;
  };
}

export type TrainProgress =
  | {
      type: 'step';
      step: number;
      totalSteps: number;
      epoch: number;
      epochs: number;
      loss: number;
      learningRate: number;
      gradientNorm: number;
      tokensPerSecond: number;
      etaSeconds: number;
      /** The latest validation loss, null before the first. */
      validationLoss: number | null;
    }
  | {
      type: 'epoch';
      step: number;
      totalSteps: number;
      epoch: number;
      epochs: number;
      trainLoss: number;
      validationLoss: number | null;
      bestValidationLoss: number | null;
      improved: boolean;
      /** Early stopping ends the run after this epoch. */
      stopping: boolean;
    };

export interface TrainHooks {
  /** Checked between steps (and between validation batches); aborting rejects with a TrainingAbortedError. */
  signal?: AbortSignal;
  onProgress?: (event: TrainProgress) => void;
}

export interface TrainResult {
  steps: number;
  /** Epochs completed. */
  epochs: number;
  initialValidationLoss: number | null;
  /** After the last epoch run. */
  finalValidationLoss: number | null;
  bestValidationLoss: number | null;
  bestEpoch: number | null;
  stoppedEarly: boolean;
  /** Non-padding input tokens trained on. */
  tokensSeen: number;
  /** Counted (loss) targets trained on. */
  targetTokens: number;
  /** Training time over all sessions of the run (a resumed run adds up). */
  elapsedMs: number;
  history: { steps: StepRecord[]; epochs: EpochRecord[] };
  /** The checkpoint file, when checkpointing. */
  checkpoint: string | null;
}

/** Rejection of an aborted run; the last checkpoint written stays whole and resumable. */
export class TrainingAbortedError extends Error {
  override name = 'AbortError';
  constructor(
    readonly step: number,
    readonly checkpoint: string | null,
    reason: unknown,
  ) {
    super(`training aborted after step ${step}${checkpoint ? `; resume from ${checkpoint}` : ''}`, { cause: reason });
  }
}

export class TrainingError extends Error {
  override name = 'TrainingError';
}

export async function train(
  model: TrainableModel,
  data: TrainingData,
  options: TrainOptions = {},
  hooks: TrainHooks = {},
): Promise<TrainResult> {
  const epochs = options.epochs ?? 3;
  const accumulation = options.gradientAccumulation ?? 1;
  const seed = options.seed ?? 0;
  const maxGradientNorm = options.maxGradientNorm ?? 1;
  const patience = options.patience ?? Infinity;
  const minDelta = options.minDelta ?? 0;
  for (const [name, value] of Object.entries({ epochs, gradientAccumulation: accumulation })) {
    if (!Number.isInteger(value) || value < 1)
      throw new TrainingError(`${name} must be a positive integer, got ${value}`);
  }
  const batchesPerEpoch = data.trainBatches(0, seed).length;
  if (batchesPerEpoch === 0) throw new TrainingError('no training batches');
  const stepsPerEpoch = Math.ceil(batchesPerEpoch / accumulation);
  const totalSteps = epochs * stepsPerEpoch;
  const schedule = {
    peak: options.learningRate ?? 2e-4,
    totalSteps,
    warmupSteps: options.warmupSteps ?? Math.max(1, Math.round((options.warmupRatio ?? 0.05) * totalSteps)),
    minRatio: options.minLearningRateRatio ?? 0.1,
  };
  const adam = {
    weightDecay: options.weightDecay ?? 0,
    beta1: options.beta1 ?? 0.9,
    beta2: options.beta2 ?? 0.999,
    epsilon: options.epsilon ?? 1e-8,
  };
  const restoreBest = options.restoreBest ?? true;
  const run: TrainerState['run'] = {
    seed,
    epochs,
    accumulation,
    batchesPerEpoch,
    maxGradientNorm,
    patience: Number.isFinite(patience) ? patience : null,
    minDelta,
    restoreBest,
    ...schedule,
    ...adam,
  };

  const parameters = model.parameters;
  const optimizer = new AdamW(parameters, adam);
  const accumulator = new GradientAccumulator(parameters);
  const validation = data.validationBatches();
  const { signal, onProgress } = hooks;
  const checkpointDir = options.checkpoint?.dir;
  let checkpointPath: string | null = null;
  let bestParameters = new Map<string, Float32Array>();

  let state: TrainerState = {
    run,
    step: 0,
    epochIndex: 0,
    nextBatch: 0,
    epochLossSum: 0,
    epochTokens: 0,
    tokensSeen: 0,
    targetTokens: 0,
    elapsedMs: 0,
    initialValidationLoss: null,
    best: null,
    epochsWithoutImprovement: 0,
    stoppedEarly: false,
    finished: false,
    steps: [],
    epochs: [],
  };
  if (checkpointDir) {
    await mkdir(checkpointDir, { recursive: true });
    await removeStaleTemporaries(checkpointDir);
    const saved = options.checkpoint?.resume === false ? null : await readCheckpoint(checkpointDir);
    if (saved) {
      state = resumeFrom(saved, run, parameters);
      optimizer.load({ step: saved.state.step, firstMoments: saved.firstMoments, secondMoments: saved.secondMoments });
      bestParameters = saved.bestParameters;
      checkpointPath = join(checkpointDir, CHECKPOINT_FILE);
    }
  }

  const abortIfAsked = () => {
    if (signal?.aborted) throw new TrainingAbortedError(state.step, checkpointPath, signal.reason);
  };
  const saveCheckpoint = async () => {
    if (!checkpointDir) return;
    const moments = optimizer.state();
    const checkpoint: Checkpoint = {
      state,
      parameters: new Map([...parameters].map(([name, p]) => [name, p.data])),
      firstMoments: new Map(moments.firstMoments),
      secondMoments: new Map(moments.secondMoments),
      bestParameters,
    };
    checkpointPath = await writeCheckpoint(
      checkpointDir,
      checkpoint,
      new Map([...parameters].map(([name, p]) => [name, p.shape])),
    );
  };
  const validate = async (): Promise<number | null> => {
    if (validation.length === 0) return null;
    let lossSum = 0;
    let tokens = 0;
    for (const batch of validation) {
      abortIfAsked();
      const result = await model.loss(batch);
      lossSum += result.loss * result.tokens;
      tokens += result.tokens;
    }
    return tokens === 0 ? null : lossSum / tokens;
  };

  const sessionStart = performance.now();
  const elapsedBefore = state.elapsedMs;
  let sessionSteps = 0;
  let sessionTokens = 0;
  const elapsed = () => elapsedBefore + performance.now() - sessionStart;

  if (!state.finished && state.step === 0 && state.nextBatch === 0 && state.epochIndex === 0)
    state.initialValidationLoss = await validate();

  while (!state.finished && state.epochIndex < epochs) {
    const batches = data.trainBatches(state.epochIndex, seed);
    if (batches.length !== batchesPerEpoch)
      throw new TrainingError(
        `epoch ${state.epochIndex + 1} has ${batches.length} batches, the first had ${batchesPerEpoch}`,
      );
    while (state.nextBatch < batches.length) {
      abortIfAsked();
      const group = batches.slice(state.nextBatch, state.nextBatch + accumulation);
      let inputTokens = 0;
      for (const batch of group) {
        const result = await model.lossAndGradients(batch);
        if (!Number.isFinite(result.loss)) throw new TrainingError(`loss is ${result.loss} at step ${state.step + 1}`);
        accumulator.add(result.gradients, result.loss, result.tokens);
        inputTokens += countInputTokens(batch);
      }
      const loss = accumulator.loss;
      const tokens = accumulator.tokens;
      const gradients = accumulator.take();
      const gradientNorm = maxGradientNorm > 0 ? clipGradients(gradients, maxGradientNorm) : globalNorm(gradients);
      const step = state.step + 1;
      const learningRate = learningRateAt(step, schedule);
      optimizer.step(gradients, learningRate);

      state.step = step;
      state.nextBatch += group.length;
      state.epochLossSum += loss * tokens;
      state.epochTokens += tokens;
      state.tokensSeen += inputTokens;
      state.targetTokens += tokens;
      state.elapsedMs = elapsed();
      state.steps.push({ step, epoch: state.epochIndex + 1, loss, learningRate, gradientNorm, tokens });
      sessionSteps += 1;
      sessionTokens += inputTokens;
      const sessionSeconds = (performance.now() - sessionStart) / 1000;
      onProgress?.({
        type: 'step',
        step,
        totalSteps,
        epoch: state.epochIndex + 1,
        epochs,
        loss,
        learningRate,
        gradientNorm,
        tokensPerSecond: sessionTokens / Math.max(sessionSeconds, 1e-9),
        etaSeconds: ((totalSteps - step) * sessionSeconds) / sessionSteps,
        validationLoss: state.epochs.at(-1)?.validationLoss ?? state.initialValidationLoss,
      });
      const everySteps = options.checkpoint?.everySteps;
      if (everySteps && step % everySteps === 0 && state.nextBatch < batches.length) await saveCheckpoint();
    }

    const validationLoss = await validate();
    const epoch = state.epochIndex + 1;
    const improved =
      validationLoss !== null && (state.best === null || validationLoss < state.best.validationLoss - minDelta);
    if (improved) {
      state.best = { validationLoss, epoch, step: state.step };
      state.epochsWithoutImprovement = 0;
      bestParameters = new Map([...parameters].map(([name, p]) => [name, Float32Array.from(p.data)]));
    } else if (validationLoss !== null) {
      state.epochsWithoutImprovement += 1;
    }
    const stopping = state.epochsWithoutImprovement >= patience && epoch < epochs;
    const trainLoss = state.epochTokens === 0 ? 0 : state.epochLossSum / state.epochTokens;
    state.epochs.push({ epoch, step: state.step, trainLoss, validationLoss });
    Object.assign(state, {
      epochIndex: epoch,
      nextBatch: 0,
      epochLossSum: 0,
      epochTokens: 0,
      stoppedEarly: stopping,
      elapsedMs: elapsed(),
    });
    state.finished = stopping || epoch === epochs;
    if (state.finished && restoreBest && bestParameters.size > 0) {
      for (const [name, p] of parameters) p.data.set(bestParameters.get(name)!);
    }
    await saveCheckpoint();
    onProgress?.({
      type: 'epoch',
      step: state.step,
      totalSteps,
      epoch,
      epochs,
      trainLoss,
      validationLoss,
      bestValidationLoss: state.best?.validationLoss ?? null,
      improved,
      stopping,
    });
  }

  return {
    steps: state.step,
    epochs: state.epochs.length,
    initialValidationLoss: state.initialValidationLoss,
    finalValidationLoss: state.epochs.at(-1)?.validationLoss ?? null,
    bestValidationLoss: state.best?.validationLoss ?? null,
    bestEpoch: state.best?.epoch ?? null,
    stoppedEarly: state.stoppedEarly,
    tokensSeen: state.tokensSeen,
    targetTokens: state.targetTokens,
    elapsedMs: state.elapsedMs,
    history: { steps: state.steps, epochs: state.epochs },
    checkpoint: checkpointPath,
  };
}

/** Loads a checkpoint's parameters into the model and checks it belongs to this run. */
function resumeFrom(
  saved: Checkpoint,
  run: TrainerState['run'],
  parameters: TrainableModel['parameters'],
): TrainerState {
  const differences = Object.keys(run).filter((key) => saved.state.run[key] !== run[key]);
  if (differences.length > 0) {
    const detail = differences.map((key) => `${key} ${saved.state.run[key]} → ${run[key]}`).join(', ');
    throw new TrainingError(
      `the checkpoint was made by a run with other settings (${detail}); start afresh with checkpoint.resume = false`,
    );
  }
  for (const [name, p] of parameters) {
    const values = saved.parameters.get(name);
    if (!values || values.length !== p.data.length)
      throw new TrainingError(`the checkpoint has no parameter ${name} of ${p.data.length} values`);
    p.data.set(values);
  }
  return saved.state;
}

function countInputTokens(batch: Batch): number {
  let count = 0;
  for (const keep of batch.attentionMask) count += Number(keep);
  return count;
}
