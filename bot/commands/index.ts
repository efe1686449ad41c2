import type { IncomingMessage, Reply } from '../chat/message';
import { replies } from '../chat/replies';
import { who } from '../operations';
import { mayRun, type Command, type CommandInvocation, type CommandServices, type Progress } from './command';
import { dataset } from './dataset';
import { chart } from './chart';
import { help } from './help';
import { model } from './model';
import { approve, correct, forget, reject, undo } from './moderation';
import { checkOptions, parseOptions } from './options';
import { setlocation, units } from './preferences';
import { retrain } from './retrain';
import { alerts, subscribe, subscriptions, unsubscribe } from './subscriptions';
import { weather } from './weather';

export { invocationText, mayRun } from './command';
export type { Command, CommandInvocation, CommandServices, Progress } from './command';
export { textSyntax, type OptionSpec } from './options';
export { splitPlace } from './place';

/** Every command: the single list /help, Discord's definitions and Slack's manifest are made from, in this order. */
export const commands: readonly Command[] = [
  weather,
  chart,
  subscribe,
  subscriptions,
  unsubscribe,
  alerts,
  units,
  setlocation,
  retrain,
  model,
  dataset,
  approve,
  reject,
  correct,
  undo,
  forget,
  help,
];

/** The commands Discord and Slack offer in their menus. */
export const menuCommands = commands.filter((command) => !command.chatOnly);

export function findCommand(name: string): Command | undefined {
  const wanted = name.toLowerCase();
  return commands.find((command) => command.name === wanted);
}

/**
 * Where every command runs, whoever delivered it: its permission is checked here and nowhere
 * else, then its options are read (parsed from text, or checked as the platform typed them) and
 * its handler runs.
 */
export async function runCommand(
  services: Omit<CommandServices, 'commands'>,
  message: IncomingMessage,
  invocation: CommandInvocation,
  progress: Progress,
): Promise<Reply> {
  const command = findCommand(invocation.name);
  if (!command) return { kind: 'error', text: replies.unknownCommand(invocation.name) };
  if (!mayRun(message.author, command)) {
    const { name, permission } = command;
    services.log.warn('command refused', {
      command: name,
      platform: message.platform,
      user: message.author.name ?? 'unknown',
    });
    await services.operations?.audit.record({
      who: who(message),
      action: name,
      outcome: 'refused',
      detail: `needs ${permission}`,
    });
    return { kind: 'refused', text: replies.refused(name, permission) };
  }
  const read =
    'text' in invocation
      ? parseOptions(command.options, invocation.text)
      : checkOptions(command.options, invocation.options);
  if ('problem' in read) {
    return { kind: 'command', text: command.hint ?? `/${command.name}: ${read.problem} Usage: ${command.usage}` };
  }
  try {
    return await command.run({ options: read.values, message, services: { ...services, commands }, progress });
  } catch (error) {
    services.log.error('command failed', { command: command.name, error });
    return { kind: 'error', text: replies.internalError };
  }
}
