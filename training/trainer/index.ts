/**
 * The trainer: AdamW, the learning-rate schedule, gradient accumulation and clipping, and the
 * training loop with validation, early stopping, checkpoints and cancellation.
 *
 *   const data = batchedData(trainExamples, validationExamples, { batchSize: 8, padId });
 *   const result = await train(model, data, { epochs: 3, learningRate: 2e-4, checkpoint: { dir } },
 *     { signal, onProgress: progressBar() });
 */
export type { Batch, LossResult, TrainableModel, TrainableParameter } from './trainable';
export { AdamW } from './adamw';
export type { AdamWOptions, AdamWState } from './adamw';
export { learningRateAt } from './lr-schedule';
export type { ScheduleOptions } from './lr-schedule';
export { clipGradients, globalNorm, GradientAccumulator } from './gradients';
export { CHECKPOINT_FILE, CheckpointError, readCheckpoint } from './checkpoint';
export type { Checkpoint, EpochRecord, StepRecord, TrainerState } from './checkpoint';
export { train, TrainingAbortedError, TrainingError } from './train';
export type { TrainHooks, TrainingData, TrainOptions, TrainProgress, TrainResult } from './train';
export { formatDuration, progressBar, renderProgress } from './progress';
