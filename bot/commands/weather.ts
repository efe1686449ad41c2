import { defineCommand } from './command';
import { PLACE_DESCRIPTION } from './place';

/** `/weather <place> [when]`: a weather question whose place is given explicitly; without one, the saved place's. */
export const weather = defineCommand({
  name: 'weather',
  usage: '/weather <place> [when]',
  summary: 'the weather for a place, e.g. /weather Lisbon tomorrow',
  description: 'The weather for a place, now or later',
  permission: 'everyone',
  // Typed in text, the place takes the rest of the line, the time with it: the rules read both apart.
  options: [
    { name: 'place', type: 'string', description: PLACE_DESCRIPTION, maxLength: 100 },
    {
      name: 'when',
      type: 'string',
      description: 'now, today, tonight, tomorrow, this weekend, friday, in 3 days …',
      maxLength: 40,
    },
  ],
  async run({ options: { place, when }, message, services }) {
    if (!place) return services.weather.ask(message, ['weather', when].filter(Boolean).join(' '));
    const asked = [place, when].filter(Boolean).join(' ');
    const parsed = services.weather.understand(`weather in ${asked}`);
    const query = parsed.weather
      ? parsed
      : {
          weather: true as const,
          location: asked,
          region: null,
          when: 'now' as const,
          aspect: 'general' as const,
          units: null,
        };
    return services.weather.answer(message, `/weather ${asked}`, { ...query, location: query.location ?? asked });
  },
});
