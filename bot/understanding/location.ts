/**
 * Finding the place a message asks about. Known names and nicknames are marked first; then every
 * run of name-like words is a candidate, scored by its context: after "in/for/at…" is best, next
 * to a weather word ("Tokyo weather", "weather Tokyo") next, a capitalised or known name last.
 * A region qualifier may follow the place ("Paris, TX", "Portland Maine", "Cambridge (UK)").
 */
import { GENERIC_PLACE_WORDS, MOTION_WORDS, NAME_PARTICLES, PLACE_PREPOSITIONS, STOP_WORDS } from './lexicon';
import {
  AMBIGUOUS_NICKNAMES,
  KNOWN_PLACE_KEYS,
  NICKNAMES,
  REGION_CODE_NICKNAMES,
  REGIONS,
  WORD_LIKE_PLACES,
  displayName,
  displayRegion,
  isAmbiguousRegionCode,
} from './places';
import type { Reading } from './reading';
import type { Token } from '../core/text';

/** A nickname or known city name found in the message. */
export interface PlaceName {
  start: number;
  end: number;
  /** Canonical name of a nickname ("Philly" -> "Philadelphia"); null for a known name, kept as typed. */
  canonical: string | null;
}

export interface PlaceMention {
  location: string;
  region: string | null;
  /** 3: after a place preposition; 2: beside a weather word; 1: a capitalised or known name. */
  evidence: number;
}

/** Which tokens name weather so that a place may stand beside them. */
export interface WeatherNeighbours {
  /** "weather Tokyo", "forecast Berlin". */
  before: (i: number) => boolean;
  /** "Tokyo weather", "Seattle rain". */
  after: (i: number) => boolean;
}

/** Words that are no name even when typed with a capital inside a sentence. */
const NOT_PROPER_NAMES = new Set([
  'i',
  'im',
  'id',
  'ive',
  'ill',
  'ok',
  'okay',
  'the',
  'a',
  'an',
  'and',
  'or',
  'but',
  'of',
  'in',
  'on',
  'at',
  'to',
  'for',
  'is',
  'are',
  'was',
  'will',
  'can',
  'do',
  'does',
  'what',
  'whats',
  'how',
  'hows',
  'when',
  'where',
  'why',
  'who',
  'which',
  'pm',
  'am',
  'hey',
  'hi',
  'hello',
  'thanks',
  'thank',
  'please',
  'lol',
  'omg',
  'yo',
  'bro',
  'dude',
  'mate',
  'guys',
  'bot',
  'weatherbot',
  'god',
  'jesus',
  'lord',
  'sir',
  'mr',
  'mrs',
  'ms',
  'dr',
  'it',
  'its',
  'you',
  'we',
  'my',
  'me',
  'so',
  'just',
  'also',
  'any',
  'should',
  'would',
  'could',
  'tv',
  'ai',
  'api',
  'january',
  'february',
  'march',
  'april',
  'may',
  'june',
  'july',
  'august',
  'september',
  'october',
  'november',
  'december',
  'christmas',
  'easter',
  'halloween',
  'thanksgiving',
]);
/** "Washington state", "Denver area": a qualifier after the name, not part of it. */
const TRAILING_QUALIFIERS = new Set(['state', 'area', 'region', 'metro']);
/** A capitalised word right after these is a person being addressed ("Thanks Sarah"), not a place. */
const ADDRESS_WORDS = new Set([
  'hey',
  'hi',
  'hello',
  'thanks',
  'thank',
  'yo',
  'dear',
  'morning',
  'evening',
  'cheers',
  'sup',
]);
const MAX_NAME_WORDS = 6;

function isProperName(tokens: Token[], i: number): boolean {
  const token = tokens[i];
  if (!token?.capitalised || token.clauseStart) return false;
  return !ADDRESS_WORDS.has(tokens[i - 1]?.key ?? '');
}

function nameLike(reading: Reading, i: number): boolean {
  const token = reading.tokens[i];
  if (!token || !token.word || !reading.isFree(i) || /^\d/.test(token.key) || token.key.length < 2) return false;
  if (isProperName(reading.tokens, i)) return !NOT_PROPER_NAMES.has(token.key);
  if (STOP_WORDS.has(token.key)) return false;
  // Lower-case "-ing" and "-ly" words are verbs and adverbs ("running", "honestly"), not places.
  return !/(ing|ly)$/.test(token.key) || KNOWN_PLACE_KEYS.has(token.key) || REGIONS.has(token.key);
}

function isParticle(reading: Reading, i: number): boolean {
  const token = reading.tokens[i];
  return !!token && reading.isFree(i) && token.text === token.text.toLowerCase() && NAME_PARTICLES.has(token.key);
}

function keyOfSpan(tokens: Token[], start: number, end: number): string {
  return tokens
    .slice(start, end)
    .map((t) => t.key)
    .join(' ');
}

function textsOf(tokens: Token[], start: number, end: number): string[] {
  return tokens.slice(start, end).map((t) => t.text);
}

/** The word before token i, looking past one comma. */
function wordBefore(tokens: Token[], i: number): Token | undefined {
  return tokens[tokens[i - 1]?.text === ',' ? i - 2 : i - 1];
}

function singleWordNameAllowed(tokens: Token[], i: number, isWeatherWord: (i: number) => boolean): boolean {
  const token = tokens[i];
  const previous = tokens[i - 1];
  const afterPreposition = !!previous && (PLACE_PREPOSITIONS.has(previous.key) || MOTION_WORDS.has(previous.key));
  if (REGION_CODE_NICKNAMES.has(token.key)) {
    // "Albany, NY" and "Washington DC": a region code after a city name is its region.
    const before = wordBefore(tokens, i);
    const afterCity =
      !!before &&
      before.word &&
      !STOP_WORDS.has(before.key) &&
      !PLACE_PREPOSITIONS.has(before.key) &&
      !MOTION_WORDS.has(before.key) &&
      !isWeatherWord(tokens.indexOf(before));
    if (afterCity) return false;
  }
  if (AMBIGUOUS_NICKNAMES.has(token.key)) {
    const inCapitals = token.text === token.text.toUpperCase() && token.text !== token.text.toLowerCase();
    return inCapitals || afterPreposition || isWeatherWord(i - 1) || isWeatherWord(i + 1);
  }
  if (WORD_LIKE_PLACES.has(token.key)) return isProperName(tokens, i) || afterPreposition;
  return true;
}

/**
 * Marks nicknames and known city names, longest first. Ambiguous ones ("la", "dc", "nice",
 * "reading") need a sign that they are places: capitals, a preposition before them, or a
 * weather word beside them.
 */
export function findPlaceNames(
  { tokens, isWeatherWord }: { tokens: Token[]; isWeatherWord: (i: number) => boolean },
  isFree: (i: number) => boolean,
): PlaceName[] {
  const names: PlaceName[] = [];
  for (let i = 0; i < tokens.length; i++) {
    for (let length = Math.min(5, tokens.length - i); length >= 1; length--) {
      const span = tokens.slice(i, i + length);
      if (!span.every((t, k) => t.word && isFree(i + k))) continue;
      const key = keyOfSpan(tokens, i, i + length);
      const canonical = NICKNAMES[key] ?? null;
      if (!canonical && !KNOWN_PLACE_KEYS.has(key)) continue;
      if (length === 1 && !singleWordNameAllowed(tokens, i, isWeatherWord)) continue;
      names.push({ start: i, end: i + length, canonical });
      i += length - 1;
      break;
    }
  }
  return names;
}

interface Run {
  start: number;
  end: number;
  name: PlaceName | null;
}

/** End of particles-then-a-name continuing a name at `at` ("… de la Sierra"), or `at` if none. */
function particleBridge(reading: Reading, at: number): number {
  let end = at;
  while (isParticle(reading, end)) end++;
  return end > at && nameLike(reading, end) ? end + 1 : at;
}

/** Extends a name over further name words and particle bridges. */
function extendName(reading: Reading, start: number, end: number): number {
  while (end - start < MAX_NAME_WORDS) {
    if (nameLike(reading, end)) end++;
    else if (particleBridge(reading, end) > end) end = particleBridge(reading, end);
    else break;
  }
  return end;
}

/** Candidate place names: known names and runs of name-like words. */
function findRuns(reading: Reading, names: PlaceName[]): Run[] {
  const { tokens } = reading;
  const runs: Run[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const name = names.find((n) => n.start === i);
    if (name) {
      // A known name may begin a longer one: "Santa Cruz" + "de la Sierra".
      const bridged = particleBridge(reading, name.end);
      const run =
        bridged > name.end
          ? { start: i, end: extendName(reading, i, bridged), name: null }
          : { start: i, end: name.end, name };
      runs.push(run);
      i = run.end - 1;
      continue;
    }
    if (!nameLike(reading, i)) continue;
    let end = extendName(reading, i, i + 1);
    const headIsName = (head: number) => tokens.slice(i, head).some((t) => !GENERIC_PLACE_WORDS.has(t.key));
    while (end - i > 1 && TRAILING_QUALIFIERS.has(tokens[end - 1].key) && headIsName(end - 1)) end--;
    // "the city", "downtown" are no place; "the Bay Area" is one.
    const allGeneric = !headIsName(end);
    if (!allGeneric || (end - i > 1 && isProperName(tokens, i))) runs.push({ start: i, end, name: null });
    i = end - 1;
  }
  return runs;
}

function evidenceOf(reading: Reading, run: Run, neighbours: WeatherNeighbours): number {
  const { tokens } = reading;
  const named = !!run.name || isProperName(tokens, run.start);
  const known = named || REGIONS.has(keyOfSpan(tokens, run.start, run.end));
  let before = run.start - 1;
  if (tokens[before]?.key === 'the' && reading.isFree(before) && known) before--;
  if (reading.isFree(before)) {
    if (PLACE_PREPOSITIONS.has(tokens[before].key)) return 3;
    if (MOTION_WORDS.has(tokens[before].key) && named) return 3;
  }
  let after = run.end;
  while (reading.isFree(after) && (tokens[after].text === ',' || REGIONS.has(tokens[after].key))) after++;
  if (neighbours.before(run.start - 1) || neighbours.after(run.end) || neighbours.after(after)) return 2;
  return named ? 1 : 0;
}

/** Whether the code at `at` is a region: "Paris, tx", "Paris TX", "paris tx" yes; "Portland or Seattle" no. */
function regionCodeAllowed(reading: Reading, at: number, afterComma: boolean): boolean {
  const token = reading.tokens[at];
  if (afterComma || !isAmbiguousRegionCode(token.key)) return true;
  // In a message written all in capitals, a code is one where no further name follows ("BOSTON MA TOMORROW").
  if (token.shouted) return !nameLike(reading, at + 1);
  return token.text === token.text.toUpperCase();
}

interface RegionMatch {
  end: number;
  text: string;
}

/** A region name or code starting at `at`, up to three words. */
function regionAt(reading: Reading, at: number, afterComma: boolean): RegionMatch | null {
  const { tokens, roles } = reading;
  for (let length = 3; length >= 1; length--) {
    const span = tokens.slice(at, at + length);
    const usable =
      span.length === length && span.every((t, k) => t.word && (reading.isFree(at + k) || roles[at + k] === 'place'));
    const kind = usable ? REGIONS.get(keyOfSpan(tokens, at, at + length)) : undefined;
    if (!kind || (kind === 'code' && !regionCodeAllowed(reading, at, afterComma))) continue;
    return { end: at + length, text: displayRegion(textsOf(tokens, at, at + length), kind) };
  }
  return null;
}

/** A region written after the place: ", TX", " Maine", " (UK)", or after a comma any capitalised name. */
function regionAfter(reading: Reading, run: Run): RegionMatch | null {
  const { tokens } = reading;
  let at = run.end;
  const afterComma = tokens[at]?.text === ',' || tokens[at]?.text === '(';
  if (afterComma) at++;
  const known = regionAt(reading, at, afterComma);
  if (known || !afterComma || !isProperName(tokens, at) || !nameLike(reading, at)) return known;
  let end = at + 1;
  while (end - at < 3 && isProperName(tokens, end) && nameLike(reading, end)) end++;
  return { end, text: displayName(textsOf(tokens, at, end)) };
}

/** Splits a region off the end of a run: "portland oregon", "Springfield IL", "Paris France". */
function splitTrailingRegion(reading: Reading, run: Run): { placeEnd: number; region: string } | null {
  const { tokens } = reading;
  if (run.name || run.end - run.start < 2 || REGIONS.has(keyOfSpan(tokens, run.start, run.end))) return null;
  for (let length = Math.min(3, run.end - run.start - 1); length >= 1; length--) {
    const at = run.end - length;
    if (NAME_PARTICLES.has(tokens[at - 1].key)) continue;
    const kind = REGIONS.get(keyOfSpan(tokens, at, run.end));
    if (!kind || (kind === 'code' && !regionCodeAllowed(reading, at, false))) continue;
    return { placeEnd: at, region: displayRegion(textsOf(tokens, at, run.end), kind) };
  }
  return null;
}

/** The best-supported place in the message, with its region; null when none is named. */
export function findPlace(reading: Reading, names: PlaceName[], neighbours: WeatherNeighbours): PlaceMention | null {
  const { tokens } = reading;
  let best: { run: Run; evidence: number } | null = null;
  for (const run of findRuns(reading, names)) {
    const evidence = evidenceOf(reading, run, neighbours) + (run.name ? 0.5 : 0);
    if (evidence >= 1 && (!best || evidence > best.evidence)) best = { run, evidence };
  }
  if (!best) return null;
  const { run, evidence } = best;
  const after = regionAfter(reading, run);
  const trailing = after ? null : splitTrailingRegion(reading, run);
  const placeEnd = trailing?.placeEnd ?? run.end;
  const words = textsOf(tokens, run.start, placeEnd);
  // A region named on its own is the place ("weather in the UK", "weather in Georgia").
  const wholeRegion = REGIONS.get(keyOfSpan(tokens, run.start, placeEnd));
  const location = run.name?.canonical ?? (wholeRegion ? displayRegion(words, wholeRegion) : displayName(words));
  return { location, region: after?.text ?? trailing?.region ?? null, evidence: Math.floor(evidence) };
}
