import { placeLabel } from '../answers/facts';
import { hasRole, type IncomingMessage } from '../chat/message';
import { SubscriptionLimitError, type ForecastDays, type Subscription, type SubscriptionLimits } from '../core/store';
import { defineCommand, type CommandServices } from './command';
import { PLACE_DESCRIPTION, splitPlace } from './place';

/** Enough for a team's cities, few enough that a channel is not flooded every morning. */
export const SUBSCRIPTION_LIMITS: SubscriptionLimits = { perChannel: 5, perOwner: 5 };
const DEFAULT_TIME = '07:00';

/** "7", "7am", "07:30", "7:30 pm", "19:30" -> "HH:MM"; null when it is no time of day. */
export function parseClockTime(text: string): string | null {
  const match = /^(\d{1,2})(?::(\d{2}))?\s*(am|pm)?$/i.exec(text.trim());
  if (!match) return null;
  let hour = Number(match[1]);
  const minute = Number(match[2] ?? 0);
  const half = match[3]?.toLowerCase();
  if (half && (hour < 1 || hour > 12)) return null;
  if (half === 'pm' && hour < 12) hour += 12;
  if (half === 'am' && hour === 12) hour = 0;
  if (hour > 23 || minute > 59) return null;
  return `${String(hour).padStart(2, '0')}:${String(match[2] ?? '00').padStart(2, '0')}`;
}

/** "Berlin at 7:30 weekdays" -> the place, and the time and days typed after it. */
function splitSchedule(typed: string): { place: string; time?: string; days?: ForecastDays } {
  const match = /^(.*?)(?:\s+(?:at\s+)?(\d{1,2}(?::\d{2})?\s*(?:am|pm)?))?(?:\s+(daily|weekdays))?$/i.exec(
    typed.trim(),
  )!;
  return {
    place: match[1],
    ...(match[2] && { time: match[2] }),
    ...(match[3] && { days: match[3].toLowerCase() as ForecastDays }),
  };
}

const describe = (s: Subscription) =>
  `${s.id}: ${s.placeLabel} at ${s.time} ${s.timezone} time, ${s.days === 'daily' ? 'every day' : 'on weekdays'}` +
  (s.alerts ? ', with alerts' : '');

/** Where a subscription made by this message posts: this channel or direct-message conversation. */
const here = (message: IncomingMessage) => ({ platform: message.platform, channelId: message.channelId });

/** Whether the message's author may change these subscriptions: a moderator, or whoever made each of them. */
async function mayChange(
  subscriptions: readonly Subscription[],
  message: IncomingMessage,
  services: CommandServices,
): Promise<boolean> {
  if (hasRole(message.author, 'moderator')) return true;
  const mine = await services.subscriptions.subscriptions({ ...here(message), ownerId: message.author.id });
  return subscriptions.every((subscription) => mine.some((s) => s.id === subscription.id));
}

export const subscribe = defineCommand({
  name: 'subscribe',
  usage: '/subscribe <place> [at 07:30] [daily|weekdays]',
  summary: "the day's forecast posted here every morning, at the place's local time (in a channel: moderators)",
  description: "Post the day's forecast for a place here every morning",
  permission: 'everyone',
  options: [
    { name: 'place', type: 'string', description: PLACE_DESCRIPTION, required: true, maxLength: 100 },
    { name: 'time', type: 'string', description: "the place's local time, e.g. 07:30 (default 07:00)", maxLength: 8 },
    {
      name: 'days',
      type: 'choice',
      description: 'every day (default) or Monday to Friday',
      choices: [{ value: 'daily' }, { value: 'weekdays', aliases: ['weekday', 'workdays'] }],
    },
  ],
  hint: 'Tell me the place, e.g. /subscribe Berlin at 07:30 weekdays.',
  async run({ options, message, services }) {
    if (!message.direct && !hasRole(message.author, 'moderator')) {
      return {
        kind: 'refused',
        text: 'Only moderators can subscribe a channel. Send me /subscribe in a direct message to get it yourself.',
      };
    }
    const typed = splitSchedule(options.place);
    const time = parseClockTime(options.time ?? typed.time ?? DEFAULT_TIME);
    if (time === null)
      return { kind: 'error', text: `“${options.time ?? typed.time}” is not a time of day: try 07:30 or 7am.` };
    // The forecast, not the geocoder, knows the place's time zone (OpenWeather's geocoding gives none).
    const looked = await services.weather.lookUp(message, {
      weather: true,
      ...splitPlace(typed.place),
      when: 'now',
      aspect: 'general',
      units: null,
    });
    if (!looked.report) return looked;
    const { place } = looked.report;
    // The units of whoever the forecast is for: the subscriber in a direct message, else the channel.
    const preferences = message.direct
      ? await services.preferences.getPreferences('user', message.platform, message.author.id)
      : await services.preferences.getPreferences('channel', message.platform, message.channelId);
    try {
      const subscription = await services.subscriptions.subscribe(
        {
          ...here(message),
          direct: message.direct === true,
          ownerId: message.author.id,
          place: typed.place,
          placeLabel: placeLabel(place),
          timezone: place.timezone,
          time,
          days: options.days ?? typed.days ?? 'daily',
          units: preferences.units ?? null,
        },
        SUBSCRIPTION_LIMITS,
      );
      return {
        kind: 'command',
        text: `Subscribed — ${describe(subscription)}. /unsubscribe ${subscription.id} stops it.`,
      };
    } catch (error) {
      if (!(error instanceof SubscriptionLimitError)) throw error;
      const text =
        error.limit === 'perChannel'
          ? `This channel already has ${SUBSCRIPTION_LIMITS.perChannel} forecasts: /unsubscribe one first.`
          : `You already have ${SUBSCRIPTION_LIMITS.perOwner} forecasts: /unsubscribe one first.`;
      return { kind: 'error', text };
    }
  },
});

export const subscriptions = defineCommand({
  name: 'subscriptions',
  usage: '/subscriptions',
  summary: 'the forecasts posted here every morning',
  description: 'List the forecasts posted here every morning',
  permission: 'everyone',
  options: [],
  async run({ message, services }) {
    const listed = await services.subscriptions.subscriptions(here(message));
    if (listed.length === 0) return { kind: 'command', text: 'No forecasts are posted here. Try /subscribe Berlin.' };
    return { kind: 'command', text: ['Forecasts posted here:', ...listed.map((s) => `• ${describe(s)}`)].join('\n') };
  },
});

export const unsubscribe = defineCommand({
  name: 'unsubscribe',
  usage: '/unsubscribe <id>',
  summary: 'stop a forecast (its id is in /subscriptions)',
  description: 'Stop a forecast posted every morning',
  permission: 'everyone',
  options: [{ name: 'id', type: 'string', description: 'its id, e.g. f3', required: true, pattern: /^f\d+$/i }],
  hint: 'Which forecast? /subscriptions lists their ids (f1, f2 …).',
  async run({ options, message, services }) {
    const id = options.id.toLowerCase();
    const [subscription] = (await services.subscriptions.subscriptions(here(message))).filter((s) => s.id === id);
    if (!subscription) return { kind: 'error', text: `No forecast ${id} is posted here: /subscriptions lists them.` };
    if (!(await mayChange([subscription], message, services)))
      return { kind: 'refused', text: 'Only whoever subscribed, or a moderator, can stop that forecast.' };
    await services.subscriptions.unsubscribe(id);
    return { kind: 'command', text: `Stopped ${describe(subscription)}.` };
  },
});

export const NO_ALERTS_SERVICE =
  'Severe-weather alerts come from OpenWeather, and this bot reads Open-Meteo, which has no alerts service. ' +
  'An admin can set OPENWEATHER_API_KEY and WEATHER_PROVIDER=openweather to have them.';

/** Whether a subscription is of the place someone typed: its words as typed, or as it was found ("Berlin, DE"). */
const isOf = (subscription: Subscription, typed: string) => {
  const wanted = typed.trim().toLowerCase();
  return [subscription.place, subscription.placeLabel, subscription.placeLabel.split(',')[0]].some(
    (name) => name.trim().toLowerCase() === wanted,
  );
};

export const alerts = defineCommand({
  name: 'alerts',
  usage: '/alerts on|off <place>',
  summary: 'severe-weather alerts for a place subscribed here, each posted once as it is issued (OpenWeather)',
  description: 'Severe-weather alerts for a place subscribed here',
  permission: 'everyone',
  options: [
    {
      name: 'state',
      type: 'choice',
      description: 'on or off',
      required: true,
      choices: [{ value: 'on' }, { value: 'off' }],
    },
    { name: 'place', type: 'string', description: 'a place subscribed here', required: true, maxLength: 100 },
  ],
  hint: 'Say on or off and the place, e.g. /alerts on Berlin.',
  async run({ options, message, services }) {
    if (!services.weather.hasAlerts) return { kind: 'error', text: NO_ALERTS_SERVICE };
    const matching = (await services.subscriptions.subscriptions(here(message))).filter((s) => isOf(s, options.place));
    if (matching.length === 0) {
      return {
        kind: 'error',
        text: `No forecast for ${options.place} is posted here: /subscribe ${options.place} first — alerts come with it.`,
      };
    }
    if (!(await mayChange(matching, message, services)))
      return { kind: 'refused', text: 'Only whoever subscribed, or a moderator, can change its alerts.' };
    const on = options.state === 'on';
    for (const subscription of matching) await services.subscriptions.setSubscriptionAlerts(subscription.id, on);
    const where = matching[0].placeLabel;
    return {
      kind: 'command',
      text: on
        ? `Alerts for ${where} are on here: each severe-weather alert is posted once, as it is issued.`
        : `Alerts for ${where} are off here.`,
    };
  },
});
