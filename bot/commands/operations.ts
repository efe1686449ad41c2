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
