/**
 * The forecast as a picture: the temperature hour by hour, the chance of precipitation as bars, nights shaded, each
 * day's high and low under its name — in the place's local time and the report's units, every number the provider's.
 * Sized for a chat: 640×360 drawn at twice the pixels, its text still legible at the width Discord and Slack show it.
 */
import { UNIT_LABELS, type WeatherReport, type WhenRange } from '../core/domain';
import { pngOf, type ChatImage } from '../core/png';
import { svgText, ticks } from '../core/svg';
import { dayLabel, placeLabel } from './facts';

/** How far ahead a chart reaches: the hourly forecast's reach. */
export const MAX_CHART_DAYS = 7;

/** The days a range's chart shows: the range's own, at least one, at most the chart's reach. */
export function chartDays(when: WhenRange): number {
  if (when === 'tonight+tomorrow') return 2;
  const n = Number(when.slice(0, -1));
  return Math.min(MAX_CHART_DAYS, Math.max(1, when.endsWith('h') ? Math.ceil(n / 24) : n));
}

const SIZE = { width: 640, height: 360, left: 46, right: 46, top: 58 };
/** Up to two days, the hours 06, 12 and 18 are marked under the chart, above the days' names. */
const HOURS_MARKED_UP_TO = 48;
const COLORS = {
  temperature: '#d9480f',
  precipitation: '#4a90d9',
  night: '#e9edf5',
  grid: '#e3e3e3',
  text: '#333333',
  muted: '#666666',
};
const HOUR_MS = 3_600_000;

/** A local wall-clock time ("2026-12-08T14:00") as hours on one line (its fields read as if UTC). */
const hoursOf = (local: string) => Date.parse(`${local.length === 10 ? `${local}T00:00` : local}:00Z`) / HOUR_MS;

/** The hours a chart of `days` days shows, from the report's current hour, and the dates they fall on. */
function chartWindow(report: WeatherReport, days: number) {
  const now = Math.floor(hoursOf(report.current.time));
  const hours = report.hourly.filter((hour) => hoursOf(hour.time) >= now).slice(0, days * 24);
  return { hours, dates: [...new Set(hours.map((hour) => hour.time.slice(0, 10)))] };
}

/**
 * The SVG chart of the `days` days from the report's current hour (at most what its hourly forecast holds); null
 * when it holds fewer than two hours from now.
 */
export function forecastChart(report: WeatherReport, days: number): string | null {
  const { hours, dates } = chartWindow(report, days);
  if (hours.length < 2) return null;
  const { width, height, left, right, top } = SIZE;
  const hoursMarked = hours.length <= HOURS_MARKED_UP_TO;
  const bottom = hoursMarked ? 62 : 48;
  const dayRow = height - bottom + (hoursMarked ? 30 : 18);
  const [start, end] = [hoursOf(hours[0].time), hoursOf(hours.at(-1)!.time) + 1];
  const plotWidth = width - left - right;
  const plotHeight = height - top - bottom;
  const x = (at: number) => left + ((Math.min(Math.max(at, start), end) - start) / (end - start)) * plotWidth;

  const temperatures = hours.map((hour) => hour.temperature);
  const [coldest, warmest] = [Math.min(...temperatures), Math.max(...temperatures)];
  const pad = Math.max(1, (warmest - coldest) * 0.12);
  const yTicks = ticks(coldest - pad, warmest + pad, 4);
  const [low, high] = [Math.min(yTicks[0], coldest - pad), Math.max(yTicks.at(-1)!, warmest + pad)];
  const yTemperature = (value: number) => top + (1 - (value - low) / (high - low)) * plotHeight;
  const yShare = (percent: number) => top + (1 - percent / 100) * plotHeight;
  const text = (tx: number, ty: number, content: string, anchor = 'middle', attributes = '', fill = COLORS.text) =>
    svgText(tx, ty, content, { anchor, fill, attributes });

  const daily = new Map(report.daily.map((day) => [day.date, day]));
  const nights = dates.flatMap((date) => {
    const day = daily.get(date);
    if (!day?.sunrise || !day.sunset) return [];
    const midnight = hoursOf(date);
    return [
      [midnight, hoursOf(day.sunrise)],
      [hoursOf(day.sunset), midnight + 24],
    ].filter(([from, to]) => to > start && from < end);
  });
  const step = plotWidth / (end - start);
  const bars = hours.flatMap((hour) => {
    const chance = hour.precipitationProbability;
    if (!chance) return [];
    const bx = x(hoursOf(hour.time)) + step * 0.1;
    return [
      `<rect x="${bx.toFixed(1)}" y="${yShare(chance).toFixed(1)}" width="${(step * 0.8).toFixed(2)}" ` +
        `height="${(top + plotHeight - yShare(chance)).toFixed(1)}" fill="${COLORS.precipitation}" fill-opacity="0.55"/>`,
    ];
  });
  const line = hours
    .map((hour) => `${x(hoursOf(hour.time)).toFixed(1)},${yTemperature(hour.temperature).toFixed(1)}`)
    .join(' ');
  // A day's name under its part of the chart when there is room for it, with its high and low from the daily forecast.
  const dayLabels = dates.flatMap((date) => {
    const [from, to] = [Math.max(hoursOf(date), start), Math.min(hoursOf(date) + 24, end)];
    if (x(to) - x(from) < 44) return [];
    const center = (x(from) + x(to)) / 2;
    const day = daily.get(date);
    const label = hoursMarked || x(to) - x(from) >= 76 ? dayLabel(date) : dayLabel(date).slice(0, 6);
    return [
      text(center, dayRow, label, 'middle', 'font-size="12"'),
      day
        ? text(
            center,
            dayRow + 16,
            `${Math.round(day.temperatureMax)}° / ${Math.round(day.temperatureMin)}°`,
            'middle',
            'font-size="11"',
            COLORS.muted,
          )
        : '',
    ];
  });
  const hourTicks = hoursMarked
    ? hours
        .filter((hour) => /T(06|12|18):00/.test(hour.time))
        .flatMap((hour) => {
          const hx = x(hoursOf(hour.time));
          return [
            `<line x1="${hx.toFixed(1)}" y1="${top + plotHeight}" x2="${hx.toFixed(1)}" y2="${top + plotHeight + 4}" stroke="#9a9a9a"/>`,
            text(hx, top + plotHeight + 15, `${hour.time.slice(11, 13)}h`, 'middle', 'font-size="10"', COLORS.muted),
          ];
        })
    : [];
  const unit = UNIT_LABELS[report.units].temperature;
  const reach = hoursMarked ? `next ${hours.length} hours` : `next ${Math.round(hours.length / 24)} days`;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    ...nights.map(
      ([from, to]) =>
        `<rect x="${x(from).toFixed(1)}" y="${top}" width="${(x(to) - x(from)).toFixed(1)}" height="${plotHeight}" fill="${COLORS.night}"/>`,
    ),
    ...yTicks
      .filter((v) => v >= low && v <= high)
      .flatMap((v) => [
        `<line x1="${left}" y1="${yTemperature(v).toFixed(1)}" x2="${width - right}" y2="${yTemperature(v).toFixed(1)}" stroke="${COLORS.grid}"/>`,
        text(left - 6, yTemperature(v) + 4, `${v}°`, 'end', '', COLORS.temperature),
      ]),
    ...[0, 50, 100].map((percent) =>
      text(width - right + 6, yShare(percent) + 4, `${percent}%`, 'start', '', COLORS.precipitation),
    ),
    ...dates
      .map((date) => hoursOf(date))
      .filter((midnight) => midnight > start && midnight < end)
      .map(
        (midnight) =>
          `<line x1="${x(midnight).toFixed(1)}" y1="${top}" x2="${x(midnight).toFixed(1)}" y2="${top + plotHeight}" stroke="#b8b8b8"/>`,
      ),
    ...bars,
    `<polyline fill="none" stroke="${COLORS.temperature}" stroke-width="2.2" stroke-linejoin="round" points="${line}"/>`,
    `<rect x="${left}" y="${top}" width="${plotWidth}" height="${plotHeight}" fill="none" stroke="#9a9a9a"/>`,
    ...hourTicks,
    ...dayLabels,
    text(left, 22, placeLabel(report.place), 'start', 'font-size="15" font-weight="bold"'),
    text(left, 40, `${reach} · local time (${report.place.timezone})`, 'start', 'font-size="11"', COLORS.muted),
    `<line x1="${width - right - 180}" y1="18" x2="${width - right - 162}" y2="18" stroke="${COLORS.temperature}" stroke-width="2.2"/>`,
    text(width - right - 157, 22, `temperature (${unit})`, 'start', 'font-size="11"'),
    `<rect x="${width - right - 179}" y="31" width="14" height="10" fill="${COLORS.precipitation}" fill-opacity="0.55"/>`,
    text(width - right - 157, 40, 'chance of precipitation (%)', 'start', 'font-size="11"'),
    '</svg>',
  ];
  return `${parts.filter(Boolean).join('\n')}\n`;
}

/** The chart as a picture for a chat, with words for whoever cannot see it; null as forecastChart. */
export function forecastImage(report: WeatherReport, days: number): ChatImage | null {
  const svg = forecastChart(report, days);
  if (!svg) return null;
  const unit = UNIT_LABELS[report.units].temperature;
  const { dates } = chartWindow(report, days);
  const summary = report.daily
    .filter((day) => dates.includes(day.date))
    .map(
      (day) =>
        `${dayLabel(day.date)} ${Math.round(day.temperatureMax)}/${Math.round(day.temperatureMin)}${unit}` +
        (day.precipitationProbability === null ? '' : ` ${day.precipitationProbability}% precipitation`),
    )
    .join('; ');
  return {
    name: 'forecast.png',
    png: pngOf(svg),
    alt: `Forecast chart for ${placeLabel(report.place)}: temperature by hour and chance of precipitation. ${summary}`,
  };
}
