/**
 * A command's options, declared once beside its handler: Discord's slash options are generated
 * from the declarations, and the text form (chat, Slack's slash commands) is parsed by them, so
 * the handler gets the same typed values either way.
 *
 * The text form fills the options in their declared order. A string takes the rest of the line,
 * or one word when it has a pattern; the other types take one word. An optional option in front
 * of a required one may be left out (`/units f` and `/units channel f`); anywhere else a word that
 * does not fit is an error, and so is a word left over.
 */

import { echo } from '../core/text';

interface BaseOption {
  name: string;
  description: string;
  required?: boolean;
  /** Typed in text as name=value (quoted when it has spaces), in any order, before the words of other options. */
  named?: boolean;
}

export interface StringOption extends BaseOption {
  type: 'string';
  maxLength?: number;
  /** The form of a value (an exchange id); in text one word of it. */
  pattern?: RegExp;
  /**
   * Words meant as this option even when they do not fit `pattern` ("00001-0003" for an exchange id): in text such a
   * word is refused, never passed over to the next option.
   */
  looksLike?: RegExp;
}

export interface IntegerOption extends BaseOption {
  type: 'integer';
}

export interface BooleanOption extends BaseOption {
  type: 'boolean';
}

export interface Choice {
  value: string;
  /** What Discord shows for it; the value itself when absent. */
  label?: string;
  /** Other words for it in text, in lower case ("celsius" for "c"). */
  aliases?: readonly string[];
}

export interface ChoiceOption extends BaseOption {
  type: 'choice';
  choices: readonly Choice[];
}

export type OptionSpec = StringOption | IntegerOption | BooleanOption | ChoiceOption;

type ValueOf<O extends OptionSpec> = O extends ChoiceOption
  ? O['choices'][number]['value']
  : O extends IntegerOption
    ? number
    : O extends BooleanOption
      ? boolean
      : string;

/** The typed options a handler receives, by name; an optional one left out is undefined. */
export type OptionValues<S extends readonly OptionSpec[]> = {
  [O in S[number] as O['name']]: O extends { required: true } ? ValueOf<O> : ValueOf<O> | undefined;
};

/** Options as a platform hands them over (Discord's slash options, a reaction's exchange id): by name, unchecked. */
export type GivenOptions = Readonly<Record<string, string | number | boolean>>;

/** The options read, or what is wrong with them in words that name the option. */
export type ReadOptions<S extends readonly OptionSpec[]> = { values: OptionValues<S> } | { problem: string };

type Value = string | number | boolean;

const YES = new Set(['yes', 'y', 'true', 'on']);
const NO = new Set(['no', 'n', 'false', 'off']);

const list = (words: readonly string[]) =>
  words.length > 1 ? `${words.slice(0, -1).join(', ')} or ${words.at(-1)}` : words[0];

/** What a value of the option must be, for the replies that name it. */
function expected(option: OptionSpec): string {
  if (option.type === 'choice') return list(option.choices.map((choice) => choice.value));
  if (option.type === 'integer') return 'a whole number';
  if (option.type === 'boolean') return 'yes or no';
  return option.description;
}

/** The option's value from a word of text or a platform's value; undefined when it does not fit. */
function valueOf(option: OptionSpec, given: Value): Value | undefined {
  const word = String(given).trim();
  switch (option.type) {
    case 'string':
      return word && (!option.pattern || option.pattern.test(word)) ? word : undefined;
    case 'integer':
      return /^[+-]?\d+$/.test(word) ? Number(word) : undefined;
    case 'boolean':
      return YES.has(word.toLowerCase()) ? true : NO.has(word.toLowerCase()) ? false : undefined;
    case 'choice': {
      const wanted = word.toLowerCase();
      const matches = (choice: Choice) => choice.value.toLowerCase() === wanted || choice.aliases?.includes(wanted);
      return option.choices.find(matches)?.value;
    }
  }
}

/** The option's value, or what is wrong with it. */
function read(option: OptionSpec, given: Value): { value: Value } | { problem: string } {
  const value = valueOf(option, given);
  if (value === undefined)
    return { problem: `${option.name} must be ${expected(option)}, not “${echo(String(given))}”.` };
  if (option.type === 'string' && option.maxLength !== undefined && String(value).length > option.maxLength) {
    return { problem: `${option.name} must be at most ${option.maxLength} characters.` };
  }
  return { value };
}

const missing = (option: OptionSpec) => ({ problem: `${option.name} is missing: ${expected(option)}.` });

/** "channel f" -> ["channel", "f"]. */
function firstWord(text: string): [string, string] {
  const [, word, rest] = text.match(/^(\S+)\s*([\s\S]*)$/)!;
  return [word, rest];
}

/** A leading name=value pair: the value one word, or quoted ("Fort Worth", “Fort Worth”). */
const NAMED_PAIR = /^([a-z]+)=(?:"([^"]*)"|“([^”]*)”|(\S*))\s*/i;

/** Reads the name=value pairs at the start of `text` into `values`; returns the text after them, or a problem. */
function readNamed(options: readonly OptionSpec[], text: string, values: Record<string, Value>) {
  let rest = text;
  for (let pair = rest.match(NAMED_PAIR); pair; pair = rest.match(NAMED_PAIR)) {
    const option = options.find((candidate) => candidate.named && candidate.name === pair![1].toLowerCase());
    if (!option) {
      const names = options.filter((candidate) => candidate.named).map((candidate) => `${candidate.name}=`);
      return { problem: `there is no option “${echo(pair[1])}=”; use ${list(names)}.` };
    }
    const result = read(option, pair[2] ?? pair[3] ?? pair[4]);
    if ('problem' in result) return result;
    values[option.name] = result.value;
    rest = rest.slice(pair[0].length);
  }
  return { rest };
}

/** Reads the text after the command name ("channel f") into typed options. */
export function parseOptions<S extends readonly OptionSpec[]>(options: S, text: string): ReadOptions<S> {
  const values: Record<string, Value> = {};
  const hasNamed = options.some((option) => option.named);
  let rest = text.trim();
  for (const [index, option] of options.entries()) {
    if (hasNamed) {
      const named = readNamed(options, rest, values);
      if ('problem' in named) return named;
      rest = named.rest;
    }
    if (option.named) continue;
    if (!rest) {
      if (option.required) return missing(option);
      continue;
    }
    const [word, after] = option.type === 'string' && !option.pattern ? [rest, ''] : firstWord(rest);
    const result = read(option, word);
    if ('problem' in result) {
      const meant = option.type === 'string' && option.looksLike?.test(word);
      // Left out when a later option needs these words, or when they are plainly not meant as this one.
      const later = options.slice(index + 1).filter((next) => !next.named);
      const notMeant = option.type === 'string' && option.looksLike !== undefined && !meant;
      const mayBeLeftOut =
        !meant && !option.required && later.some((next) => next.required || (notMeant && next.type === 'string'));
      if (mayBeLeftOut) continue;
      return result;
    }
    values[option.name] = result.value;
    rest = after;
  }
  if (rest) return { problem: `I did not expect “${echo(rest)}”.` };
  return { values: values as OptionValues<S> };
}

/** Checks the options a platform handed over by name against their declarations. */
export function checkOptions<S extends readonly OptionSpec[]>(options: S, given: GivenOptions): ReadOptions<S> {
  const unknown = Object.keys(given).find((name) => !options.some((option) => option.name === name));
  if (unknown) return { problem: `there is no option ${unknown}.` };
  const values: Record<string, Value> = {};
  for (const option of options) {
    const raw = given[option.name];
    if (raw === undefined || raw === '') {
      if (option.required) return missing(option);
      continue;
    }
    const result = read(option, raw);
    if ('problem' in result) return result;
    values[option.name] = result.value;
  }
  return { values: values as OptionValues<S> };
}

/** How the options are typed after the command's name, as a hint: "[me|channel] c|f". */
export function textSyntax(options: readonly OptionSpec[]): string {
  const syntax = (option: OptionSpec) => {
    if (option.named) return `[${option.name}=…]`;
    if (option.type !== 'choice') return option.required ? `<${option.name}>` : `[${option.name}]`;
    const words = option.choices.map((choice) => choice.value).join('|');
    return option.required ? words : `[${words}]`;
  };
  return options.map(syntax).join(' ');
}
