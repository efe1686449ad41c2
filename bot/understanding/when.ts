/**
 * Time expressions -> `When`. The first expression mentioned wins; vague ones ("now", "at 5pm",
 * "noon") only count when nothing more specific is said.
 */
import { MAX_RANGE_DAYS, MAX_RANGE_HOURS, type When } from '../core/domain';
import { compile, findPhrases, type Captures, type PhraseMatch, type PhraseRule } from './phrases';
import type { Token } from '../core/text';

interface TimeValue {
  when: When;
  vague: boolean;
}

/** N days ahead as a `When`: 0 is today, 1 tomorrow, then "+Nd" (the answer says when that is past the forecast). */
function daysAhead(days: number): When | null {
  if (days === 0) return 'today';
  if (days === 1) return 'tomorrow';
  if (days >= 2 && days <= 999) return `+${days}d`;
  return null;
}

const PART_OF_DAY = 'morning|afternoon|evening|night|nite|arvo';
const DAY_LEAD = 'next|this|on|coming|until|till|til|by|for|before|after';

function rule(pattern: string, when: When | ((c: Captures) => When | null), vague = false): PhraseRule<TimeValue> {
  return compile(pattern, (c: Captures) => {
    const resolved = typeof when === 'function' ? when(c) : when;
    return resolved ? { when: resolved, vague } : null;
  });
}
const weekday = (c: Captures): When | null => c.day ?? null;
const nextDays = (c: Captures): When | null =>
  c.n === undefined || c.n > MAX_RANGE_DAYS ? null : c.n === 1 ? 'tomorrow' : `${c.n}d`;
const nextHours = (c: Captures): When | null => (c.n === undefined || c.n > MAX_RANGE_HOURS ? null : `${c.n}h`);
const inDays = (c: Captures): When | null => (c.n === undefined ? null : daysAhead(c.n));
const inWeeks = (c: Captures): When | null => (c.n === undefined ? null : daysAhead(c.n * 7));

const TIME_RULES: PhraseRule<TimeValue>[] = [
  // Ranges: answered period by period.
  rule('this|the coming? week', '7d'),
  rule('the? week ahead', '7d'),
  rule('for|over|in? the? next|coming few|several days', '3d'),
  rule('for|over|in? the? next|coming couple of? days', '2d'),
  rule('for|over|in? the? next|coming <n> days|day', nextDays),
  rule('for|over|in? the? next|coming few|several hours|hrs', '6h'),
  rule('for|over|in? the? next|coming couple of? hours|hrs', '2h'),
  rule('for|over|in? the? next|coming <n> hours|hour|hrs|hr', nextHours),
  rule('in|for|over? the? next|coming hour', '1h'),
  rule('tonight and|& tomorrow', 'tonight+tomorrow'),

  rule('the? day after tomorrow', '+2d'),
  rule('overmorrow', '+2d'),
  rule('in <n> days|day time?', inDays),
  rule('<n> days|day from now|today', inDays),
  rule('<n> days|day out|ahead|away', inDays),
  rule('in a couple of? days', '+2d'),
  rule('in a few days', '+3d'),
  rule('in a|one week|weeks time?', '+7d'),
  rule('a week from now|today', '+7d'),
  rule('next week', '+7d'),
  rule('in <n> weeks|week time?', inWeeks),
  rule('in a fortnight', '+14d'),

  rule(`tomorrow ${PART_OF_DAY}?`, 'tomorrow'),
  rule('later? tonight', 'tonight'),
  rule('later? this evening|eve', 'tonight'),
  rule('overnight', 'tonight'),
  rule('at|by|during the? night', 'tonight'),
  rule('in the evening', 'tonight'),
  rule('this morning|afternoon|arvo', 'today'),
  rule('later on? today', 'today'),
  rule('today|todays', 'today'),
  rule('later on?', 'today'),
  rule('in the afternoon', 'today'),
  rule('in the morning', 'tomorrow'),
  rule('at|by|around? noon|midday|lunchtime|lunch', 'today', true),

  rule('right now', 'now'),
  rule('currently|presently|atm|rn|rightnow', 'now'),
  rule('at the moment|minute', 'now'),
  rule('at present', 'now'),
  rule('as we speak', 'now'),
  rule('now', 'now', true),

  rule(`${DAY_LEAD}? sat|saturday and|&|/|-|or sun|sunday`, 'weekend'),
  rule('this|next|the|over|on|for? the? weekend|weekends', 'weekend'),
  rule(`${DAY_LEAD}? this|next? coming? <day> ${PART_OF_DAY}?`, weekday),
  rule(`${DAY_LEAD} this|next? coming? <anyday> ${PART_OF_DAY}?`, weekday),
  rule(`<anyday> ${PART_OF_DAY}`, weekday),
  // "weather in Leeds sat": a bare mon/wed/sat ending the message; a bare "sun" is the sun.
  rule('<anyday> $', (c) => (c.day === 'sunday' ? null : (c.day ?? null))),
];

/** Clock times ("5pm", "at 6", "17:30"): a time of day, so today unless a day is named. */
function isClockTime(tokens: Token[], i: number): boolean {
  const key = tokens[i].key;
  if (/^\d{1,2}(:\d{2})?(am|pm)$/.test(key)) return true;
  const next = tokens[i + 1]?.key;
  if (/^\d{1,2}(:\d{2})?$/.test(key) && (next === 'am' || next === 'pm' || next === 'oclock')) return true;
  const previous = tokens[i - 1]?.key;
  return (
    /^\d{1,2}(:\d{2})?$/.test(key) &&
    ['at', 'by', 'around', 'until', 'till', 'before', 'after'].includes(previous ?? '') &&
    tokens[i + 1]?.key !== 'days'
  );
}

export interface TimeMention {
  when: When;
  /** Token ranges the expressions cover, so no other rule reads them as a place. */
  spans: { start: number; end: number }[];
}

export function findWhen(tokens: Token[], isFree: (i: number) => boolean): TimeMention {
  const matches: PhraseMatch<TimeValue>[] = findPhrases(tokens, TIME_RULES, isFree);
  for (let i = 0; i < tokens.length; i++) {
    if (!isFree(i) || matches.some((m) => i >= m.start && i < m.end) || !isClockTime(tokens, i)) continue;
    const lead =
      i > 0 && ['at', 'by', 'around', 'until', 'till', 'before', 'after'].includes(tokens[i - 1].key) && isFree(i - 1);
    const trail = ['am', 'pm', 'oclock'].includes(tokens[i + 1]?.key ?? '') ? 1 : 0;
    matches.push({ start: lead ? i - 1 : i, end: i + 1 + trail, value: { when: 'today', vague: true } });
  }
  matches.sort((a, b) => a.start - b.start);
  const chosen = matches.find((m) => !m.value.vague) ?? matches[0];
  return { when: chosen?.value.when ?? 'now', spans: matches.map(({ start, end }) => ({ start, end })) };
}
