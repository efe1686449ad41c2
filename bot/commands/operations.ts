import type { Operations } from '../operations';
import type { CommandServices } from './command';

/** The operations an admin or moderator command acts on; a bot started without them says so. */
export function operationsOf({ operations }: Pick<CommandServices, 'operations'>): Operations {
  if (!operations) throw new Error('training and model management are not available in this process');
  return operations;
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
