/**
 * Is the message a weather question? It must carry a weather cue (a weak one inside a weather
 * frame), be a question or request rather than a remark ("I love the rain"), and not be about
 * something else that merely uses a weather word ("tell me a joke about rain").
 */
import { isShortQuestion, type FoundCue } from './cues';
import {
  OFF_TOPIC,
  OFF_TOPIC_PHRASES,
  QUESTION_STARTERS,
  QUESTION_WORDS,
  REMARK_OPENERS,
  REMARK_VERBS,
  WEAK_OFF_TOPIC,
} from './lexicon';
import { findPhrases } from './phrases';
import type { Reading } from './reading';

/** Words that may open a clause before a question ("ok so is it raining", "lol but will it snow"). */
const LEAD_INS = new Set([
  'ok',
  'okay',
  'so',
  'and',
  'but',
  'also',
  'hey',
  'hi',
  'hello',
  'lol',
  'well',
  'then',
  'btw',
  'yo',
  'hmm',
  'um',
  'oh',
  'now',
  'quick',
  'question',
  'just',
  'sorry',
  'please',
  'thanks',
  'bot',
  'weatherbot',
  'guys',
  'plus',
]);
const SUBJECTS = new Set(['it', 'there', 'we', 'you', 'they', 'i', 'he', 'she', 'that', 'this']);
const COPULAS = new Set(['is', 'was', 'are', 'were', 'am']);
/** Words that put a weak cue in a weather frame: "is it hot", "will we need coats", "cold out". */
const FRAME_WORDS = new Set(['it', 'its', 'itll', 'itd', 'we', 'out', 'outside']);
const ASKING_WHO = new Set(['who', 'whos']);

export interface Evidence {
  cues: FoundCue[];
  /** A time expression was found. */
  hasTime: boolean;
  /** How surely a place was found (0 none, 1 a capitalised name, 2 beside a weather word, 3 after "in"). */
  placeEvidence: number;
}

function isQuestionOrRequest(reading: Reading): boolean {
  if (reading.hasQuestionMark) return true;
  const { tokens, roles } = reading;
  return tokens.some((t, i) => {
    if (roles[i] === 'ignored' || !t.word) return false;
    if (QUESTION_WORDS.has(t.key)) return true;
    if (!QUESTION_STARTERS.has(t.key)) return false;
    const opensClause = t.clauseStart || LEAD_INS.has(tokens[i - 1]?.key ?? '');
    // "is it", "will we", "should I": a verb before its subject asks.
    return opensClause || SUBJECTS.has(tokens[i + 1]?.key ?? '');
  });
}

/** "I love the rain", "it's so hot today", "the weather was awful": remarks, not questions. */
function isRemark(reading: Reading): boolean {
  if (isQuestionOrRequest(reading)) return false;
  const { tokens, roles } = reading;
  const first = tokens.find((t, i) => t.word && roles[i] !== 'ignored' && roles[i] !== 'time');
  if (!first) return false;
  const copula = tokens.some((t, i) => !roles[i] && !t.clauseStart && COPULAS.has(t.key));
  const remarkVerb = tokens.some((t, i) => !roles[i] && REMARK_VERBS.has(t.key));
  return copula || (REMARK_OPENERS.has(first.key) && remarkVerb);
}

function isOffTopic(reading: Reading, onlyWeakCues: boolean): boolean {
  const first = reading.words[0];
  if (first && ASKING_WHO.has(first.key)) return true;
  if (reading.has(OFF_TOPIC) || (onlyWeakCues && reading.has(WEAK_OFF_TOPIC))) return true;
  return findPhrases(reading.tokens, OFF_TOPIC_PHRASES, () => true).length > 0;
}

function inWeatherFrame(reading: Reading, evidence: Evidence): boolean {
  return (
    evidence.hasTime ||
    evidence.placeEvidence >= 2 ||
    (evidence.placeEvidence >= 1 && reading.hasQuestionMark) ||
    reading.has(FRAME_WORDS) ||
    evidence.cues.some((c) => c.cue.strength === 'clothing') ||
    isShortQuestion(reading)
  );
}

/** "what about Oslo tomorrow?", "how about in Paris": to a weather bot, a follow-up weather question. */
function isFollowUp(reading: Reading, evidence: Evidence): boolean {
  const [first, second] = reading.words;
  return evidence.placeEvidence >= 1 && ['what', 'how'].includes(first?.key ?? '') && second?.key === 'about';
}

export function isWeatherQuestion(reading: Reading, evidence: Evidence): boolean {
  const strong = evidence.cues.some((c) => c.cue.strength === 'strong');
  const cued =
    strong || (evidence.cues.length > 0 && inWeatherFrame(reading, evidence)) || isFollowUp(reading, evidence);
  return cued && !isOffTopic(reading, !strong) && !isRemark(reading);
}
