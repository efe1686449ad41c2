/**
 * The "Correct answer" form: what the bot understood (place, when, aspect, units or not weather
 * at all) and the answer text, in one Discord modal; and the `/correct` options its submission
 * gives. Discord allows five components in a modal, so units and "not a weather question" share
 * one select. A field left as it was shown is not passed: the command keeps what it had.
 */
import { createHash } from 'node:crypto';
import {
  LabelBuilder,
  ModalBuilder,
  StringSelectMenuBuilder,
  TextInputBuilder,
  TextInputStyle,
  type ModalSubmitInteraction,
} from 'discord.js';
import type { Reply } from '../../chat/message';
import type { CommandInvocation } from '../../commands';
import { correct } from '../../commands/moderation';
import { splitPlace } from '../../commands/place';
import { ASPECTS, WEEKDAYS, type Aspect } from '../../core/domain';
import { clip, DISCORD_LIMITS } from './render';

const CORRECTION_FORM = 'correct';

const FIELDS = { place: 'place', when: 'when', aspect: 'aspect', kind: 'kind', answer: 'answer' } as const;

/** Discord's maxima for the form's texts (characters). */
const FORM_LIMITS = { description: 100, textPlaceholder: 100, selectPlaceholder: 150 } as const;

const WHEN_CHOICES: ReadonlyArray<[value: string, label: string]> = [
  ['now', 'right now'],
  ['today', 'today'],
  ['tonight', 'tonight'],
  ['tomorrow', 'tomorrow'],
  ['weekend', 'this weekend'],
  ...WEEKDAYS.map((day): [string, string] => [day, day[0].toUpperCase() + day.slice(1)]),
];

const ASPECT_LABELS: Record<Aspect, string> = {
  general: 'the weather in general',
  temperature: 'temperature',
  rain: 'rain',
  snow: 'snow',
  wind: 'wind',
  humidity: 'humidity',
  sun: 'sun and sky',
};

/** Units and "not a weather question" share a select: each choice is one `/correct` option. */
const KIND_CHOICES: ReadonlyArray<{ value: string; label: string; option: Record<string, string> }> = [
  { value: 'units:c', label: 'A weather question, answered in °C', option: { units: 'c' } },
  { value: 'units:f', label: 'A weather question, answered in °F', option: { units: 'f' } },
  { value: 'weather:no', label: 'Not a weather question', option: { weather: 'no' } },
];

/** What a weather answer shows of its reading: the embed title is "<icon> <place> — <period>". */
function shownReading(message: { embeds: ReadonlyArray<{ title?: string | null }> }): {
  place?: string;
  period?: string;
} {
  const match = message.embeds[0]?.title?.match(/^\S+ (.+) — (.+)$/u);
  return match ? { place: match[1], period: match[2] } : {};
}

/** A short fingerprint of the answer the form showed, so an answer left as it was is told apart from an edit. */
const fingerprint = (text: string) => createHash('sha256').update(text.trim()).digest('base64url').slice(0, 12);

const keepHint = (shown: string | undefined, max: number) =>
  clip(shown ? `Keep: ${shown}` : 'Keep what I understood', max);

function select(customId: string, placeholder: string, choices: ReadonlyArray<[value: string, label: string]>) {
  return new StringSelectMenuBuilder()
    .setCustomId(customId)
    .setRequired(false)
    .setPlaceholder(placeholder)
    .addOptions(choices.map(([value, label]) => ({ value, label })));
}

/** The form for one answer message; its custom id carries the exchange, the message and the answer's fingerprint. */
export function correctionModal(
  exchangeId: string,
  message: {
    id: string;
    content: string;
    embeds: ReadonlyArray<{ title?: string | null; description?: string | null }>;
  },
): ModalBuilder {
  const shown = shownReading(message);
  const answer = clip(message.embeds[0]?.description ?? message.content, DISCORD_LIMITS.textInput);
  const place = new TextInputBuilder()
    .setCustomId(FIELDS.place)
    .setStyle(TextInputStyle.Short)
    .setRequired(false)
    .setMaxLength(100)
    .setPlaceholder(keepHint(shown.place, FORM_LIMITS.textPlaceholder));
  const answerInput = new TextInputBuilder()
    .setCustomId(FIELDS.answer)
    .setStyle(TextInputStyle.Paragraph)
    .setRequired(false)
    .setMaxLength(DISCORD_LIMITS.textInput)
    .setValue(answer);
  const label = (text: string, description: string) =>
    new LabelBuilder().setLabel(text).setDescription(clip(description, FORM_LIMITS.description));
  return new ModalBuilder()
    .setCustomId([CORRECTION_FORM, exchangeId, message.id, fingerprint(answer)].join(':'))
    .setTitle('Correct answer')
    .addLabelComponents(
      label('Place', 'Where it was asked about, region after a comma: "Dallas, TX"').setTextInputComponent(place),
      label('When', 'The day or part of the day asked about').setStringSelectMenuComponent(
        select(FIELDS.when, keepHint(shown.period, FORM_LIMITS.selectPlaceholder), WHEN_CHOICES),
      ),
      label('Asking about', 'What the question wanted to know').setStringSelectMenuComponent(
        select(
          FIELDS.aspect,
          keepHint(undefined, FORM_LIMITS.selectPlaceholder),
          ASPECTS.map((aspect) => [aspect, ASPECT_LABELS[aspect]]),
        ),
      ),
      label(
        'Question and units',
        'A weather question in other units, or not about weather at all',
      ).setStringSelectMenuComponent(
        select(
          FIELDS.kind,
          keepHint(undefined, FORM_LIMITS.selectPlaceholder),
          KIND_CHOICES.map((choice) => [choice.value, choice.label]),
        ),
      ),
      label(
        'The better answer',
        `Left as it is, I answer exchange ${exchangeId} again from the corrected reading`,
      ).setTextInputComponent(answerInput),
    );
}

export const isCorrectionForm = (customId: string) => customId.startsWith(`${CORRECTION_FORM}:`);

export interface SubmittedCorrection {
  exchangeId: string;
  /** Whether the moderator changed anything at all. */
  changed: boolean;
  /** The answer message the form was opened on. */
  messageId: string;
  invocation: CommandInvocation;
  /** The answer text the moderator wrote, when they changed it. */
  answer?: string;
}

/** The correct command's place options for what the moderator typed: "Dallas, TX" is Dallas in the region TX. */
function placeOptions(text: string): Record<string, string> {
  const { location, region } = splitPlace(text);
  if (!location) return {};
  return region ? { place: location, region } : { place: location };
}

/** The `/correct` invocation a submitted form asks for: only the fields the moderator filled in or changed. */
export function submittedCorrection(interaction: ModalSubmitInteraction): SubmittedCorrection {
  const [, exchangeId, messageId, shownAnswer] = interaction.customId.split(':');
  const { fields } = interaction;
  const chosen = (customId: string) => fields.getStringSelectValues(customId)[0];
  const typed = fields.getTextInputValue(FIELDS.answer).trim();
  const answer = typed && fingerprint(typed) !== shownAnswer ? typed : undefined;
  const when = chosen(FIELDS.when);
  const aspect = chosen(FIELDS.aspect);
  const kind = KIND_CHOICES.find((choice) => choice.value === chosen(FIELDS.kind));
  const options: Record<string, string> = {
    exchange: exchangeId,
    ...placeOptions(fields.getTextInputValue(FIELDS.place).trim()),
    ...(when ? { when } : {}),
    ...(aspect ? { aspect } : {}),
    ...kind?.option,
    ...(answer ? { answer } : {}),
  };
  return {
    exchangeId,
    messageId,
    changed: Object.keys(options).length > 1,
    invocation: { name: correct.name, options },
    answer,
  };
}

/**
 * A saved correction split into the moderator's confirmation and the answer the asker should now see (none when the
 * correction leaves nothing new to say); null for a refusal.
 */
export function savedCorrection(reply: Reply): { confirmation: string; answer: Reply | null } | null {
  if (reply.corrected === undefined) return null;
  const [confirmation] = reply.text.split('\n');
  return { confirmation, answer: reply.corrected ? { ...reply, text: reply.corrected } : null };
}
