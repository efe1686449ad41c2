/**
 * The assistant's replies in Slack's shapes (Block Kit, message metadata, the correction modal),
 * and the way back: the exchange id read from one of the bot's messages, the text a user typed.
 */
import type { types, ViewOutput } from '@slack/bolt';
import { buildFacts } from '../../answers/facts';
import { periodSummary, rangeHeading } from '../../answers/templates';
import type { Reply } from '../../chat/message';
import { correct } from '../../commands/moderation';
import type { OptionSpec } from '../../commands/options';
import { splitPlace } from '../../commands/place';
import {
  ASPECTS,
  isRange,
  NAMED_WHENS,
  type FactPeriod,
  type WeatherFacts,
  type WeatherReport,
} from '../../core/domain';

/** `metadata.event_type` of every answer; its payload carries the exchange id. */
export const ANSWER_EVENT_TYPE = 'weatherbot_answer';
/** The message shortcut a moderator uses on an answer, and the modal it opens. */
export const CORRECT_SHORTCUT = 'correct_answer';
export const CORRECT_MODAL = 'correct_answer_modal';
/** The modal's input blocks, by the correct command's option each fills ("place" fills place and region). */
export const CORRECTION_BLOCKS = {
  weather: 'weather',
  place: 'place',
  when: 'when',
  aspect: 'aspect',
  units: 'units',
  answer: 'correction',
} as const;
/** The action ids of the modal's text inputs and of its selects. */
export const CORRECTION_INPUT = 'text';
export const CORRECTION_SELECT = 'choice';

/** Slack limits: a section's text, a message's blocks, a plain_text_input's value. */
const SECTION_TEXT_MAX = 3000;
const INPUT_MAX = 3000;

export interface SlackMessage {
  /** Always set: notifications, screen readers and old clients show it. */
  text: string;
  blocks: types.KnownBlock[];
  metadata?: types.MessageMetadata;
}

/** Where a correction goes, carried through the modal as its private_metadata. */
export interface CorrectionTarget {
  channel: string;
  ts: string;
  threadTs?: string;
  exchangeId: string;
  /** The shortcut's response URL: where the outcome is told when the bot cannot post in the channel. */
  responseUrl?: string;
}

/** Slack's mrkdwn (message text included) needs &, < and > escaped; nothing else. */
export function escapeText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function unescapeText(text: string): string {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

/**
 * A message as the user wrote it: the bot's mentions removed, links, channels and other users'
 * mentions shown by their labels, entities decoded.
 */
export function plainText(text: string, botUserId?: string): string {
  const withoutBot = botUserId ? text.replace(new RegExp(`<@${botUserId}(\\|[^>]*)?>[,:]?`, 'g'), ' ') : text;
  const linked = withoutBot.replace(
    /<([@#!]?)([^>|]+)(?:\|([^>]+))?>/g,
    (_all, sigil: string, target: string, label?: string) => {
      if (sigil === '#') return `#${label ?? target}`;
      if (sigil === '@') return `@${label ?? target}`;
      if (sigil === '!') return label ?? `@${target.split('^')[0]}`;
      return label ?? target;
    },
  );
  return unescapeText(linked).replace(/\s+/g, ' ').trim();
}

const mrkdwn = (text: string): types.MrkdwnElement => ({ type: 'mrkdwn', text });
const plain = (text: string): types.PlainTextElement => ({ type: 'plain_text', text, emoji: true });

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

const PROVIDER_NAMES: Record<WeatherReport['provider'], string> = {
  'open-meteo': 'Open-Meteo',
  openweather: 'OpenWeather',
};

function temperatureField(period: FactPeriod, unit: string): string | undefined {
  const feels = period.feelsLike === undefined ? '' : `, feels like ${period.feelsLike}${unit}`;
  if (period.temperature !== undefined) return `${period.temperature}${unit}${feels}`;
  if (period.high !== undefined && period.low !== undefined)
    return `${period.high}${unit} / ${period.low}${unit}${feels}`;
  if (period.low !== undefined) return `low ${period.low}${unit}${feels}`;
  return undefined;
}

function precipitationField(period: FactPeriod, unit: string): string | undefined {
  const parts = [
    period.precipitationChance === undefined ? null : `${period.precipitationChance}% chance`,
    period.precipitation === undefined ? null : `${period.precipitation} ${unit}`,
  ].filter((part): part is string => part !== null);
  return parts.length ? parts.join(', ') : undefined;
}

/**
 * One section per period answered (two for a weekend) with the numbers a reader scans for.
 * The answer may cover one aspect only ("will it rain?"), so the fields come from the same
 * period's general facts, computed by the same code and rounded the same way.
 */
/** Slack shows at most this many fields in a section, two to a row. */
const SECTION_FIELDS_MAX = 10;

function weatherSections(facts: WeatherFacts, report: WeatherReport): types.SectionBlock[] {
  if (isRange(facts.when)) {
    // A range is a small table: a cell a period, in sections of ten.
    const cells = facts.periods.map((period) =>
      mrkdwn(`*${escapeText(period.label)}*\n${escapeText(periodSummary(period, facts.units, facts.aspect))}`),
    );
    return Array.from({ length: Math.ceil(cells.length / SECTION_FIELDS_MAX) }, (_, i) => ({
      type: 'section',
      fields: cells.slice(i * SECTION_FIELDS_MAX, (i + 1) * SECTION_FIELDS_MAX),
    }));
  }
  const general = buildFacts(report, { when: facts.when, aspect: 'general' });
  const { units } = general;
  return general.periods.map((period, index) => {
    const wind =
      period.windSpeed === undefined
        ? undefined
        : `${period.windSpeed} ${units.speed}${period.windDirection ? ` ${period.windDirection}` : ''}`;
    const fields: [string, string | undefined][] = [
      ['Temperature', temperatureField(period, units.temperature)],
      ['Wind', wind],
      ['Humidity', period.humidity === undefined ? undefined : `${period.humidity}%`],
      ['Precipitation', precipitationField(period, units.precipitation)],
      ['Place', index === 0 ? general.place : undefined],
    ];
    return {
      type: 'section',
      text: mrkdwn(`*${escapeText(period.label)}* · ${escapeText(period.condition)}`),
      fields: fields
        .filter(([, value]) => value !== undefined)
        .map(([name, value]) => mrkdwn(`*${name}*\n${escapeText(value!)}`)),
    };
  });
}

export interface RenderOptions {
  /** Who asked and how, shown above answers to slash commands (the command itself is not visible in the channel). */
  askedBy?: { userId: string; command: string };
  /**
   * False where the bot is no member of the channel: it hears no reactions there and cannot read the answer back, so
   * the answer does not offer ✅/❌.
   */
  reactions?: boolean;
}

/** How moderators act on an answer, as its footer says. */
function moderationNote(reactions: boolean): string {
  return reactions
    ? 'moderators: ✅ approve · ❌ reject · ⋮ Correct answer'
    : 'moderators: ⋮ Correct answer (invite the bot to this channel to moderate with ✅ ❌)';
}

/** The assistant's reply as a Slack message: the answer, the numbers behind it, and the exchange id for moderation. */
export function renderReply(reply: Reply, options: RenderOptions = {}): SlackMessage {
  const text = escapeText(reply.text);
  const blocks: types.KnownBlock[] = [];
  if (options.askedBy) {
    blocks.push({
      type: 'context',
      elements: [mrkdwn(`<@${options.askedBy.userId}> asked \`${escapeText(clip(options.askedBy.command, 200))}\``)],
    });
  }
  // A range's lines are the table below; its heading says what the table covers.
  const said = reply.facts && isRange(reply.facts.when) ? escapeText(rangeHeading(reply.facts)) : text;
  blocks.push({ type: 'section', text: mrkdwn(clip(said, SECTION_TEXT_MAX)) });
  if (reply.facts && reply.report) blocks.push(...weatherSections(reply.facts, reply.report));

  const notes: string[] = reply.note ? [escapeText(reply.note)] : [];
  if (reply.report) notes.push(`Weather data by ${PROVIDER_NAMES[reply.report.provider]}`);
  if (reply.exchangeId) notes.push(`exchange ${reply.exchangeId}`, moderationNote(options.reactions ?? true));
  if (notes.length) blocks.push({ type: 'context', elements: [mrkdwn(notes.join(' · '))] });

  const metadata = reply.exchangeId
    ? { event_type: ANSWER_EVENT_TYPE, event_payload: { exchange_id: reply.exchangeId } }
    : undefined;
  return { text, blocks, ...(metadata ? { metadata } : {}) };
}

/**
 * A moderator's corrected answer as everyone sees it where the question was asked. It carries no exchange id: a
 * reaction on it must not moderate the exchange the correction has just settled.
 */
export function renderCorrection(reply: Reply): SlackMessage {
  const { text, blocks } = renderReply({ ...reply, exchangeId: undefined });
  return { text, blocks: [{ type: 'context', elements: [mrkdwn('✏️ Corrected by a moderator')] }, ...blocks] };
}

/** What a long-running command shows while it works. */
export function renderProgress(progress: string): SlackMessage {
  const text = escapeText(`⏳ ${progress}`);
  return { text, blocks: [{ type: 'context', elements: [mrkdwn(clip(text, SECTION_TEXT_MAX))] }] };
}

/** The parts of a message (as the Web API or an interaction payload gives it) that may carry the exchange id. */
interface MessageLike {
  metadata?: { event_type?: string; event_payload?: unknown };
  blocks?: unknown[];
}

const EXCHANGE_IN_TEXT = /\bexchange (\d{6}-\d{4,})\b/;

/** The exchange id of one of the bot's answers: from its metadata, else from its context block. */
export function exchangeIdOf(found: object | undefined): string | undefined {
  if (!found) return undefined;
  const message = found as MessageLike;
  const payload =
    message.metadata?.event_type === ANSWER_EVENT_TYPE
      ? (message.metadata.event_payload as { exchange_id?: unknown })
      : undefined;
  if (typeof payload?.exchange_id === 'string') return payload.exchange_id;
  for (const block of message.blocks ?? []) {
    const { type, elements } = block as { type?: string; elements?: { text?: unknown }[] };
    if (type !== 'context') continue;
    for (const element of elements ?? []) {
      const found = typeof element.text === 'string' ? element.text.match(EXCHANGE_IN_TEXT) : null;
      if (found) return found[1];
    }
  }
  return undefined;
}

/** A select's choices: the value the command takes, and what the moderator reads. */
type Choices = readonly (readonly [value: string, label: string])[];

const capitalised = (word: string) => word.charAt(0).toUpperCase() + word.slice(1);

const WEATHER_CHOICES: Choices = [
  ['yes', 'Yes, about the weather'],
  ['no', 'No, not about the weather'],
];
const WHEN_LABELS: Partial<Record<string, string>> = { now: 'Right now', weekend: 'The weekend' };
const WHEN_CHOICES: Choices = NAMED_WHENS.map((when) => [when, WHEN_LABELS[when] ?? capitalised(when)]);
const ASPECT_LABELS: Partial<Record<string, string>> = { general: 'Everything (general)', sun: 'Sun and sky' };
const ASPECT_CHOICES: Choices = ASPECTS.map((aspect) => [aspect, ASPECT_LABELS[aspect] ?? capitalised(aspect)]);
const UNIT_CHOICES: Choices = [
  ['c', '°C'],
  ['f', '°F'],
];
/** The modal takes no longer text than the correct command does. */
function maxLengthOf(option: 'place' | 'answer'): number {
  const declared: OptionSpec | undefined = correct.options.find((candidate) => candidate.name === option);
  const max = declared?.type === 'string' ? declared.maxLength : undefined;
  return Math.min(max ?? INPUT_MAX, INPUT_MAX);
}

function selectBlock(block: string, label: string, choices: Choices): types.InputBlock {
  return {
    type: 'input',
    block_id: block,
    optional: true,
    label: plain(label),
    element: {
      type: 'static_select',
      action_id: CORRECTION_SELECT,
      placeholder: plain('unchanged'),
      options: choices.map(([value, text]) => ({ text: plain(text), value })),
    },
  };
}

function textBlock(
  block: string,
  label: string,
  element: Partial<types.PlainTextInput>,
  hint: string,
): types.InputBlock {
  return {
    type: 'input',
    block_id: block,
    optional: true,
    label: plain(label),
    hint: plain(hint),
    element: { type: 'plain_text_input', action_id: CORRECTION_INPUT, ...element },
  };
}

/** The answer as it stands (message text, already mrkdwn), for the moderator to read while correcting it. */
function answerNow(answerText: string): types.SectionBlock[] {
  const answer = answerText.trim();
  return answer ? [{ type: 'section', text: mrkdwn(clip(`*The answer now*\n${answer}`, SECTION_TEXT_MAX)) }] : [];
}

/**
 * The modal a moderator corrects an answer in: what the bot understood (each field left empty stays as it was read),
 * and the answer text itself. The answer as it stands is shown, not prefilled, so that an untouched modal corrects
 * nothing.
 */
export function correctionModal(target: CorrectionTarget, answerText: string): types.ModalView {
  return {
    type: 'modal',
    callback_id: CORRECT_MODAL,
    private_metadata: JSON.stringify(target),
    title: plain('Correct the answer'),
    submit: plain('Save correction'),
    close: plain('Cancel'),
    blocks: [
      {
        type: 'context',
        elements: [mrkdwn(`exchange ${target.exchangeId} · the correction becomes training data`)],
      },
      ...answerNow(answerText),
      selectBlock(CORRECTION_BLOCKS.weather, 'A weather question?', WEATHER_CHOICES),
      textBlock(
        CORRECTION_BLOCKS.place,
        'Place',
        { placeholder: plain('Dallas, TX'), max_length: maxLengthOf('place') },
        'A region or country may follow a comma.',
      ),
      selectBlock(CORRECTION_BLOCKS.when, 'When', WHEN_CHOICES),
      selectBlock(CORRECTION_BLOCKS.aspect, 'About', ASPECT_CHOICES),
      selectBlock(CORRECTION_BLOCKS.units, 'Units', UNIT_CHOICES),
      textBlock(
        CORRECTION_BLOCKS.answer,
        'A better answer',
        { multiline: true, max_length: maxLengthOf('answer') },
        'Leave it empty to have the answer written again from the corrected reading.',
      ),
    ],
  };
}

type ViewValues = ViewOutput['state']['values'];

const typedText = (values: ViewValues, block: string) => values[block]?.[CORRECTION_INPUT]?.value?.trim() || undefined;
const chosen = (values: ViewValues, block: string) =>
  values[block]?.[CORRECTION_SELECT]?.selected_option?.value || undefined;

/** What a submitted correction asks for: the correct command's options (those filled in only), or the errors. */
export type CorrectionInput = { options: Record<string, string> } | { errors: Record<string, string> };

/** Reads a submitted correction modal; Slack gives every input block, with null for one left empty. */
export function correctionOf(values: ViewValues): CorrectionInput {
  const typed = splitPlace(typedText(values, CORRECTION_BLOCKS.place) ?? '');
  const [place, region] = [typed.location || undefined, typed.region ?? undefined];
  if (region && !place)
    return { errors: { [CORRECTION_BLOCKS.place]: 'Name the place before the region: Dallas, TX.' } };
  const given = {
    weather: chosen(values, CORRECTION_BLOCKS.weather),
    place,
    region,
    when: chosen(values, CORRECTION_BLOCKS.when),
    aspect: chosen(values, CORRECTION_BLOCKS.aspect),
    units: chosen(values, CORRECTION_BLOCKS.units),
    answer: typedText(values, CORRECTION_BLOCKS.answer),
  };
  const options = Object.fromEntries(
    Object.entries(given).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
  if (Object.keys(options).length === 0)
    return { errors: { [CORRECTION_BLOCKS.answer]: 'Correct at least one field, or write the better answer.' } };
  return { options };
}

/** The target a submitted correction modal carries, or undefined when it is not ours. */
export function correctionTargetOf(privateMetadata: string): CorrectionTarget | undefined {
  try {
    const target = JSON.parse(privateMetadata) as Partial<CorrectionTarget>;
    if (typeof target.channel === 'string' && typeof target.ts === 'string' && typeof target.exchangeId === 'string') {
      const { channel, ts, threadTs, exchangeId, responseUrl } = target;
      return { channel, ts, threadTs, exchangeId, ...(typeof responseUrl === 'string' ? { responseUrl } : {}) };
    }
  } catch {
    // Not JSON: not a modal this adapter opened.
  }
  return undefined;
}
