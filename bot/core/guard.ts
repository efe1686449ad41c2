/**
 * What the model writes is checked before it is used. The rules guard its query; the fact guard
 * its answer. The query is also written under queryGrammar (below), so a byte-level model writes
 * valid JSON with a place the message supports; the checks stay for what the grammar cannot know.
 *
 * The query (step 1), in this order:
 *   1. Text that is not exactly one JSON query (all six keys and no others, each of its type,
 *      a known `when` and aspect) -> the rules' query.
 *   2. The model and the rules disagree on whether the message is a weather question -> the
 *      rules' query: the model refines a weather question, it does not decide there is one.
 *      Unless the model has earned its say on `weather` (say.ts: its version's evaluation measured
 *      it reading intent better than the rules) and reads a weather question naming a place the
 *      message supports (below): then its query stands, checked by 3 and 4 as any other. A model's
 *      "not weather" never overrules the rules' weather question.
 *   3. A place the message does not support, or none where the rules found one, or a place other than the rules'
 *      (or where they found none) -> the rules' place (location and region together). Supported: the location's
 *      words are in the message, or it is what a nickname in the message stands for ("Philly" -> "Philadelphia"),
 *      or the rules read the same location; and the region is null, in the message, or the rules' region. With its
 *      say earned on `location`, the model may also read no place where the rules found one (no place invents
 *      nothing), and a supported place other than the rules' stands (versions evaluated before the say was measured
 *      keep that too); a place the message does not support is never kept, earned or not.
 *   4. Units the message does not ask for (not null and not the units the rules found) -> the
 *      rules' units.
 *   5. `when` and `aspect`: the model's where it has earned its say on the field, else the rules' — a model that
 *      reads them worse than the rules never makes the bot read them worse. Versions evaluated before the say was
 *      measured keep the say on both that the guard always gave them (UNMEASURED_SAY).
 *   After 3, 4 or 5 the query still counts as the model's.
 *
 * The answer (step 2): empty, cut short by the token limit, longer than MAX_ANSWER_CHARS, or
 * stating a number the facts do not hold -> the template answer.
 */
import { isGrounded } from './fact-guard';
import {
  ASPECTS,
  isRange,
  isUnderstanding,
  NAMED_WHENS,
  RANGE_WHENS,
  type Understanding,
  type WeatherFacts,
  type WeatherQuery,
} from './domain';
import type { Rule } from './grammar';
import { UNMEASURED_SAY, type EarnedSay } from './say';
import { cleanMessage, keyOf } from './text';

export const MAX_ANSWER_CHARS = 400;

/** Nickname key -> the place it stands for: "philly" -> "Philadelphia". */
export type Nicknames = Readonly<Record<string, string>>;

/**
 * How the rules read a message: the guard's reference, and the first incumbent a model is measured
 * against (bot/understanding implements it; training's evaluation is handed it).
 */
export interface RulesReader {
  understand(message: string): Understanding;
  nicknames: Nicknames;
}

export type QueryFallback = 'invalid' | 'intent';
export type QueryCorrection = 'place' | 'units' | 'when' | 'aspect';

export interface GuardedQuery {
  query: Understanding;
  /** 'model' when the model's query passed the guard, perhaps with corrections. */
  by: 'model' | 'rules';
  /** Why the rules' query stands in; null when the model's is used. */
  fallback: QueryFallback | null;
  /** Fields of the model's query the rules replaced. */
  corrections: QueryCorrection[];
}

/** The query in the model's text, or null unless the text is exactly one valid query. */
export function readQuery(text: string): Understanding | null {
  try {
    const value: unknown = JSON.parse(text.trim());
    return isUnderstanding(value) ? value : null;
  } catch {
    return null;
  }
}

const UNITS_RULE: Rule = ['null', '"celsius"', '"fahrenheit"'].map((units) => [`${units}}`, null]);
const ASPECT_RULE: Rule = ASPECTS.map((aspect) => [`"${aspect}","units":`, UNITS_RULE]);
const WHEN_RULE: Rule = [...NAMED_WHENS, ...Array.from({ length: 999 }, (_, i) => `+${i + 1}d`), ...RANGE_WHENS].map(
  (when) => [`"${when}","aspect":`, ASPECT_RULE],
);
const capitalised = (text: string) => text.toLowerCase().replace(/(^|\s)\p{L}/gu, (start) => start.toUpperCase());
/** A place's name is at most this many of the message's words ("Ho Chi Minh City"). */
const MAX_PLACE_WORDS = 4;

/**
 * What the model may write as the query for `message` (protocol.ts's key order): `{"weather":false}`, or a weather
 * query whose `when`, aspect and units are known values and whose place and region are each null or one the message
 * supports (step 3) — a run of its words as typed, capitalised or in capitals, what a nickname in it stands for, or
 * the rules' reading (lessons included, so a taught place can be written). Decoding under it (bot/model/constrained.ts)
 * turns a small model's near-copies of a name it never saw ("Addisa") into the name, and its invented JSON into none.
 */
export function queryGrammar(message: string, rules: Understanding, nicknames: Nicknames): Rule {
  const places = new Set<string>();
  const words = [...message.matchAll(/\S+/gu)].flatMap((match) => {
    const inner = /[\p{L}\p{N}](?:.*[\p{L}\p{N}])?/u.exec(match[0]);
    return inner ? [{ start: match.index + inner.index, end: match.index + inner.index + inner[0].length }] : [];
  });
  for (const [i, first] of words.entries()) {
    for (const last of words.slice(i, i + MAX_PLACE_WORDS)) {
      const typed = message.slice(first.start, last.end);
      for (const spelling of [typed, capitalised(typed), typed.toUpperCase()]) places.add(spelling);
    }
  }
  const messageWords = wordsOf(message);
  for (const [nickname, place] of Object.entries(nicknames)) {
    if (containsWords(messageWords, wordsOf(nickname))) places.add(place);
  }
  if (rules.weather) for (const place of [rules.location, rules.region]) if (place !== null) places.add(place);
  const named = [...places].map((place) => JSON.stringify(place));
  const region: Rule = ['null', ...named].map((value) => [`${value},"when":`, WHEN_RULE]);
  const location: Rule = ['null', ...named].map((value) => [`${value},"region":`, region]);
  return [
    ['{"weather":false}', null],
    ['{"weather":true,"location":', location],
  ];
}

/** The model's query for `message` as the rules let it through, given the say its version earned (see above). */
export function guardQuery(
  message: string,
  written: string,
  rules: Understanding,
  nicknames: Nicknames,
  say: EarnedSay = UNMEASURED_SAY,
): GuardedQuery {
  const model = readQuery(written);
  if (model === null) return { query: rules, by: 'rules', fallback: 'invalid', corrections: [] };
  if (model.weather !== rules.weather) {
    if (model.weather && say.has('weather') && namesSupportedPlace(message, model, nicknames)) {
      return corrected(message, model, NOTHING_READ, nicknames, say);
    }
    return { query: rules, by: 'rules', fallback: 'intent', corrections: [] };
  }
  if (!model.weather || !rules.weather) return { query: model, by: 'model', fallback: null, corrections: [] };
  return corrected(message, model, rules, nicknames, say);
}

/** The parts of the rules' reading the guard corrects a model's weather query with. */
type RulesPlace = Pick<WeatherQuery, 'location' | 'region' | 'units'> & Partial<Pick<WeatherQuery, 'when' | 'aspect'>>;

/** What the rules read in a message they do not take for a weather question: no place, no units, no time or aspect. */
const NOTHING_READ: RulesPlace = { location: null, region: null, units: null };

/**
 * Steps 3 to 5: the model's weather query with the rules' place and units where the message does not back its own,
 * and the rules' time and aspect where it has not earned its say on them.
 */
function corrected(
  message: string,
  model: WeatherQuery,
  rules: RulesPlace,
  nicknames: Nicknames,
  say: EarnedSay,
): GuardedQuery {
  const query: WeatherQuery = { ...model };
  const corrections: QueryCorrection[] = [];
  if (!placeSupported(message, model, rules, nicknames, say.has('location')) || otherPlaceUnearned(model, rules, say)) {
    query.location = rules.location;
    query.region = rules.region;
    corrections.push('place');
  }
  if (model.units !== null && model.units !== rules.units) {
    query.units = rules.units;
    corrections.push('units');
  }
  // A range the rules read stands against a model's single time: ranges are newer than what a model may have learned.
  const rangeLost = rules.when !== undefined && isRange(rules.when) && !isRange(model.when);
  if (rules.when !== undefined && model.when !== rules.when && (!say.has('when') || rangeLost)) {
    query.when = rules.when;
    corrections.push('when');
  }
  if (rules.aspect !== undefined && model.aspect !== rules.aspect && !say.has('aspect')) {
    query.aspect = rules.aspect;
    corrections.push('aspect');
  }
  return { query, by: 'model', fallback: null, corrections };
}

export type AnswerFallback = 'empty' | 'cut-short' | 'too-long' | 'ungrounded';

/** Why the model's answer cannot be sent, or null when it can. */
export function answerProblem(text: string, finish: 'stop' | 'length', facts: WeatherFacts): AnswerFallback | null {
  if (text.trim() === '') return 'empty';
  if (finish === 'length') return 'cut-short';
  if (text.length > MAX_ANSWER_CHARS) return 'too-long';
  if (!isGrounded(text, facts)) return 'ungrounded';
  return null;
}

/** Lower-case words without diacritics, dots or apostrophes: "St. John's" -> ["st", "johns"]. */
function wordsOf(text: string): string[] {
  return keyOf(cleanMessage(text))
    .split(/[^\p{L}\p{N}]+/u)
    .filter(Boolean);
}

function containsWords(haystack: string[], needle: string[]): boolean {
  if (needle.length === 0) return false;
  return haystack.some((_, i) => needle.every((word, k) => haystack[i + k] === word));
}

const sameName = (a: string | null, b: string | null) =>
  a !== null && b !== null && wordsOf(a).join(' ') === wordsOf(b).join(' ');

/** Step 3's test. With `location` earned, the model reading no place at all is supported too. */
function placeSupported(
  message: string,
  model: WeatherQuery,
  rules: RulesPlace,
  nicknames: Nicknames,
  locationEarned: boolean,
): boolean {
  if (model.location === null) return model.region === null && (rules.location === null || locationEarned);
  const words = wordsOf(message);
  const location = wordsOf(model.location);
  const nicknamed = Object.entries(nicknames).some(
    ([nickname, canonical]) => sameName(canonical, model.location) && containsWords(words, wordsOf(nickname)),
  );
  const locationSupported = containsWords(words, location) || nicknamed || sameName(model.location, rules.location);
  const regionSupported =
    model.region === null || containsWords(words, wordsOf(model.region)) || sameName(model.region, rules.region);
  return locationSupported && regionSupported;
}

/**
 * A supported place other than the rules' (or one where they read none), from a model that has not earned its say on
 * `location`: the rules' place stands. Versions evaluated before the say was measured keep theirs, as the guard always
 * let them; a weather question the model earned over the rules' small talk keeps its place, the rules having none.
 */
function otherPlaceUnearned(model: WeatherQuery, rules: RulesPlace, say: EarnedSay): boolean {
  if (say === UNMEASURED_SAY || say.has('location') || rules === NOTHING_READ || model.location === null) return false;
  const sameRegion = (model.region === null && rules.region === null) || sameName(model.region, rules.region);
  return !(sameName(model.location, rules.location) && sameRegion);
}

/** Step 2's test where the rules read no weather question: the model names a place, and the message supports it. */
function namesSupportedPlace(message: string, model: WeatherQuery, nicknames: Nicknames): boolean {
  return model.location !== null && placeSupported(message, model, NOTHING_READ, nicknames, false);
}
