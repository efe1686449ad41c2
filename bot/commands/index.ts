import type { Command } from './command';
import { help } from './help';
import { approve, correct, reject } from './moderation';
import { setlocation, units } from './preferences';
import { weather } from './weather';

export type { Command, CommandContext } from './command';

/** Every command, in the order /help lists them. */
export const commands: Command[] = [weather, units, setlocation, help, approve, reject, correct];

export function findCommand(name: string): Command | undefined {
  const wanted = name.toLowerCase();
  return commands.find((c) => c.name === wanted || c.aliases?.includes(wanted));
}
