import { placeLabel } from '../answers/facts';
import { hasRole, type IncomingMessage } from '../chat/message';
import type { UnitSystem } from '../core/domain';
import type { PreferenceScope } from '../core/store';
import { defineCommand } from './command';
import { findPlace, PLACE_DESCRIPTION } from './place';

/** Whose preference is set: the author's own (the default), or the channel's default, which only moderators set. */
const scope = {
  name: 'scope',
  type: 'choice',
  description: 'yours (default), or the default for this channel (moderators only)',
  choices: [
    { value: 'me', label: 'just me' },
    { value: 'channel', label: 'this channel', aliases: ['server'] },
  ],
} as const;

type Scope = 'me' | 'channel' | undefined;

const owner = (chosen: Scope, message: IncomingMessage): { scope: PreferenceScope; id: string } =>
  chosen === 'channel' ? { scope: 'channel', id: message.channelId } : { scope: 'user', id: message.author.id };

const mayChoose = (chosen: Scope, message: IncomingMessage) =>
  chosen !== 'channel' || hasRole(message.author, 'moderator');

const UNIT_SYSTEMS: Record<'c' | 'f', { system: UnitSystem; label: string }> = {
  c: { system: 'metric', label: '°C, km/h and mm' },
  f: { system: 'imperial', label: '°F, mph and inches' },
};

export const units = defineCommand({
  name: 'units',
  usage: '/units c|f  (or /units channel c|f)',
  summary: 'your units: c for °C, km/h, mm; f for °F, mph, in',
  description: 'Choose °C or °F (with km/h and mm, or mph and inches)',
  permission: 'everyone',
  replyPrivately: true,
  options: [
    scope,
    {
      name: 'system',
      type: 'choice',
      description: 'the unit system',
      required: true,
      choices: [
        { value: 'c', label: '°C, km/h, mm', aliases: ['celsius', 'metric', '°c'] },
        { value: 'f', label: '°F, mph, in', aliases: ['fahrenheit', 'imperial', '°f'] },
      ],
    },
  ],
  hint: 'Use /units c (°C, km/h, mm) or /units f (°F, mph, in).',
  async run({ options, message, services }) {
    if (!mayChoose(options.scope, message))
      return { kind: 'refused', text: 'Only moderators can set the channel default.' };
    const { system, label } = UNIT_SYSTEMS[options.system];
    const { scope, id } = owner(options.scope, message);
    await services.preferences.setPreferences(scope, message.platform, id, { units: system });
    const text =
      scope === 'user' ? `Got it — I'll answer you in ${label}.` : `Got it — this channel now defaults to ${label}.`;
    return { kind: 'command', text };
  },
});

export const setlocation = defineCommand({
  name: 'setlocation',
  usage: '/setlocation <place>  (or /setlocation channel <place>)',
  summary: 'the place to use when a question names none',
  description: 'The place to use when a question names none',
  permission: 'everyone',
  replyPrivately: true,
  options: [scope, { name: 'place', type: 'string', description: PLACE_DESCRIPTION, required: true, maxLength: 100 }],
  hint: 'Tell me the place, e.g. /setlocation Lisbon or /setlocation Paris, TX.',
  async run({ options, message, services }) {
    if (!mayChoose(options.scope, message))
      return { kind: 'refused', text: 'Only moderators can set the channel location.' };
    const found = await findPlace(services.places, options.place);
    if (found.reply) return found.reply;
    const { scope, id } = owner(options.scope, message);
    await services.preferences.setPreferences(scope, message.platform, id, { location: options.place });
    const whose = scope === 'user' ? 'your' : "this channel's";
    const text = `Saved ${whose} location: ${placeLabel(found.place)}. Now just ask “will it rain tomorrow?”.`;
    return { kind: 'command', text };
  },
});
