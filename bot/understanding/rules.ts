/**
 * Rule-based understanding of a chat message: is it a weather question, and if so where, when,
 * about what and in which units. Pure and synchronous; it guards the model's parse and stands in
 * for it. The rules read the message in a fixed order, each marking the words it uses:
 * idioms -> units -> time -> known place names -> weather cues -> place from context -> intent.
 */
import type { Aspect, Understanding } from '../core/domain';
import type { RulesReader } from '../core/guard';
import { cueOf, findCues, type FoundCue } from './cues';
import { isWeatherQuestion } from './intent';
import { CUE_WORDS, GREETING_WORDS, IDIOMS, WEATHER_NOUNS } from './lexicon';
import { findPlace, findPlaceNames } from './location';
import { NICKNAMES } from './places';
import { findPhrases, weekdayOf } from './phrases';
import { Reading } from './reading';
import { cleanMessage, tokenize, type Token } from '../core/text';
import { findWhen } from './when';
import { findUnits } from './units';

const TIME_WORDS = new Set(['today', 'tonight', 'tomorrow', 'weekend', 'morning', 'afternoon', 'evening', 'night']);
/** Words a place may follow: "weather Tokyo", "temps Denver". */
const NAMES_WEATHER = new Set([
  ...WEATHER_NOUNS,
  'temperature',
  'temperatures',
  'temp',
  'temps',
  'humidity',
  'uv',
  'sunrise',
  'sunset',
]);
/** "whether" is a common misspelling of "weather" when a place, time or "like" follows it. */
const AFTER_MISSPELT_WEATHER = new Set([
  'in',
  'for',
  'like',
  'today',
  'tomorrow',
  'tonight',
  'forecast',
  'report',
  'update',
  'at',
  'now',
  'rn',
  'this',
]);
/** Words after a greeting word that make it a greeting: "Evening all". */
const GREETED = new Set(['all', 'everyone', 'folks', 'guys', 'team', 'yall']);

/** Words whose possessive is dropped ("tomorrow's forecast" -> "tomorrow"). */
function isKeyword(key: string): boolean {
  return CUE_WORDS.has(key) || TIME_WORDS.has(key) || weekdayOf(key, false) !== null;
}

function fixMisspeltWeather(tokens: Token[]): void {
  tokens.forEach((token, i) => {
    if (token.key !== 'whether') return;
    const next = tokens[i + 1]?.key ?? '';
    const previous = tokens[i - 1]?.key ?? '';
    if (AFTER_MISSPELT_WEATHER.has(next) || ['the', 'whats', 'hows'].includes(previous)) token.key = 'weather';
  });
}

function markIgnored(reading: Reading): void {
  for (const match of findPhrases(reading.tokens, IDIOMS, reading.isFree))
    reading.mark(match.start, match.end, 'ignored');
  // "Morning!", "Evening all,": a greeting, not a time.
  const [first, second] = reading.tokens;
  if (first && GREETING_WORDS.has(first.key) && (!second || !second.word || GREETED.has(second.key)))
    reading.mark(0, 1, 'ignored');
}

/** The first specific aspect named; a verb of wearing only when nothing else names one ("wear sunscreen" is sun). */
function aspectOf(cues: FoundCue[]): Aspect {
  const specific = cues.filter((c) => c.cue.aspect !== 'general');
  return (specific.find((c) => c.cue.strength !== 'wearing') ?? specific[0])?.cue.aspect ?? 'general';
}

/** Parses a chat message into a weather query, or `{ weather: false }` when it is not one. */
export function understandByRules(text: string): Understanding {
  const { tokens } = tokenize(cleanMessage(text), isKeyword);
  fixMisspeltWeather(tokens);
  const reading = new Reading(tokens);
  markIgnored(reading);

  const units = findUnits(tokens);
  for (const i of units.indices) if (reading.isFree(i)) reading.mark(i, i + 1, 'units');
  const time = findWhen(tokens, reading.isFree);
  for (const span of time.spans) reading.mark(span.start, span.end, 'time');

  const isWeatherWord = (i: number) =>
    reading.isFree(i) && (cueOf(tokens[i].key)?.strength ?? 'adjective') !== 'adjective';
  const names = findPlaceNames({ tokens, isWeatherWord }, reading.isFree);
  for (const name of names) reading.mark(name.start, name.end, 'place');
  const cues = findCues(reading);
  const place = findPlace(reading, names, {
    before: (i) => reading.roles[i] === 'cue' && NAMES_WEATHER.has(tokens[i].key),
    after: (i) => reading.roles[i] === 'cue' && cueOf(tokens[i].key)?.strength === 'strong',
  });

  if (!isWeatherQuestion(reading, { cues, hasTime: time.spans.length > 0, placeEvidence: place?.evidence ?? 0 })) {
    return { weather: false };
  }
  return {
    weather: true,
    location: place?.location ?? null,
    region: place?.region ?? null,
    when: time.when,
    aspect: aspectOf(cues),
    units: units.units,
  };
}

/** The rules as the guard and the training evaluation take them. */
export const RULES: RulesReader = { understand: understandByRules, nicknames: NICKNAMES };
