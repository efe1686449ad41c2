import type { Reply } from '../chat/message';
import type { ModerationChange } from '../core/store';
import { defineCommand, type CommandContext } from './command';

/** The exchange to act on; without it, the last answer in the channel. */
const exchange = {
  name: 'exchange',
  type: 'string',
  description: 'an exchange id such as 000042-0137',
  pattern: /^\d{6}-\d{4,}$/,
  looksLike: /^\d+-\d+$/,
} as const;

async function moderate(
  { message, services }: CommandContext<unknown>,
  status: ModerationChange['status'],
  id: string | undefined,
  correction?: string,
): Promise<Reply> {
  const exchangeId = id ?? services.lastExchange(message.platform, message.channelId);
  if (!exchangeId) return { kind: 'command', text: 'There is no answer here to moderate yet.' };
  if (!(await services.exchanges.get(exchangeId))) return { kind: 'error', text: `I have no exchange ${exchangeId}.` };
  const { author, platform } = message;
  await services.exchanges.moderate(exchangeId, { status, moderatorId: author.id, platform, correction });
  services.log.info('exchange moderated', { exchange: exchangeId, status, platform });
  const done = { approved: 'Approved ✅', rejected: 'Rejected ❌', corrected: 'Correction saved ✏️' }[status];
  return { kind: 'command', text: `${done} — exchange ${exchangeId}.` };
}

export const approve = defineCommand({
  name: 'approve',
  usage: '/approve [exchange-id]',
  summary: 'mark the last answer (or the given one) as good training data',
  description: 'Mark an answer as good training data (moderators)',
  permission: 'moderator',
  chatOnly: true,
  options: [exchange],
  run: (context) => moderate(context, 'approved', context.options.exchange),
});

export const reject = defineCommand({
  name: 'reject',
  usage: '/reject [exchange-id]',
  summary: 'mark the last answer (or the given one) as bad',
  description: 'Mark an answer as bad (moderators)',
  permission: 'moderator',
  chatOnly: true,
  options: [exchange],
  run: (context) => moderate(context, 'rejected', context.options.exchange),
});

export const correct = defineCommand({
  name: 'correct',
  usage: '/correct [exchange-id] <the better answer>',
  summary: 'replace the last answer (or the given one) with a corrected one',
  description: 'Replace an answer with a corrected one (moderators)',
  permission: 'moderator',
  chatOnly: true,
  options: [exchange, { name: 'answer', type: 'string', description: 'the better answer', required: true }],
  run: (context) => moderate(context, 'corrected', context.options.exchange, context.options.answer),
});
