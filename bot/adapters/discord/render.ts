/**
 * The assistant's reply in Discord's shape: an embed for a weather answer (icon, answer, the
 * numbers as fields, the exchange id in the footer), plain text for everything else; always
 * within Discord's size limits. The footer is also where a moderation reaction finds its
 * exchange again, even after a restart.
 */
import type { APIEmbed, APIEmbedField, AttachmentPayload } from 'discord.js';
import { buildFacts } from '../../answers/facts';
import { periodSummary, rangeHeading } from '../../answers/templates';
import type { Reply } from '../../chat/message';
import {
  isRange,
  type ConditionCode,
  type FactPeriod,
  type ModerationStatus,
  type UnitLabels,
  type WeatherFacts,
  type WeatherReport,
} from '../../core/domain';

/** Discord's documented maxima (characters). */
export const DISCORD_LIMITS = {
  content: 2000,
  title: 256,
  description: 4096,
  fieldName: 256,
  fieldValue: 1024,
  fields: 25,
  footer: 2048,
  embedTotal: 6000,
  textInput: 4000,
} as const;

export const CONDITION_ICONS: Record<ConditionCode, string> = {
  clear: '☀️',
  'partly-cloudy': '⛅',
  cloudy: '☁️',
  fog: '🌫️',
  drizzle: '🌦️',
  rain: '🌧️',
  'freezing-rain': '🧊',
  snow: '❄️',
  sleet: '🌨️',
  thunderstorm: '⛈️',
};

export const APPROVE_EMOJI = '✅';
export const REJECT_EMOJI = '❌';

const EMBED_COLOR = 0x3b88c3;
const ELLIPSIS = '…';

/** Cuts text to at most `max` UTF-16 units, ending in an ellipsis, never splitting a surrogate pair. */
export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = max - ELLIPSIS.length;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1;
  return text.slice(0, end) + ELLIPSIS;
}

export interface DiscordMessageBody {
  content: string;
  embeds: APIEmbed[];
  files?: AttachmentPayload[];
}

/**
 * Plain text, or an embed when the reply carries a weather report (its note as the text). Both keys are always set, so
 * an edit replaces both; a picture the reply carries is attached.
 */
export function renderReply(reply: Reply): DiscordMessageBody {
  const files = reply.image
    ? { files: [{ attachment: Buffer.from(reply.image.png), name: reply.image.name, description: reply.image.alt }] }
    : {};
  if (!reply.facts || !reply.report)
    return {
      content: clip([reply.text || '…', reply.note].filter(Boolean).join('\n'), DISCORD_LIMITS.content),
      embeds: [],
      ...files,
    };
  const embeds = [weatherEmbed(reply.text, reply.facts, reply.report, reply.exchangeId)];
  return { content: reply.note ?? '', embeds, ...files };
}

function weatherEmbed(
  text: string,
  facts: WeatherFacts,
  report: WeatherReport,
  exchangeId: string | undefined,
): APIEmbed {
  const periods = detailedPeriods(facts, report);
  const icon = CONDITION_ICONS[conditionCode(periods[0]?.condition, report)];
  // A range is a small table: a field a period, three to a row; the answer's lines are its cells.
  const ranged = isRange(facts.when);
  // Several periods (a weekend) get their day in front of each field's name.
  const fieldName = (name: string, period: FactPeriod) => (periods.length > 1 ? `${period.label} · ${name}` : name);
  const fields: APIEmbedField[] = ranged
    ? facts.periods.map((period) => ({
        name: period.label,
        value: periodSummary(period, facts.units, facts.aspect),
        inline: true,
      }))
    : periods.flatMap((period) =>
        periodFields(period, facts.units).map(([name, value]) => ({
          name: fieldName(name, period),
          value,
          inline: true,
        })),
      );
  const { latitude, longitude } = report.place;
  fields.push({
    name: 'Place',
    value: `${facts.place} (${latitude.toFixed(2)}, ${longitude.toFixed(2)})`,
    inline: false,
  });
  const embed: APIEmbed = {
    title: clip(`${icon} ${facts.place} — ${facts.period}`, DISCORD_LIMITS.title),
    description: clip(ranged ? rangeHeading(facts) : text, DISCORD_LIMITS.description),
    color: EMBED_COLOR,
    fields: fields.slice(0, DISCORD_LIMITS.fields).map((field) => ({
      ...field,
      name: clip(field.name, DISCORD_LIMITS.fieldName),
      value: clip(field.value, DISCORD_LIMITS.fieldValue),
    })),
    timestamp: report.fetchedAt,
  };
  if (exchangeId) embed.footer = { text: exchangeFooter(exchangeId, 'pending') };
  return fitEmbedTotal(embed);
}

/**
 * The answer's facts carry only what its aspect needs; the embed shows the period's general
 * picture too, built by the same code from the same report, with the aspect's own fields on top.
 */
function detailedPeriods(facts: WeatherFacts, report: WeatherReport): FactPeriod[] {
  let general: FactPeriod[] = [];
  try {
    general = buildFacts(report, { when: facts.when, aspect: 'general' }).periods;
  } catch {
    // The answer's own facts are enough to show.
  }
  return facts.periods.map((period, i) => ({ ...general[i], ...period }));
}

function conditionCode(text: string | undefined, report: WeatherReport): ConditionCode {
  const conditions = [
    report.current.condition,
    ...report.daily.map((d) => d.condition),
    ...report.hourly.map((h) => h.condition),
  ];
  return conditions.find((condition) => condition.text === text)?.code ?? report.current.condition.code;
}

function periodFields(p: FactPeriod, units: UnitLabels): Array<[string, string]> {
  const t = (n: number) => `${n}${units.temperature}`;
  const present = (...parts: Array<string | false | undefined>) => parts.filter(Boolean).join(', ');
  const fields: Array<[string, string]> = [
    [
      'Temperature',
      present(
        p.temperature !== undefined && t(p.temperature),
        p.high !== undefined && `high ${t(p.high)}`,
        p.low !== undefined && `low ${t(p.low)}`,
        p.feelsLike !== undefined && `feels like ${t(p.feelsLike)}`,
      ),
    ],
    [
      'Wind',
      present(
        p.windSpeed !== undefined && `${p.windSpeed} ${units.speed}${p.windDirection ? ` ${p.windDirection}` : ''}`,
        p.windGust !== undefined && `gusts ${p.windGust} ${units.speed}`,
      ),
    ],
    ['Humidity', present(p.humidity !== undefined && `${p.humidity}%`)],
    [
      'Precipitation',
      present(
        p.precipitationChance !== undefined && `${p.precipitationChance}% chance`,
        p.precipitation !== undefined && `${p.precipitation} ${units.precipitation}`,
        p.snowfall !== undefined && p.snowfall > 0 && `${p.snowfall} ${units.snowfall} snow`,
      ),
    ],
    [
      'Sun',
      present(
        p.sunrise !== undefined && `sunrise ${p.sunrise}`,
        p.sunset !== undefined && `sunset ${p.sunset}`,
        p.uvIndex !== undefined && `UV ${p.uvIndex}`,
      ),
    ],
  ];
  return fields.filter(([, value]) => value !== '');
}

/** Discord refuses an embed whose texts add up to more than 6000 characters: the description gives way. */
function fitEmbedTotal(embed: APIEmbed): APIEmbed {
  const others =
    (embed.title?.length ?? 0) +
    (embed.footer?.text.length ?? 0) +
    (embed.fields ?? []).reduce((sum, f) => sum + f.name.length + f.value.length, 0);
  const room = DISCORD_LIMITS.embedTotal - others;
  if ((embed.description?.length ?? 0) <= room) return embed;
  return { ...embed, description: clip(embed.description ?? '', Math.max(room, 1)) };
}

const STATUS_MARKS: Record<ModerationStatus, string> = {
  pending: '',
  approved: ' · approved ✅',
  rejected: ' · rejected ❌',
  corrected: ' · corrected ✏️',
};

/** "exchange 000042-0137", with the moderation outcome once there is one. */
export function exchangeFooter(exchangeId: string, status: ModerationStatus): string {
  return `exchange ${exchangeId}${STATUS_MARKS[status]}`;
}

const FOOTER_ID = /\bexchange (\d{6}-\d{4,})\b/;

interface WithEmbeds {
  embeds: ReadonlyArray<{ footer?: { text: string } | null }>;
}

/** The exchange id a bot answer carries in its embed footer, or null. */
export function exchangeIdOf(message: WithEmbeds): string | null {
  for (const embed of message.embeds) {
    const match = embed.footer?.text.match(FOOTER_ID);
    if (match) return match[1];
  }
  return null;
}

/** The same embeds with the footer showing the exchange's moderation status. */
export function withModerationStatus(
  embeds: readonly APIEmbed[],
  exchangeId: string,
  status: ModerationStatus,
): APIEmbed[] {
  return embeds.map((embed) =>
    embed.footer?.text.match(FOOTER_ID)?.[1] === exchangeId
      ? { ...embed, footer: { ...embed.footer, text: exchangeFooter(exchangeId, status) } }
      : embed,
  );
}
