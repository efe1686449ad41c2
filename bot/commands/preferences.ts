import { placeLabel } from '../answers/facts';
import { splitPlace } from '../assistant/assistant';
import type { UnitSystem } from '../core/domain';
import type { PreferenceScope } from '../core/store';
import { WeatherError } from '../weather/provider';
import type { Command, CommandContext } from './command';

const UNIT_WORDS: Record<string, UnitSystem> = {
  c: 'metric', celsius: 'metric', metric: 'metric', '°c': 'metric',
  f: 'imperial', fahrenheit: 'imperial', imperial: 'imperial', '°f': 'imperial',
};

/** "channel f" sets the channel's default (moderators); "f" sets the author's own. */
function scoped({ assistant, message, args }: CommandContext): { scope: PreferenceScope; value: string; allowed: boolean } {
  const match = args.match(/^(channel|server)\s+([\s\S]*)$/i);
  if (!match) return { scope: 'user', value: args, allowed: true };
  return { scope: 'channel', value: match[2].trim(), allowed: assistant.hasRole(message, 'moderator') };
}

const ownerOf = (scope: PreferenceScope, context: CommandContext) => (scope === 'user' ? context.message.author.id : context.message.channelId);

export const units: Command = {
  name: 'units',
  usage: '/units c|f  (or /units channel c|f)',
  summary: 'your units: c for °C, km/h, mm; f for °F, mph, in',
  permission: 'everyone',
  async run(context) {
    const { scope, value, allowed } = scoped(context);
    if (!allowed) return { kind: 'refused', text: 'Only moderators can set the channel default.' };
    const system = UNIT_WORDS[value.toLowerCase()];
    if (!system) return { kind: 'command', text: 'Use /units c (°C, km/h, mm) or /units f (°F, mph, in).' };
    const { message, assistant } = context;
    await assistant.store.setPreferences(scope, message.platform, ownerOf(scope, context), { units: system });
    const label = system === 'metric' ? '°C, km/h and mm' : '°F, mph and inches';
    return { kind: 'command', text: scope === 'user' ? `Got it — I'll answer you in ${label}.` : `Got it — this channel now defaults to ${label}.` };
  },
};

export const setlocation: Command = {
  name: 'setlocation',
  usage: '/setlocation <place>  (or /setlocation channel <place>)',
  summary: 'the place to use when a question names none',
  permission: 'everyone',
  async run(context) {
    const { scope, value, allowed } = scoped(context);
    if (!allowed) return { kind: 'refused', text: 'Only moderators can set the channel location.' };
    if (!value) return { kind: 'command', text: 'Tell me the place, e.g. /setlocation Lisbon or /setlocation Paris, TX.' };
    const { message, assistant } = context;
    const { location, region } = splitPlace(value);
    try {
      const place = await assistant.weather.resolvePlace(location, region);
      await assistant.store.setPreferences(scope, message.platform, ownerOf(scope, context), { location: value });
      const whose = scope === 'user' ? 'your' : "this channel's";
      return { kind: 'command', text: `Saved ${whose} location: ${placeLabel(place)}. Now just ask “will it rain tomorrow?”.` };
    } catch (error) {
      if (error instanceof WeatherError && error.kind === 'place-not-found') {
        return { kind: 'error', text: `I couldn't find “${value}”. Check the spelling, or add the region or country — e.g. “Paris, TX”.` };
      }
      if (error instanceof WeatherError) return { kind: 'error', text: "I can't check places right now — the weather service isn't answering. Please try again in a minute." };
      throw error;
    }
  },
};
