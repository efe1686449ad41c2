import type { Reply } from '../assistant/message';
import type { ModerationChange } from '../core/store';
import type { Command, CommandContext } from './command';

/** Acts on the exchange named by id, or on the last answer in the channel. */
async function moderate(context: CommandContext, status: ModerationChange['status'], id: string | undefined, correction?: string): Promise<Reply> {
  const { assistant, message } = context;
  const exchangeId = id ?? assistant.lastExchange(message.platform, message.channelId);
  if (!exchangeId) return { kind: 'command', text: 'There is no answer here to moderate yet.' };
  if (!(await assistant.store.get(exchangeId))) return { kind: 'error', text: `I have no exchange ${exchangeId}.` };
  await assistant.store.moderate(exchangeId, { status, moderatorId: message.author.id, platform: message.platform, correction });
  assistant.log.info('exchange moderated', { exchange: exchangeId, status, platform: message.platform });
  const done = { approved: 'Approved ✅', rejected: 'Rejected ❌', corrected: 'Correction saved ✏️' }[status];
  return { kind: 'command', text: `${done} — exchange ${exchangeId}.` };
}

/** An optional leading exchange id ("000042-0137"), then the rest. */
function exchangeIdAndRest(args: string): { id?: string; rest: string } {
  const match = args.match(/^(\d{6}-\d{4,})\b\s*([\s\S]*)$/);
  return match ? { id: match[1], rest: match[2].trim() } : { rest: args };
}

export const approve: Command = {
  name: 'approve',
  usage: '/approve [exchange-id]',
  summary: 'mark the last answer (or the given one) as good training data',
  permission: 'moderator',
  run: (context) => moderate(context, 'approved', exchangeIdAndRest(context.args).id),
};

export const reject: Command = {
  name: 'reject',
  usage: '/reject [exchange-id]',
  summary: 'mark the last answer (or the given one) as bad',
  permission: 'moderator',
  run: (context) => moderate(context, 'rejected', exchangeIdAndRest(context.args).id),
};

export const correct: Command = {
  name: 'correct',
  usage: '/correct [exchange-id] <the better answer>',
  summary: 'replace the last answer (or the given one) with a corrected one',
  permission: 'moderator',
  async run(context) {
    const { id, rest } = exchangeIdAndRest(context.args);
    if (!rest) return { kind: 'command', text: 'Write the corrected answer after the command: /correct <the better answer>.' };
    return moderate(context, 'corrected', id, rest);
  },
};
