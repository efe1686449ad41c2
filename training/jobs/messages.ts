/** What the job runner and its training process say to each other over IPC (structured clone). */
import type { RetrainOptions, RetrainProgress, RetrainSummary } from './retrain';

export type ParentMessage =
  { type: 'start'; kind: 'retrain'; options: RetrainOptions; niceness: number } | { type: 'cancel' };

export type ChildMessage =
  | { type: 'progress'; event: RetrainProgress }
  | { type: 'done'; summary: RetrainSummary }
  | { type: 'cancelled'; message: string }
  | { type: 'failed'; error: { name: string; message: string; stack?: string } };
