/**
 * What moderators taught by correcting a reading, read into every message from then on, with no retrain.
 * A correction teaches two things:
 *
 * - a nickname: the name the message used for the corrected place ("the Big D" -> Dallas, TX), when the message
 *   does not name the place itself;
 * - words: the message's words that the rules' everyday vocabulary lacks ("regnen", "morgen", "baltic") become cues
 *   for what the correction says the rules misread — that it is about the weather, when, which aspect. A word also
 *   matches with a small change of ending (regnen/regnet), so a lesson reaches messages it has never seen.
 *
 * Arbitration: the rules read first; a nickname stands in for the name it replaces; taught words decide only what
 * the rules did not read (not weather, no time, no specific aspect), by votes weighted so that a word taught with
 * many meanings ("es", "il") counts for little beside one taught with one ("morgen"). A rule the built-in vocabulary
 * reads is never overruled by a lesson.
 */
import { isWhen, type Aspect, type Exchange, type Understanding, type When, type WeatherQuery } from '../core/domain';
import { cleanMessage, tokenize } from '../core/text';
import { cueOf } from './cues';
import { PLACE_PREPOSITIONS, QUESTION_WORDS, STOP_WORDS, WEATHER_NOUNS } from './lexicon';
import { NICKNAMES } from './places';
import { weekdayOf } from './phrases';

export interface Lesson {
  /** The exchange it was taught on. */
  id: string;
  message: string;
  /** The corrected reading. */
  reading: Understanding;
  /** The message's name for the corrected place, in lower case, when it did not name the place. */
  nickname: string | null;
  /** Words of the message outside the everyday vocabulary (match keys). */
  words: string[];
  /** What the words teach: only the parts of the reading the rules got wrong. */
  teaches: { weather?: boolean; when?: When; aspect?: Aspect };
  /** The word the message put before the place ("en", "à", "em"): where the next messages name theirs. */
  placeWord: string | null;
  /** When the correction was made (ISO). */
  at: string;
}

type Read = (text: string) => Understanding;

const TIME_WORDS = new Set(['now', 'today', 'tonight', 'tomorrow', 'weekend', 'right', 'this', 'next', 'on']);

/** Words the rules read themselves: never a lesson's (numbers neither). */
function isRulesWord(key: string): boolean {
  return (
    STOP_WORDS.has(key) ||
    QUESTION_WORDS.has(key) ||
    WEATHER_NOUNS.has(key) ||
    PLACE_PREPOSITIONS.has(key) ||
    TIME_WORDS.has(key) ||
    cueOf(key) !== undefined ||
    weekdayOf(key, false) !== null ||
    key in NICKNAMES ||
    /^\d/.test(key)
  );
}

const keysOf = (text: string): string[] =>
  tokenize(cleanMessage(text), () => false)
    .tokens.filter((token) => token.word)
    .flatMap((token) => (token.key.includes('-') ? [token.key, ...token.key.split('-').filter(Boolean)] : [token.key]));

/** Two keys are the same word, allowing a changed ending of up to two letters on words of five or more. */
function sameWord(a: string, b: string): boolean {
  if (a === b) return true;
  if (a.length < 5 || b.length < 5) return false;
  const stem = Math.max(a.length, b.length) - 2;
  return a.slice(0, stem) === b.slice(0, stem);
}

/**
 * The name after the last place preposition: its capitalised words ("wird es in Wien regnen" -> "wien"), or in a
 * message typed without capitals the words up to a time or weather word ("in the big d right now" -> "big d").
 */
function nameAfterPreposition(message: string): string | null {
  const { tokens, caseless } = tokenize(cleanMessage(message), () => false);
  const at = tokens.findLastIndex((token) => PLACE_PREPOSITIONS.has(token.key));
  if (at < 0) return null;
  const after = tokens.slice(at + 1).filter((token, i) => !(i === 0 && token.key === 'the'));
  const capitals = !caseless && after.some((token) => token.capitalised);
  const name: string[] = [];
  for (const { key, word, capitalised } of after) {
    const ends = capitals ? !capitalised : TIME_WORDS.has(key) || cueOf(key) || weekdayOf(key, false) !== null;
    if (!word || ends || name.length === 3) break;
    name.push(key);
  }
  return name.length ? name.join(' ') : null;
}

/** The rules' reading once told the message is about the weather: what they read besides whether it is. */
const readAsWeather = (rules: Read, text: string) => rules(`${text} (weather)`);

const mentions = (keys: string[], phrase: string) => ` ${keys.join(' ')} `.includes(` ${phrase} `);

/** A correction: the message, what the bot read (null: read it with the lessons now) and what it meant. */
export interface Correction {
  id: string;
  message: string;
  misread: Understanding | null;
  /** The place the bot read could not be found: a name it took for a place may be a nickname. */
  placeNotFound: boolean;
  reading: Understanding;
  /** When it was corrected (ISO); now when absent. */
  at?: string;
}

/**
 * The lesson a correction teaches, or null when it teaches nothing the bot did not already read. `everyday` holds the
 * words of the bot's everyday messages (the seed's): they are read already, so they teach nothing.
 */
function lessonFrom(
  correction: Correction & { misread: Understanding },
  rules: Read,
  everyday: ReadonlySet<string>,
): Lesson | null {
  const { id, message, misread: read, placeNotFound, reading } = correction;
  const keys = keysOf(message);
  let nickname: string | null = null;
  const placeKeys = new Set<string>();
  if (reading.weather && reading.location) {
    const place = keysOf(reading.location).join(' ');
    for (const key of keysOf(`${reading.location} ${reading.region ?? ''}`)) placeKeys.add(key);
    if (!mentions(keys, place)) {
      const literal = read.weather && read.location ? keysOf(read.location).join(' ') : null;
      // A place the geocoder found and the moderator replaced was the wrong place, not a nickname.
      if (!literal) nickname = nameAfterPreposition(message);
      else if (placeNotFound && mentions(keys, literal)) nickname = literal;
      for (const key of nickname?.split(' ') ?? []) placeKeys.add(key);
    }
  }
  // Place names, the bot's and the moderator's, teach no words.
  if (read.weather && read.location) for (const key of keysOf(read.location)) placeKeys.add(key);
  // The words teach only what the rules still misread once told the message is about the weather: in
  // "qeather in Chicago tomorrow?" the rules read "tomorrow" themselves, so "qeather" teaches the weather, not when.
  const cued = read.weather || !reading.weather ? read : readAsWeather(rules, message);
  const teaches: Lesson['teaches'] = {};
  if (reading.weather && (!cued.weather || cued.when !== reading.when)) teaches.when = reading.when;
  if (reading.weather && (!cued.weather || cued.aspect !== reading.aspect)) teaches.aspect = reading.aspect;
  // A word for a time or an aspect of the weather ("pluie") is a weather word too, even where the rules guessed right.
  if (reading.weather !== read.weather || Object.keys(teaches).length) teaches.weather = reading.weather;
  const learnable = (key: string) => key.length > 1 && !placeKeys.has(key) && !isRulesWord(key) && !everyday.has(key);
  const words = Object.keys(teaches).length ? [...new Set(keys.filter(learnable))] : [];
  const placeWord = reading.weather && reading.location ? wordBefore(keys, keysOf(reading.location)) : null;
  if (!nickname && words.length === 0 && !placeWord) return null;
  return { id, message, reading, nickname, words, teaches, placeWord, at: correction.at ?? new Date().toISOString() };
}

/** The word just before a place named in the message ("en" in "hace frío en Quito"), when it is no English one. */
function wordBefore(keys: string[], place: string[]): string | null {
  const at = keys.findIndex((_, i) => place.every((key, j) => keys[i + j] === key));
  const before = at > 0 ? keys[at - 1] : undefined;
  return before && !PLACE_PREPOSITIONS.has(before) && !/^\d/.test(before) ? before : null;
}

/** Votes for each value of a field; the winner needs more than half of all the weight cast, and `minimum`. */
class Ballot<V> {
  private readonly weights = new Map<V, number>();
  cast(value: V | undefined, weight: number): void {
    if (value !== undefined) this.weights.set(value, (this.weights.get(value) ?? 0) + weight);
  }
  winner(minimum = 0): V | undefined {
    const total = [...this.weights.values()].reduce((sum, weight) => sum + weight, 0);
    const [best] = [...this.weights.entries()].sort((a, b) => b[1] - a[1]);
    return best && best[1] > total / 2 && best[1] >= minimum ? best[0] : undefined;
  }
}

/** The lessons in force: learned from corrections, read into every message. */
export class Lessons {
  private readonly byId = new Map<string, Lesson>();

  /** `rules` reads a message without lessons; `everyday` holds words that teach nothing (see lessonFrom). */
  constructor(
    private readonly rules: Read,
    private readonly everyday: ReadonlySet<string> = new Set(),
  ) {}

  /** Learns what a correction teaches, replacing what its exchange taught before; null when nothing. */
  learn(correction: Correction): Lesson | null {
    const misread = correction.misread ?? this.read(correction.message);
    const lesson = lessonFrom({ ...correction, misread }, this.rules, this.everyday);
    if (lesson) this.byId.set(lesson.id, lesson);
    else this.byId.delete(correction.id);
    return lesson;
  }

  forget(id: string): boolean {
    return this.byId.delete(id);
  }

  list(): Lesson[] {
    return [...this.byId.values()];
  }

  /** The message read by the rules with everything taught (see the module's comment for who decides what). */
  read(text: string): Understanding {
    if (this.byId.size === 0) return this.rules(text);
    const keys = keysOf(text);
    const nickname = this.nicknameIn(keys);
    const named = nickname ? text.replace(aliasPattern(nickname.alias), nickname.location) : text;
    const read = this.rules(named);
    const ballots = this.vote(keys);
    // Short words ("es", "il", "en") are mostly grammar: alone they do not make a message about the weather.
    const weather = ballots.weather.winner(1);
    let query: WeatherQuery;
    if (read.weather) query = read;
    else if (weather === true) {
      // The rules missed that it is about the weather: read again with the cue the taught words stand for.
      const cued = readAsWeather(this.rules, named);
      if (!cued.weather) return read;
      query = cued;
    } else return read;
    const location =
      query.location === nickname?.location || !query.location
        ? (query.location ?? this.placeAfterTaughtWord(named))
        : this.withoutTaughtWords(query.location);
    // The place's own words ("Rio de Janeiro") say nothing about when or what.
    const placeKeys = new Set(keysOf(location ?? ''));
    const said = this.vote(keys.filter((key) => !placeKeys.has(key)));
    const when = query.when === 'now' ? said.when.winner() : undefined;
    const aspect = query.aspect === 'general' ? said.aspect.winner() : undefined;
    return {
      ...query,
      location,
      ...(nickname && location === nickname.location && { region: query.region ?? nickname.region }),
      ...(when && isWhen(when) && { when }),
      ...(aspect && { aspect }),
    };
  }

  private isTaught(key: string): boolean {
    return [...this.byId.values()].some((lesson) => lesson.words.some((word) => sameWord(word, key)));
  }

  /**
   * A place name the rules ran on into taught words ("Bremen Morgen Windig", "Salzburg am Wochenende"), cut back to
   * the name: taught words at its end go, and short words before them.
   */
  private withoutTaughtWords(location: string): string {
    const words = location.split(/\s+/);
    const last = () => keysOf(words.at(-1)!);
    let cut = false;
    while (
      words.length > 1 &&
      (last().every((key) => this.isTaught(key)) || (cut && last().every((key) => key.length <= 3)))
    ) {
      words.pop();
      cut = true;
    }
    return words.join(' ');
  }

  /** The capitalised words after a word taught to come before places ("en Bilbao"); null when there are none. */
  private placeAfterTaughtWord(text: string): string | null {
    const placeWords = new Set(
      [...this.byId.values()].flatMap((lesson) => (lesson.placeWord ? [lesson.placeWord] : [])),
    );
    const { tokens } = tokenize(cleanMessage(text), () => false);
    const at = tokens.findIndex((token, i) => placeWords.has(token.key) && tokens[i + 1]?.capitalised);
    if (at < 0) return null;
    const name: string[] = [];
    for (const token of tokens.slice(at + 1)) {
      if (!token.word || !token.capitalised || this.isTaught(token.key) || name.length === 3) break;
      name.push(token.text);
    }
    return name.join(' ') || null;
  }

  private nicknameIn(keys: string[]): { alias: string; location: string; region: string | null } | null {
    const taught = [...this.byId.values()]
      .filter((lesson) => lesson.nickname && lesson.reading.weather && mentions(keys, lesson.nickname))
      .sort((a, b) => b.nickname!.length - a.nickname!.length)[0];
    if (!taught?.reading.weather) return null;
    return { alias: taught.nickname!, location: taught.reading.location!, region: taught.reading.region };
  }

  /** Each taught word in the message votes for what its lessons teach, its weight shared among its meanings. */
  private vote(keys: string[]) {
    const ballots = { weather: new Ballot<boolean>(), when: new Ballot<When>(), aspect: new Ballot<Aspect>() };
    for (const key of new Set(keys)) {
      const lessons = [...this.byId.values()].filter((lesson) => lesson.words.some((word) => sameWord(word, key)));
      const short = key.length <= 3 ? 0.5 : 1;
      for (const field of ['weather', 'when', 'aspect'] as const) {
        const taught = lessons.filter((lesson) => lesson.teaches[field] !== undefined);
        const meanings = new Set(taught.map((lesson) => lesson.teaches[field])).size;
        for (const lesson of taught)
          (ballots[field] as Ballot<unknown>).cast(lesson.teaches[field], short / meanings / taught.length);
      }
    }
    return ballots;
  }
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The alias as typed in any case, "the" in front of it included ("the Big D" -> "Dallas"). */
const aliasPattern = (alias: string) =>
  new RegExp(`(?:\\bthe\\s+)?(?<![\\p{L}\\p{N}])${alias.split(' ').map(escape).join('\\s+')}(?![\\p{L}\\p{N}])`, 'giu');

/** The lessons of the corrected exchanges whose reading was not forgotten, oldest first. */
export async function lessonsOf(
  corrected: AsyncIterable<Exchange>,
  rules: Read,
  everyday: ReadonlySet<string> = new Set(),
): Promise<Lessons> {
  const lessons = new Lessons(rules, everyday);
  for await (const exchange of corrected) {
    const { reading, status, forgotten } = exchange.moderation;
    if (status === 'corrected' && reading && !forgotten) lessons.learn(correctionOf(exchange, reading));
  }
  return lessons;
}

/**
 * The words of everyday messages (the seed's) that teach nothing: those in at least `minMessages` of them ("quick",
 * "later", "atm"). Rarer ones stay learnable: the seed holds the typos people make ("snwo"), which the rules miss.
 */
export function everydayWords(messages: Iterable<string>, minMessages = 20): Set<string> {
  const counts = new Map<string, number>();
  for (const message of messages)
    for (const key of new Set(keysOf(message))) counts.set(key, (counts.get(key) ?? 0) + 1);
  return new Set([...counts].filter(([, count]) => count >= minMessages).map(([key]) => key));
}

/** The correction of a stored exchange to `reading`. */
export const correctionOf = (exchange: Exchange, reading: Understanding): Correction => ({
  id: exchange.id,
  message: exchange.question,
  misread: exchange.query,
  placeNotFound: exchange.error === 'place-not-found',
  reading,
  at: exchange.moderation.at ?? undefined,
});
