/**
 * Turning a raw chat message into tokens the rules can read: platform noise removed, each
 * word kept as typed (for place names) beside a matching key (lower-case, no diacritics,
 * common chat spellings and small typos of keywords corrected).
 */

export interface Token {
  /** As typed, after cleanup (a possessive "'s" on a keyword is dropped). */
  text: string;
  /** Form used for matching: lower-case, diacritics, dots and apostrophes removed, spelling normalised. */
  key: string;
  /** False for punctuation and symbols. */
  word: boolean;
  /** Typed with a leading capital; always false in a message written all in caps or all in Title Case. */
  capitalised: boolean;
  /** First word of the message or of a clause (after punctuation). */
  clauseStart: boolean;
  /** The whole message was written in capitals. */
  shouted: boolean;
}

export interface TokenizedMessage {
  tokens: Token[];
  /** True when capitals carry no information (ALL CAPS or Every Word Capitalised). */
  caseless: boolean;
}

/**
 * Terminal escape sequences (CSI "ESC [ … letter", OSC "ESC ] … BEL or ESC \\", and two-character ones), C0 and C1
 * controls other than newline and tab, bidi overrides and isolates, and invisible zero-width characters (the emoji
 * joiner U+200D and the non-joiner U+200C stay: scripts and emoji need them).
 */
const UNSAFE_TEXT =
  // eslint-disable-next-line no-control-regex -- the control characters are what this removes
  /\x1b\[[0-?]*[ -/]*[@-~]?|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-_]?|\x9b[0-?]*[ -/]*[@-~]?|[\x00-\x08\x0b-\x1f\x7f-\x9f]|[\u061c\u200b\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/g;

/**
 * A message or command as it may be stored and echoed: no control characters, escape sequences or invisible
 * direction changes, so nothing typed can drive a terminal, a log viewer or the way a reply reads.
 */
export function safeText(raw: string): string {
  return raw.replace(/\r\n?/g, '\n').replace(UNSAFE_TEXT, '');
}

/** Mentions that would ping people if a platform rendered them: @everyone/@here, Discord's <@…>, Slack's <!…>. */
const MENTION = /@(everyone|here)|<([@!#])/gi;

/**
 * User text as a reply may quote it: mentions defused (a look-alike ＠ and ‹, which ping no one) and cut to at most
 * `max` characters, ending in an ellipsis, never splitting a pair.
 */
export function echo(text: string, max = 60): string {
  const defused = text.replace(MENTION, (_, word: string | undefined, sigil: string | undefined) =>
    word ? `＠${word}` : `‹${sigil}`,
  );
  const chars = [...defused];
  return chars.length <= max
    ? defused
    : `${chars
        .slice(0, max - 1)
        .join('')
        .trimEnd()}…`;
}

const EMOJI_WORDS: [RegExp, string][] = [
  [/[☔☂🌧🌦⛈🌩]/gu, ' rain '],
  [/[❄🌨☃⛄]/gu, ' snow '],
  [/[☀🌞]/gu, ' sunny '],
  [/🌡/gu, ' temperature '],
  [/[💨🌬🌪]/gu, ' wind '],
  [/🥵/gu, ' hot '],
  [/🥶/gu, ' cold '],
  [/[🌫☁]/gu, ' cloudy '],
];

/** Strips what chat platforms add around a message: mentions, links, custom emoji, markdown. */
export function cleanMessage(raw: string): string {
  let text = raw
    .replace(/<(?:https?|mailto):[^>]*>/gi, ' ')
    .replace(/<[@#!][^>]*>/g, ' ')
    .replace(/<a?:\w+:\d+>/g, ' ')
    .replace(/\bhttps?:\/\/\S+|\bwww\.\S+/gi, ' ')
    .replace(/(^|[\s(])@[\w.-]+/g, '$1 ')
    .replace(/[’‘`´]/g, "'")
    .replace(/[“”]/g, '"')
    .replace(/º/g, '°')
    .replace(/[*_~]+/g, ' ');
  for (const [pattern, word] of EMOJI_WORDS) text = text.replace(pattern, word);
  return text
    .replace(/\p{Extended_Pictographic}|[\u{1F3FB}-\u{1F3FF}]|\uFE0F|\u200D/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/** Lower-case with diacritics removed: "São" -> "sao". */
function fold(text: string): string {
  return text.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
}

/** Words that keep a trailing dot as part of themselves ("St.", "Mt.", "Mass."). */
const DOTTED_ABBREVIATIONS = new Set([
  'st',
  'mt',
  'ft',
  'pt',
  'ste',
  'mass',
  'calif',
  'fla',
  'tex',
  'penn',
  'wash',
  'ore',
  'ariz',
  'colo',
  'conn',
  'mich',
  'minn',
  'wisc',
  'tenn',
  'okla',
  'ont',
  'que',
  'alta',
  'sask',
]);

/** Chat spellings and abbreviations of keywords, mapped to the key the rules use. */
const SPELLINGS: Record<string, string> = {
  tmrw: 'tomorrow',
  tmr: 'tomorrow',
  tmrrw: 'tomorrow',
  tmro: 'tomorrow',
  tmoro: 'tomorrow',
  tomoz: 'tomorrow',
  tomoro: 'tomorrow',
  tomorow: 'tomorrow',
  tommorow: 'tomorrow',
  tommorrow: 'tomorrow',
  tommorw: 'tomorrow',
  tomorrw: 'tomorrow',
  tomrrow: 'tomorrow',
  tomrw: 'tomorrow',
  '2morrow': 'tomorrow',
  '2moro': 'tomorrow',
  '2morow': 'tomorrow',
  '2mrw': 'tomorrow',
  '2mro': 'tomorrow',
  tonite: 'tonight',
  '2nite': 'tonight',
  '2night': 'tonight',
  tonigt: 'tonight',
  '2day': 'today',
  tdy: 'today',
  tday: 'today',
  wknd: 'weekend',
  wkend: 'weekend',
  weeknd: 'weekend',
  wkd: 'weekend',
  forcast: 'forecast',
  forcaste: 'forecast',
  forecaste: 'forecast',
  forecase: 'forecast',
  forcasts: 'forecasts',
  weathr: 'weather',
  wether: 'weather',
  wheather: 'weather',
  weatehr: 'weather',
  weater: 'weather',
  wx: 'weather',
  temprature: 'temperature',
  tempreture: 'temperature',
  temperture: 'temperature',
  tempature: 'temperature',
  celcius: 'celsius',
  farenheit: 'fahrenheit',
  farenheight: 'fahrenheit',
  fahrenheight: 'fahrenheit',
  rainin: 'raining',
  snowin: 'snowing',
  gona: 'gonna',
  gunna: 'gonna',
  wat: 'what',
  wut: 'what',
  wats: 'whats',
  whts: 'whats',
  u: 'you',
  ur: 'your',
  r: 'are',
  pls: 'please',
  plz: 'please',
  plox: 'please',
  thx: 'thanks',
  thanx: 'thanks',
  tks: 'thanks',
  ty: 'thanks',
};

/**
 * Keywords worth correcting when misspelt. Only words of five letters or more; a typo must keep the
 * first letter ("leather" is not "weather").
 */
const TYPO_TARGETS = [
  'weather',
  'forecast',
  'temperature',
  'temperatures',
  'humidity',
  'humid',
  'raining',
  'rainy',
  'snowing',
  'snowy',
  'umbrella',
  'celsius',
  'fahrenheit',
  'tomorrow',
  'tonight',
  'today',
  'weekend',
  'thunderstorm',
  'thunderstorms',
  'thunder',
  'drizzle',
  'blizzard',
  'freezing',
  'sunscreen',
  'sunrise',
  'sunset',
  'sunny',
  'windy',
  'breezy',
  'cloudy',
  'foggy',
  'muggy',
  'chilly',
  'degrees',
  'precipitation',
  'lightning',
  'flurries',
  'monday',
  'tuesday',
  'wednesday',
  'thursday',
  'friday',
  'saturday',
  'sunday',
];
/** Real words one typo away from a keyword: never "corrected". */
const NOT_TYPOS = new Set([
  'showing',
  'raising',
  'reining',
  'stowing',
  'showy',
  'sonny',
  'sunni',
  'sundae',
  'humility',
  'temperate',
  'freeing',
  'froggy',
  'chilli',
  'chill',
  'chills',
  'decrees',
  'wendy',
  'mundy',
  'thunders',
  'todays',
  'humor',
  'weathers',
  'sunsets',
  'sunrises',
]);

/** Optimal-string-alignment distance: insertions, deletions, substitutions and adjacent swaps. */
function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) =>
    Array.from({ length: cols }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

function correctTypo(key: string): string {
  if (key.length < 5 || NOT_TYPOS.has(key) || !/^[a-z]+$/.test(key)) return key;
  let best = key;
  let bestDistance = Infinity;
  for (const target of TYPO_TARGETS) {
    if (target[0] !== key[0] || Math.abs(target.length - key.length) > 2) continue;
    const allowed = target.length >= 9 ? 2 : 1;
    const distance = editDistance(key, target);
    if (distance <= allowed && distance < bestDistance) {
      best = target;
      bestDistance = distance;
    }
  }
  return best;
}

export function keyOf(text: string): string {
  return fold(text).replace(/[.']/g, '');
}

const WORD_PATTERN = /°\s?[cf](?![a-z])|[\p{L}\p{M}\p{N}]+(?:['.-][\p{L}\p{M}\p{N}]+)*\.?|\S/giu;
/** "it's", "what's": a verb, not a possessive. */
const CONTRACTIONS = new Set([
  'its',
  'thats',
  'whats',
  'theres',
  'heres',
  'hows',
  'whos',
  'wheres',
  'whens',
  'whys',
  'lets',
  'hes',
  'shes',
]);
const CLAUSE_BREAKS = new Set(['.', ',', '!', '?', ';', ':', '-', '—', '–', '(', ')', '"', '…']);

/** How a message uses capitals: normally, ALL IN CAPITALS, or With Every Word Capitalised. */
function casingOf(words: string[]): 'normal' | 'shouted' | 'titled' {
  const lettered = words.filter((w) => /\p{L}{2,}/u.test(w));
  if (lettered.length < 2) return 'normal';
  const shouting = lettered.filter((w) => w === w.toUpperCase() && w !== w.toLowerCase()).length;
  if (shouting / lettered.length >= 0.75) return 'shouted';
  const titled = lettered.filter((w) => /^\p{Lu}/u.test(w)).length;
  return lettered.length >= 3 && titled / lettered.length >= 0.85 ? 'titled' : 'normal';
}

/**
 * Splits a cleaned message into tokens. `isKeyword` names the keywords: they are never typo-corrected,
 * and a possessive "'s" is dropped from them and before them ("tomorrow's forecast", "London's weather").
 */
export function tokenize(cleaned: string, isKeyword: (key: string) => boolean): TokenizedMessage {
  const pieces: string[] = [];
  for (const match of cleaned.matchAll(WORD_PATTERN)) {
    const piece = match[0];
    if (piece.length > 1 && piece.endsWith('.')) {
      const stem = piece.slice(0, -1);
      if (!stem.includes('.') && !DOTTED_ABBREVIATIONS.has(fold(stem))) {
        pieces.push(stem, '.');
        continue;
      }
    }
    pieces.push(piece.replace(/^°\s/, '°'));
  }
  const casing = casingOf(pieces);
  const caseless = casing !== 'normal';
  const tokens: Token[] = [];
  for (let i = 0; i < pieces.length; i++) {
    let text = caseless ? pieces[i].toLowerCase() : pieces[i];
    const word = /[\p{L}\p{N}]/u.test(text) || /^°[cf]$/i.test(text);
    let key = keyOf(text);
    if (word && /'s$/i.test(text) && !CONTRACTIONS.has(keyOf(text))) {
      const stemKey = keyOf(text.slice(0, -2));
      const nextKey = i + 1 < pieces.length ? keyOf(pieces[i + 1]) : '';
      if (isKeyword(SPELLINGS[stemKey] ?? stemKey) || isKeyword(SPELLINGS[nextKey] ?? correctTypo(nextKey))) {
        text = text.slice(0, -2);
        key = stemKey;
      }
    }
    const capitalised = !caseless && /^\p{Lu}/u.test(text);
    const previous = tokens[tokens.length - 1];
    const clauseStart = !previous || (!previous.word && CLAUSE_BREAKS.has(previous.text));
    if (SPELLINGS[key]) key = SPELLINGS[key];
    // A capitalised word inside a sentence is a name, not a misspelt keyword.
    else if (word && !isKeyword(key) && !(capitalised && !clauseStart)) key = correctTypo(key);
    tokens.push({ text, key, word, capitalised, clauseStart, shouted: casing === 'shouted' });
  }
  return { tokens, caseless };
}
