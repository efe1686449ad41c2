/**
 * The composition root of training: the bot's concrete pieces — the lowdb store, the
 * transformers.js generator, the rules and the lessons moderators taught — as the interfaces retrain() and the
 * evaluation take. The training process (training-job.ts) and the CLI build their runs from here.
 */
import { fileURLToPath } from 'node:url';
import { loadSeed, SHIPPED_SEED_DIR } from '../training/dataset/seed';
import type { RetrainServices } from '../training/jobs/retrain';
import type { RulesReader } from './core/guard';
import type { ExchangeSource } from './core/store';
import { ModelGenerator } from './model/generator';
import { openStore } from './store/lowdb-store';
import { everydayWords, lessonsOf } from './understanding/lessons';
import { NICKNAMES } from './understanding/places';
import { RULES, understandByRules } from './understanding/rules';

/** The words of the seed's messages: what the bot reads every day, so no lesson teaches them. */
export async function seedEverydayWords(): Promise<Set<string>> {
  return everydayWords((await loadSeed(SHIPPED_SEED_DIR, 'train')).map((example) => example.message));
}

/** The rules with the lessons of the store's corrections, as the bot builds them at start-up (app.ts). */
async function readerOf(store: Pick<ExchangeSource, 'exchanges'>): Promise<RulesReader> {
  // Without the seed, lessons may teach everyday words: the bot starts the same way (app.ts logs it).
  const everyday = await seedEverydayWords().catch(() => new Set<string>());
  const lessons = await lessonsOf(store.exchanges({ status: ['corrected'] }), understandByRules, everyday);
  return { understand: (message) => lessons.read(message), nicknames: NICKNAMES };
}

export const trainingServices: RetrainServices = {
  openStore: ({ dir, salt }) => openStore({ dir, salt, readOnly: true }),
  loadGenerator: (modelDir, options) => ModelGenerator.load(modelDir, options),
  rules: RULES,
  readerOf,
};

/** The module JobRunner forks for a training job. */
export const TRAINING_JOB_ENTRY = fileURLToPath(new URL('./training-job.ts', import.meta.url));
