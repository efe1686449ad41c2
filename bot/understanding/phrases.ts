/**
 * A small phrase matcher for the rule tables. A pattern is words separated by spaces:
 *   "a|b"   one of several words        "word?"  optional
 *   "<n>"   a number 1..99, digits or words ("3", "three", "fourteen")
 *   "<day>" a weekday, full or unambiguous abbreviation; "<anyday>" also mon/wed/sat/sun
 *   "$"     end of the message (only punctuation may follow)
 * Words are compared with token keys (lower-case, no diacritics, dots or apostrophes).
 */
import type { Weekday } from '../core/domain';
import type { Token } from '../core/text';

export interface Captures {
  n?: number;
  day?: Weekday;
}

interface Slot {
  words: Set<string> | 'n' | 'day' | 'anyday' | 'end';
  optional: boolean;
}

export interface PhraseRule<T> {
  slots: Slot[];
  value: (captures: Captures) => T | null;
}

export interface PhraseMatch<T> {
  start: number;
  end: number;
  value: T;
}

const NUMBER_WORDS: Record<string, number> = {
  one: 1,
  two: 2,
  three: 3,
  four: 4,
  five: 5,
  six: 6,
  seven: 7,
  eight: 8,
  nine: 9,
  ten: 10,
  eleven: 11,
  twelve: 12,
  thirteen: 13,
  fourteen: 14,
  fifteen: 15,
  sixteen: 16,
  seventeen: 17,
  eighteen: 18,
  nineteen: 19,
  twenty: 20,
  thirty: 30,
};

const WEEKDAY_FORMS: Record<string, Weekday> = {
  monday: 'monday',
  mondays: 'monday',
  tuesday: 'tuesday',
  tuesdays: 'tuesday',
  tue: 'tuesday',
  tues: 'tuesday',
  wednesday: 'wednesday',
  wednesdays: 'wednesday',
  weds: 'wednesday',
  thursday: 'thursday',
  thursdays: 'thursday',
  thu: 'thursday',
  thur: 'thursday',
  thurs: 'thursday',
  friday: 'friday',
  fridays: 'friday',
  fri: 'friday',
  saturday: 'saturday',
  saturdays: 'saturday',
  sunday: 'sunday',
  sundays: 'sunday',
};
/** Abbreviations that are also English words ("sat", "sun", "wed", "mon"): weekdays only in context. */
const AMBIGUOUS_WEEKDAYS: Record<string, Weekday> = { mon: 'monday', wed: 'wednesday', sat: 'saturday', sun: 'sunday' };

function numberOf(key: string): number | null {
  if (/^\d{1,2}$/.test(key)) return Number(key);
  return NUMBER_WORDS[key] ?? null;
}

export function weekdayOf(key: string, allowAmbiguous: boolean): Weekday | null {
  return WEEKDAY_FORMS[key] ?? (allowAmbiguous ? (AMBIGUOUS_WEEKDAYS[key] ?? null) : null);
}

export function compile<T>(pattern: string, value: T | ((captures: Captures) => T | null)): PhraseRule<T> {
  const slots = pattern.split(' ').map((part): Slot => {
    const optional = part.endsWith('?') && part.length > 1;
    const body = optional ? part.slice(0, -1) : part;
    const special = { '<n>': 'n', '<day>': 'day', '<anyday>': 'anyday', $: 'end' } as const;
    const words = body in special ? special[body as keyof typeof special] : new Set(body.split('|'));
    return { words, optional };
  });
  const resolve = typeof value === 'function' ? (value as (captures: Captures) => T | null) : () => value;
  return { slots, value: resolve };
}

function matchSlots(
  tokens: Token[],
  at: number,
  slots: Slot[],
  index: number,
  isFree: (i: number) => boolean,
  captures: Captures,
): number | null {
  if (index === slots.length) return at;
  const slot = slots[index];
  if (slot.words === 'end') {
    const rest = tokens.slice(at);
    return rest.every((t) => !t.word) ? matchSlots(tokens, at, slots, index + 1, isFree, captures) : null;
  }
  const token = tokens[at];
  if (token && isFree(at)) {
    let accepted = false;
    const saved = { ...captures };
    if (slot.words instanceof Set) accepted = slot.words.has(token.key);
    else if (slot.words === 'n') {
      const n = numberOf(token.key);
      if (n !== null) {
        accepted = true;
        captures.n = n;
      }
    } else {
      const day = weekdayOf(token.key, slot.words === 'anyday');
      if (day) {
        accepted = true;
        captures.day = day;
      }
    }
    if (accepted) {
      const end = matchSlots(tokens, at + 1, slots, index + 1, isFree, captures);
      if (end !== null) return end;
      Object.assign(captures, saved);
    }
  }
  return slot.optional ? matchSlots(tokens, at, slots, index + 1, isFree, captures) : null;
}

/**
 * Leftmost-longest, non-overlapping matches of any rule over the free tokens. A rule whose value
 * resolves to null does not match there.
 */
export function findPhrases<T>(
  tokens: Token[],
  rules: PhraseRule<T>[],
  isFree: (i: number) => boolean,
): PhraseMatch<T>[] {
  const matches: PhraseMatch<T>[] = [];
  let i = 0;
  while (i < tokens.length) {
    let best: PhraseMatch<T> | null = null;
    if (isFree(i) && tokens[i].word) {
      for (const rule of rules) {
        const captures: Captures = {};
        const end = matchSlots(tokens, i, rule.slots, 0, isFree, captures);
        if (end === null || end <= i || (best && end <= best.end)) continue;
        const value = rule.value(captures);
        if (value !== null) best = { start: i, end, value };
      }
    }
    if (best) {
      matches.push(best);
      i = best.end;
    } else i++;
  }
  return matches;
}
