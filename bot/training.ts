/**
 * The composition root of training: the bot's concrete pieces — the lowdb store, the
 * transformers.js generator, the rules and the lessons moderators taught — as the interfaces retrain() and the
 * evaluation take. The training process (training-job.ts) and the CLI build their runs from here.
 */
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadSeed, SHIPPED_SEED_DIR } from '../training/dataset/seed';
import type { RetrainServices } from '../training/jobs/retrain';
import type { RulesReader } from './core/guard';
import type { ExchangeSource } from './core/store';
import { ModelGenerator } from './model/generator';
import { openStore } from './store/lowdb-store';
import type { Logger } from './core/log';
import { everydayWords, lessonsOf, type Lessons } from './understanding/lessons';
import { NICKNAMES } from './understanding/places';
import { RULES, understandByRules } from './understanding/rules';

/**
 * The lessons of the store's corrected exchanges, read with the rules; the words of the seed's messages (what the bot
 * reads every day) teach nothing. The bot builds them at start-up (app.ts), a retrain before it evaluates.
 */
export async function storeLessons(store: Pick<ExchangeSource, 'exchanges'>, log?: Logger): Promise<Lessons> {
  let everyday = new Set<string>();
  try {
    everyday = everydayWords((await loadSeed(SHIPPED_SEED_DIR, 'train')).map((example) => example.message));
  } catch (error) {
    log?.warn('the seed could not be read: lessons may teach everyday words', { error });
  }
  return lessonsOf(store.exchanges({ status: ['corrected'] }), understandByRules, everyday);
}

/** The rules with the lessons, as users get them. */
async function readerOf(store: Pick<ExchangeSource, 'exchanges'>): Promise<RulesReader> {
  const lessons = await storeLessons(store);
  return { understand: (message) => lessons.read(message), nicknames: NICKNAMES };
}

export const trainingServices: RetrainServices = {
  openStore: ({ dir, salt }) => openStore({ dir, salt, readOnly: true }),
  loadGenerator: (modelDir, options) => ModelGenerator.load(modelDir, options),
  rules: RULES,
  readerOf,
};

/** The module JobRunner forks for a training job: the source under tsx, or its bundle beside the bot's (npm start). */
export const TRAINING_JOB_ENTRY = fileURLToPath(new URL(`./training-job${extname(import.meta.url)}`, import.meta.url));
