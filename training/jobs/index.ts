/**
 * Training jobs: the retrain pipeline (retrain.ts) and the runner that runs it in a child
 * process, one job at a time across processes (runner.ts, child.ts).
 */
export {
  defaultHyperparameters,
  PRETRAINED_HYPERPARAMETERS,
  retrain,
  RetrainCancelledError,
  RetrainError,
  TINY_HYPERPARAMETERS,
} from './retrain';
export { SHIPPED_SEED_DIR } from '../dataset/seed';
export type { Hyperparameters, RetrainHooks, RetrainOptions, RetrainSummary } from './retrain';
export { renderRetrainProgress, RETRAIN_STEPS } from './progress';
export type { RetrainProgress, RetrainStep } from './progress';
export { JobAlreadyRunningError, JobCancelledError, JobFailedError, JobRunner } from './runner';
export type { Job, JobInfo, JobKind, JobOptions, JobRunnerOptions, JobState, StartOptions } from './runner';
export { evaluateCandidate, validationLoss } from './evaluate';
export type { ActiveScore, Evaluation, EvaluationContext } from './evaluate';
export { checkGate, decidePromotion } from './gate';
export type { GateDecision, PromotionGate } from './gate';
export { ensureTinyBase, resolveBase, TINY_BASE, tinyBaseDir } from './resolve-base';
export { seedCorpus } from './pretrain';
export { jobsDir, LAST_TRAINING_FILE, lastTrainingTime, LOCK_FILE, RUNNING_FILE } from './files';
export type { LastTraining } from './files';
export { lossChart, REPORT_FILES, reportMarkdown, writeReport } from './report';
export type { RetrainReport } from './report';
