import { forecastImage, MAX_CHART_DAYS } from '../answers/chart';
import { placeLabel } from '../answers/facts';
import { defineCommand } from './command';
import { PLACE_DESCRIPTION, splitPlace } from './place';

const DEFAULT_DAYS = 7;

/** `/chart [place] [days]`: the forecast for the days ahead as a picture; without a place, the saved place's. */
export const chart = defineCommand({
  name: 'chart',
  usage: '/chart [place] [days]',
  summary: `a forecast chart for the days ahead (1–${MAX_CHART_DAYS}, default ${DEFAULT_DAYS}), e.g. /chart Berlin 3`,
  description: 'A forecast chart: temperature and chance of precipitation, hour by hour',
  permission: 'everyone',
  options: [
    { name: 'place', type: 'string', description: PLACE_DESCRIPTION, maxLength: 100 },
    { name: 'days', type: 'integer', description: `How many days ahead, 1 to ${MAX_CHART_DAYS}` },
  ],
  async run({ options, message, services }) {
    // Typed in text the place takes the rest of the line: a number at its end is the days.
    const typed = options.place?.trim() ?? '';
    const counted = /^(?:(.*\S)\s+)?(\d+)$/su.exec(typed);
    const named = counted ? (counted[1] ?? '') : typed;
    const days = options.days ?? (counted ? Number(counted[2]) : DEFAULT_DAYS);
    if (!Number.isInteger(days) || days < 1 || days > MAX_CHART_DAYS)
      return { kind: 'error', text: `A chart reaches 1 to ${MAX_CHART_DAYS} days ahead (you asked for ${days}).` };
    const place = named ? splitPlace(named) : { location: null, region: null };
    const found = await services.weather.lookUp(message, {
      weather: true,
      ...place,
      when: 'now',
      aspect: 'general',
      units: null,
    });
    if (!found.report) return found;
    const image = forecastImage(found.report, days);
    const where = placeLabel(found.report.place);
    if (!image) return { kind: 'error', text: `There is no hourly forecast for ${where} right now. Try again later.` };
    return { kind: 'command', text: `Forecast for ${where}, the next ${days === 1 ? 'day' : `${days} days`}:`, image };
  },
});
