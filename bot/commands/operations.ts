import type { Operations } from '../operations';
import type { CommandServices } from './command';

/** The operations an admin or moderator command acts on; a bot started without them says so. */
export function operationsOf({ operations }: Pick<CommandServices, 'operations'>): Operations {
  if (!operations) throw new Error('training and model management are not available in this process');
  return operations;
}

/** What moderators taught since the newest model version was trained, for /model status and /dataset stats. */
export async function learnedSinceRetrain({ operations, lessons }: Pick<CommandServices, 'operations' | 'lessons'>) {
  const newest = (await operations?.registry.history())?.[0];
  const since = newest?.manifest.createdAt ?? '';
  const all = lessons.list();
  if (!newest) return `Lessons: ${all.length} in use; no model trained on them yet (/dataset lessons).`;
  const recent = all.filter((lesson) => lesson.at > since).length;
  return `Lessons: ${all.length} in use, ${recent} taught since ${newest.id} was trained (/dataset lessons).`;
}

/** "validationLoss 0.894, parseMean 0.437" for chat. */
export const formatMetrics = (metrics: Record<string, number>): string =>
  Object.entries(metrics)
    .map(([name, value]) => `${name} ${Number.isInteger(value) ? value : value.toFixed(3)}`)
    .join(', ') || 'no metrics';

/**
 * An error's own message when it reads as plain words (no file path, no function call); null when it must stay in the
 * log.
 */
export function plainMessage(error: unknown): string | null {
  const message = error instanceof Error ? error.message : '';
  return message && !/[\\/]|\w\(\)|\b(readOnly|undefined|null|NaN)\b/.test(message) ? message : null;
}
