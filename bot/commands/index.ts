import type { Command } from './command';
import { help } from './help';
import { dataset } from './dataset';
import { model } from './model';
import { approve, correct, reject } from './moderation';
import { setlocation, units } from './preferences';
import { retrain } from './retrain';
import { weather } from './weather';

export type { Command, CommandContext } from './command';

/** Every command, in the order /help lists them. */
export const commands: Command[] = [weather, units, setlocation, help, approve, reject, correct, dataset, retrain, model];

export function findCommand(name: string): Command | undefined {
  const wanted = name.toLowerCase();
  return commands.find((c) => c.name === wanted || c.aliases?.includes(wanted));
}
