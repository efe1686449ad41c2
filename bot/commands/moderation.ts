import type { IncomingMessage, Reply } from '../chat/message';
import {
  ASPECTS,
  isWhen,
  type Exchange,
  type TemperatureUnit,
  type Understanding,
  type WeatherQuery,
} from '../core/domain';
import { unsupportedNumbers } from '../core/fact-guard';
import type { ModerationChange } from '../core/store';
import { echo } from '../core/text';
import { who } from '../operations';
import { correctionOf, type Lesson } from '../understanding/lessons';
import { defineCommand, type CommandContext } from './command';

/** The exchange to act on; without it, the last answer in the channel. */
const exchange = {
  name: 'exchange',
  type: 'string',
  description: 'an exchange id such as 000042-0137',
  pattern: /^\d{6}-\d{4,}$/,
  looksLike: /^\d+-\d+$/,
} as const;

type Services = CommandContext<unknown>['services'];

/** The exchange an id names, or the channel's last answer: with the reply that says why there is none. */
async function target(
  { message, services }: { message: IncomingMessage; services: Services },
  id: string | undefined,
): Promise<Exchange | Reply> {
  const exchangeId = id ?? services.lastExchange(message.platform, message.channelId);
  if (!exchangeId) return { kind: 'command', text: 'There is no answer here to moderate yet.' };
  return (await services.exchanges.get(exchangeId)) ?? { kind: 'error', text: `I have no exchange ${exchangeId}.` };
}

const isReply = (value: Exchange | Reply): value is Reply => 'kind' in value;

/** How the audit names each moderation. */
const AUDITED: Record<ModerationChange['status'], string> = {
  approved: 'approve',
  rejected: 'reject',
  corrected: 'correct',
};

/** Stores a moderation of the exchange by the message's author, logged and audited. */
async function moderate(
  { message, services }: Pick<CommandContext<unknown>, 'message' | 'services'>,
  exchange: Exchange,
  change: Omit<ModerationChange, 'moderatorId' | 'platform'>,
): Promise<void> {
  const { author, platform } = message;
  await services.exchanges.moderate(exchange.id, { ...change, moderatorId: author.id, platform });
  services.log.info('exchange moderated', { exchange: exchange.id, status: change.status, platform });
  const action = AUDITED[change.status];
  await services.operations?.audit.record({ who: who(message), action, target: exchange.id, outcome: 'done' });
}

/** /approve and /reject: the exchange's status, nothing else. */
async function mark(context: CommandContext<{ exchange?: string }>, status: 'approved' | 'rejected', done: string) {
  const found = await target(context, context.options.exchange);
  if (isReply(found)) return found;
  await moderate(context, found, { status });
  return { kind: 'command' as const, text: `${done} — exchange ${found.id}.` };
}

export const approve = defineCommand({
  name: 'approve',
  usage: '/approve [exchange-id]',
  summary: 'mark the last answer (or the given one) as good training data',
  description: 'Mark an answer as good training data (moderators)',
  permission: 'moderator',
  chatOnly: true,
  options: [exchange],
  run: (context) => mark(context, 'approved', 'Approved ✅'),
});

export const reject = defineCommand({
  name: 'reject',
  usage: '/reject [exchange-id]',
  summary: 'mark the last answer (or the given one) as bad',
  description: 'Mark an answer as bad (moderators)',
  permission: 'moderator',
  chatOnly: true,
  options: [exchange],
  run: (context) => mark(context, 'rejected', 'Rejected ❌'),
});

const UNITS: Record<'c' | 'f', TemperatureUnit> = { c: 'celsius', f: 'fahrenheit' };

/** The parts of a reading a moderator may correct, as options: typed name=value in chat, fields in a form. */
const readingOptions = [
  {
    name: 'weather',
    type: 'choice',
    named: true,
    description: 'whether it asks about the weather',
    choices: [
      { value: 'yes', aliases: ['y', 'true'] },
      { value: 'no', aliases: ['n', 'false'] },
    ],
  },
  { name: 'place', type: 'string', named: true, description: 'the place meant, e.g. Dallas', maxLength: 100 },
  { name: 'region', type: 'string', named: true, description: 'its region or country, e.g. TX', maxLength: 60 },
  {
    name: 'when',
    type: 'string',
    named: true,
    description: 'now, today, tonight, tomorrow, weekend, a weekday or +Nd (N days ahead)',
    pattern:
      /^(now|today|tonight|tomorrow|weekend|monday|tuesday|wednesday|thursday|friday|saturday|sunday|\+\d{1,3}d)$/i,
  },
  {
    name: 'aspect',
    type: 'choice',
    named: true,
    description: 'what about the weather it asks',
    choices: ASPECTS.map((value) => ({ value })),
  },
  {
    name: 'units',
    type: 'choice',
    named: true,
    description: 'the units it asked for',
    choices: [
      { value: 'c', aliases: ['celsius', 'metric'] },
      { value: 'f', aliases: ['fahrenheit', 'imperial'] },
    ],
  },
] as const;

interface ReadingFix {
  weather?: 'yes' | 'no';
  place?: string;
  region?: string;
  when?: string;
  aspect?: (typeof ASPECTS)[number];
  units?: 'c' | 'f';
}

const NO_READING: WeatherQuery = {
  weather: true,
  location: null,
  region: null,
  when: 'now',
  aspect: 'general',
  units: null,
};

/** The reading as corrected: the fields given over what the exchange was read as; null when none is given. */
function correctedReading(original: Understanding | null, fix: ReadingFix): Understanding | null {
  const given = Object.values(fix).some((value) => value !== undefined);
  if (!given) return null;
  if (fix.weather === 'no') return { weather: false };
  const base = original?.weather ? original : NO_READING;
  const when = fix.when?.toLowerCase();
  return {
    weather: true,
    location: fix.place ?? base.location,
    region: fix.region ?? (fix.place ? null : base.region),
    when: when && isWhen(when) ? when : base.when,
    aspect: fix.aspect ?? base.aspect,
    units: fix.units ? UNITS[fix.units] : base.units,
  };
}

/** A whole reading as /correct's options, as a moderator fills them in (`cli teach`, the learning benchmark). */
export function correctionOptions(reading: Understanding): Record<string, string> {
  if (!reading.weather) return { weather: 'no' };
  const given = { place: reading.location, region: reading.region, units: reading.units?.[0] };
  const named = Object.entries(given).filter((entry): entry is [string, string] => typeof entry[1] === 'string');
  return { weather: 'yes', when: reading.when, aspect: reading.aspect, ...Object.fromEntries(named) };
}

/** "Dallas, TX · tomorrow · rain", for the moderator to see what was saved. */
function describe(reading: Understanding): string {
  if (!reading.weather) return 'not a weather question';
  const place = reading.location ? [reading.location, reading.region].filter(Boolean).join(', ') : 'no place named';
  return [place, reading.when, reading.aspect, reading.units].filter(Boolean).join(' · ');
}

export const correct = defineCommand({
  name: 'correct',
  usage: '/correct [exchange-id] [place=… region=… when=… aspect=… units=c|f weather=yes|no] [the better answer]',
  summary: 'correct what the last answer (or the given one) understood and/or its text; the weather is looked up again',
  description: 'Correct what an answer understood, or its text (moderators)',
  permission: 'moderator',
  chatOnly: true,
  options: [
    exchange,
    ...readingOptions,
    { name: 'answer', type: 'string', description: 'the better answer', maxLength: 2000 },
  ],
  run: async (context) => {
    const { options, message, services } = context;
    const found = await target(context, options.exchange);
    if (isReply(found)) return found;
    const { weather, place, region, when, aspect, units } = options;
    const reading = correctedReading(found.query, { weather, place, region, when, aspect, units });
    const answer = options.answer?.trim();
    if (!reading && !answer)
      return { kind: 'error', text: 'Say what to correct: /correct place=Dallas when=tomorrow, or the better answer.' };
    if (!reading) {
      // Only the text: it must hold to the facts the exchange already has.
      const stray = found.facts ? unsupportedNumbers(answer!, found.facts) : [];
      if (stray.length) return { kind: 'error', text: strayNumbers(stray, 'the weather the answer was given') };
      await moderate(context, found, { status: 'corrected', correction: answer });
      services.lessons.forget(found.id);
      return { kind: 'command', text: `Correction saved ✏️ — exchange ${found.id}.`, corrected: answer };
    }
    if (!reading.weather) {
      const correction = answer ?? found.answer;
      await moderate(context, found, { status: 'corrected', correction, reading, facts: null });
      const learned = learn(services, found, reading);
      return {
        kind: 'command',
        text: `Correction saved ✏️ — exchange ${found.id}, read as ${describe(reading)}.${learned}`,
        corrected: answer ?? '',
      };
    }
    const fresh = await services.weather.lookUp(message, reading);
    if (fresh.kind !== 'weather' || !fresh.facts) return { kind: 'error', text: `Not saved: ${fresh.text}` };
    const stray = answer ? unsupportedNumbers(answer, fresh.facts) : [];
    if (stray.length) return { kind: 'error', text: strayNumbers(stray, `the weather for ${fresh.facts.place}`) };
    const correction = answer ?? fresh.text;
    await moderate(context, found, { status: 'corrected', correction, reading, facts: fresh.facts });
    const learned = learn(services, found, reading);
    return {
      kind: 'weather',
      text: `Correction saved ✏️ — exchange ${found.id}, read as ${describe(reading)}.${learned}\n${correction}`,
      report: fresh.report,
      facts: fresh.facts,
      corrected: correction,
    };
  },
});

/** Why a corrected answer was refused: training data may only hold numbers the weather holds. */
const strayNumbers = (numbers: number[], source: string) =>
  `Not saved: ${echo(numbers.join(', '), 40)} ${numbers.length > 1 ? 'are' : 'is'} not in ${source}. ` +
  'Leave the numbers out, or correct what the question meant and I will look the weather up again.';

export const undo = defineCommand({
  name: 'undo',
  usage: '/undo [exchange-id]',
  summary: 'take back the last moderation of the last answer (or the given one)',
  description: 'Take back a moderation (moderators)',
  permission: 'moderator',
  chatOnly: true,
  options: [exchange],
  run: async (context) => {
    const found = await target(context, context.options.exchange);
    if (isReply(found)) return found;
    if (found.moderation.status === 'pending')
      return { kind: 'command', text: `Exchange ${found.id} is not moderated.` };
    const { message, services } = context;
    const restored = await services.exchanges.undoModeration(found.id);
    const { reading, forgotten } = restored.moderation;
    if (reading && !forgotten) learn(services, restored, reading);
    else services.lessons.forget(found.id);
    await services.operations?.audit.record({ who: who(message), action: 'undo', target: found.id, outcome: 'done' });
    return { kind: 'command', text: `Undone ↩️ — exchange ${found.id} is ${restored.moderation.status} again.` };
  },
});

/** Learns what the corrected reading teaches; says what, for the moderator (empty when nothing). */
function learn(services: Services, exchange: Exchange, reading: Understanding): string {
  const lesson = services.lessons.learn(correctionOf(exchange, reading));
  return lesson ? ` Learned: ${describeLesson(lesson)}.` : '';
}

/** "“big d” means Dallas, TX; regnen, morgen mean rain, tomorrow" */
export function describeLesson(lesson: Lesson): string {
  const parts: string[] = [];
  const { reading } = lesson;
  if (lesson.nickname && reading.weather)
    parts.push(`“${lesson.nickname}” means ${[reading.location, reading.region].filter(Boolean).join(', ')}`);
  const meaning = [
    lesson.teaches.weather === true && 'the weather',
    lesson.teaches.weather === false && 'not the weather',
    lesson.teaches.when,
    lesson.teaches.aspect,
  ].filter(Boolean);
  if (lesson.words.length && meaning.length)
    parts.push(
      `${echo(lesson.words.join(', '), 80)} ${lesson.words.length > 1 ? 'point' : 'points'} to ${meaning.join(', ')}`,
    );
  return parts.join('; ');
}

export const forget = defineCommand({
  name: 'forget',
  usage: '/forget <exchange-id>',
  summary: 'stop reading other messages by what the correction of that exchange taught (it stays training data)',
  description: 'Forget a lesson (moderators)',
  permission: 'moderator',
  chatOnly: true,
  options: [{ ...exchange, required: true }],
  run: async ({ options, message, services }) => {
    const id = options.exchange;
    const lesson = services.lessons.list().find((candidate) => candidate.id === id);
    if (!lesson) return { kind: 'error', text: `Exchange ${id} taught nothing I still use. See /dataset lessons.` };
    await services.exchanges.forgetLesson(id);
    services.lessons.forget(id);
    await services.operations?.audit.record({ who: who(message), action: 'forget', target: id, outcome: 'done' });
    return {
      kind: 'command',
      text: `Forgotten: ${describeLesson(lesson)}. The corrected exchange stays training data.`,
    };
  },
});
