/** The steps of a retrain and the progress events it sends, kept light: the bot's process reads them. */
import { renderProgress } from '../trainer/progress';
import type { TrainProgress } from '../trainer/train';

export const RETRAIN_STEPS = [
  'resolve-base',
  'prepare',
  'encode',
  'train',
  'save-adapter',
  'export',
  'evaluate',
  'report',
  'register',
  'promote',
] as const;
export type RetrainStep = (typeof RETRAIN_STEPS)[number];

export type RetrainProgress =
  /** A step begins. */
  | { type: 'step'; step: RetrainStep; index: number; total: number }
  /** What a step found, in a sentence. */
  | { type: 'info'; step: RetrainStep; message: string }
  /** The trainer's progress, during `train`. */
  | { type: 'train'; event: TrainProgress }
  /** The candidate is in the registry (not yet promoted). */
  | { type: 'registered'; versionId: string };

/** One line for people following a run (bot progress messages, the CLI). */
export function renderRetrainProgress(event: RetrainProgress): string {
  switch (event.type) {
    case 'step':
      return `step ${event.index}/${event.total}: ${event.step}`;
    case 'info':
      return `${event.step}: ${event.message}`;
    case 'train':
      return renderProgress(event.event);
    case 'registered':
      return `registered ${event.versionId}`;
  }
}
