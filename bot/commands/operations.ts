import type { Assistant } from '../assistant/assistant';
import type { IncomingMessage } from '../assistant/message';
import type { Operations } from '../operations';

/** The operations an admin or moderator command acts on; a bot started without them says so. */
export function operationsOf(assistant: Assistant): Operations {
  const ops = assistant.operations;
  if (!ops) throw new Error('training and model management are not available in this process');
  return ops;
}

/** "discord:alice" — how the audit names whoever acted. */
export const who = (message: IncomingMessage) => `${message.platform}:${message.author.name ?? message.author.id}`;
