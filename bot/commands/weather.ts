import type { Command } from './command';

/** `/weather <place> [when]`: a weather question whose place is given explicitly. */
export const weather: Command = {
  name: 'weather',
  usage: '/weather <place> [when]',
  summary: 'the weather for a place, e.g. /weather Lisbon tomorrow',
  permission: 'everyone',
  async run({ assistant, message, args }) {
    if (!args) return assistant.answer(message, 'weather');
    const text = `weather in ${args}`;
    const parsed = assistant.understand(text);
    const query = parsed.weather ? parsed : { weather: true as const, location: args, region: null, when: 'now' as const, aspect: 'general' as const, units: null };
    return assistant.answerWeather(message, `/weather ${args}`, { ...query, location: query.location ?? args }, 'command');
  },
};
