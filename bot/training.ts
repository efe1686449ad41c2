/**
 * The composition root of training: the bot's concrete pieces — the lowdb store, the
 * transformers.js generator, the rules — as the interfaces retrain() and the evaluation take.
 * The training process (training-job.ts) and the CLI build their runs from here.
 */
import { fileURLToPath } from 'node:url';
import type { RetrainServices } from '../training/jobs/retrain';
import { ModelGenerator } from './model/generator';
import { openStore } from './store/lowdb-store';
import { RULES } from './understanding/rules';

export const trainingServices: RetrainServices = {
  openStore: ({ dir, salt }) => openStore({ dir, salt, readOnly: true }),
  loadGenerator: (modelDir, options) => ModelGenerator.load(modelDir, options),
  rules: RULES,
};

/** The module JobRunner forks for a training job. */
export const TRAINING_JOB_ENTRY = fileURLToPath(new URL('./training-job.ts', import.meta.url));
