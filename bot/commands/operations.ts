import type { Assistant } from '../assistant/assistant';
import type { Operations } from '../operations';

/** The operations an admin or moderator command acts on; a bot started without them says so. */
export function operationsOf(assistant: Assistant): Operations {
  const ops = assistant.operations;
  if (!ops) throw new Error('training and model management are not available in this process');
  return ops;
}

/** "validationLoss 0.894, parseMean 0.437" for chat. */
export const formatMetrics = (metrics: Record<string, number>): string =>
  Object.entries(metrics).map(([name, value]) => `${name} ${Number.isInteger(value) ? value : value.toFixed(3)}`).join(', ') || 'no metrics';
