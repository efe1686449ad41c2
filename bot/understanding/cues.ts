/**
 * Weather cues: the words that make a message about weather and say which aspect it asks about.
 * Weak cues count only where they are used about the weather ("is it hot", not "hot dog").
 */
import { CUE_PHRASES, CUE_WORDS, QUESTION_STARTERS, WEATHER_NOUNS, type Cue } from './lexicon';
import { findPhrases } from './phrases';
import type { Reading } from './reading';

export interface FoundCue {
  index: number;
  cue: Cue;
}

export function cueOf(key: string): Cue | undefined {
  return CUE_WORDS.get(key) ?? (key.endsWith('-wise') ? CUE_WORDS.get(key.slice(0, -'-wise'.length)) : undefined);
}

/** Words after which "hot", "cold"... still describe the weather rather than a noun ("hot dog"). */
const ADJECTIVE_FOLLOWERS = new Set([
  'enough',
  'out',
  'outside',
  'outdoors',
  'there',
  'here',
  'in',
  'at',
  'on',
  'for',
  'this',
  'and',
  'or',
  'but',
  'with',
  'by',
  'to',
  'is',
  'will',
  'does',
  'was',
  'be',
  'right',
  'now',
  'rn',
  'af',
  'as',
  'tho',
  'though',
  'still',
  'already',
  'yet',
  'anymore',
  'lately',
  'again',
  'too',
  'so',
  'later',
  'weather',
  'air',
  'temps',
  'front',
  'wave',
  'lol',
  'ugh',
  'huh',
  'eh',
  'today',
  'tonight',
  'tomorrow',
  'vs',
  'than',
  'get',
  'gets',
  'getting',
]);
/** Nouns that keep an adjective about the weather: "a cold day", "a hot one". */
const WEATHER_PERIODS = new Set([
  'one',
  'day',
  'days',
  'night',
  'nights',
  'morning',
  'afternoon',
  'evening',
  'week',
  'weekend',
  'spell',
  'snap',
]);
const DETERMINERS = new Set([
  'a',
  'an',
  'the',
  'my',
  'your',
  'his',
  'her',
  'our',
  'their',
  'this',
  'that',
  'common',
  'some',
]);
/** Verbs that make a clothing word about the weather: "do I need a jacket", "should I wear shorts". */
const WEAR_VERBS = new Set(['need', 'needed', 'bring', 'wear', 'wearing', 'pack', 'take', 'grab', 'require', 'put']);

/** Words of a full sentence; a short question without them is a bare cue ("cold?") and not "is that clear?". */
const SENTENCE_WORDS = new Set([
  ...QUESTION_STARTERS,
  'it',
  'that',
  'this',
  'you',
  'he',
  'she',
  'they',
  'i',
  'what',
  'whats',
  'who',
  'how',
  'why',
]);

/** "cold?", "jacket tmrw?": a cue asked on its own. */
export function isShortQuestion(reading: Reading): boolean {
  const words = reading.words;
  return reading.hasQuestionMark && words.length <= 3 && !words.some((t) => SENTENCE_WORDS.has(t.key));
}

function adjectiveInUse(reading: Reading, index: number): boolean {
  const { tokens, roles } = reading;
  const next = tokens[index + 1];
  // "Cool, thanks" / "Nice!": an interjection.
  if (tokens[index].clauseStart && next && !next.word && next.text !== '?') return false;
  const nextIsPeriod = WEATHER_PERIODS.has(next?.key ?? '');
  const qualifiesNoun = !!next && next.word && !roles[index + 1] && !ADJECTIVE_FOLLOWERS.has(next.key) && !nextIsPeriod;
  // "a cold" is an illness.
  const isNoun = DETERMINERS.has(tokens[index - 1]?.key ?? '') && !nextIsPeriod;
  return !qualifiesNoun && !isNoun;
}

function cueInUse(reading: Reading, { index, cue }: FoundCue): boolean {
  const token = reading.tokens[index];
  // A capitalised cue inside a sentence is part of a name ("Miami Heat", "Jon Snow").
  const shouted = token.text.length > 1 && token.text === token.text.toUpperCase();
  if (token.capitalised && !token.clauseStart && !shouted && !WEATHER_NOUNS.has(token.key)) return false;
  if (cue.strength === 'adjective') return adjectiveInUse(reading, index);
  if (cue.strength === 'clothing')
    return (
      reading.has(WEAR_VERBS) ||
      reading.roles.includes('time') ||
      isShortQuestion(reading) ||
      reading.tokens[index + 1]?.key === 'weather' ||
      choosesBetweenGarments(reading, index)
    );
  return true;
}

/** "jacket or t-shirt?", "coat or no coat": a choice of what to wear. */
function choosesBetweenGarments(reading: Reading, index: number): boolean {
  const isGarment = (key: string | undefined) => key !== undefined && cueOf(key)?.strength === 'clothing';
  const after = reading.tokens.slice(index + 1, index + 4).map((t) => t.key);
  const or = after.findIndex((key) => key === 'or' || key === 'vs');
  return or >= 0 && after.slice(or + 1).some(isGarment);
}

/** "how's Chicago looking tomorrow?": asking how a place or a day looks is asking about its weather. */
function howItLooks(reading: Reading): FoundCue | null {
  const asksHow = reading.tokens.findIndex((t) => t.key === 'how' || t.key === 'hows');
  if (asksHow < 0) return null;
  const looking = reading.tokens.findIndex(
    (t, i) => i > asksHow && reading.isFree(i) && (t.key === 'looking' || t.key === 'lookin'),
  );
  return looking < 0 ? null : { index: looking, cue: { aspect: 'general', strength: 'weak' } };
}

/** Marks every cue word and returns those used about the weather, in message order. */
export function findCues(reading: Reading): FoundCue[] {
  const found: FoundCue[] = [];
  for (const match of findPhrases(reading.tokens, CUE_PHRASES, reading.isFree)) {
    reading.mark(match.start, match.end, 'cue');
    found.push({ index: match.start, cue: match.value });
  }
  reading.tokens.forEach((token, i) => {
    const cue = reading.isFree(i) ? cueOf(token.key) : undefined;
    if (!cue) return;
    reading.mark(i, i + 1, 'cue');
    found.push({ index: i, cue });
  });
  const looks = howItLooks(reading);
  if (looks) found.push(looks);
  return found.sort((a, b) => a.index - b.index).filter((f) => cueInUse(reading, f));
}
