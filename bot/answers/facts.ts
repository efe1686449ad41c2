import {
  isRange,
  UNIT_LABELS,
  WEEKDAYS,
  type Aspect,
  type Condition,
  type ConditionCode,
  type DailyForecast,
  type FactPeriod,
  type HourlyForecast,
  type Place,
  type WeatherFacts,
  type WeatherQuery,
  type WeatherReport,
  type When,
  type WhenRange,
} from '../core/domain';

/** The question asks beyond the days the report covers. */
export class HorizonError extends Error {
  constructor(readonly daysAhead: number) {
    super(`the forecast reaches ${daysAhead} days ahead`);
    this.name = 'HorizonError';
  }
}

/** "Paris, Texas, US": name, region when it adds something, country code. */
export function placeLabel(place: Place): string {
  const parts = [place.name];
  if (place.region && place.region !== place.name) parts.push(place.region);
  if (place.countryCode) parts.push(place.countryCode);
  else if (place.country) parts.push(place.country);
  return parts.join(', ');
}

/** Which fields each aspect's answer uses; the facts carry only those. */
const ASPECT_FIELDS: Record<Aspect, (keyof FactPeriod)[]> = {
  general: [
    'temperature',
    'feelsLike',
    'high',
    'low',
    'precipitationChance',
    'precipitation',
    'windSpeed',
    'windDirection',
    'humidity',
  ],
  // The rain and wind say what to wear besides.
  temperature: ['temperature', 'feelsLike', 'high', 'low', 'precipitationChance', 'windSpeed'],
  rain: ['precipitationChance', 'precipitation'],
  snow: ['snowfall', 'precipitationChance', 'temperature', 'high', 'low'],
  wind: ['windSpeed', 'windGust', 'windDirection'],
  humidity: ['humidity', 'temperature'],
  sun: ['sunrise', 'sunset', 'uvIndex'],
};

const SEVERITY: ConditionCode[] = [
  'clear',
  'partly-cloudy',
  'cloudy',
  'fog',
  'drizzle',
  'rain',
  'sleet',
  'snow',
  'freezing-rain',
  'thunderstorm',
];
const COMPASS = ['N', 'NNE', 'NE', 'ENE', 'E', 'ESE', 'SE', 'SSE', 'S', 'SSW', 'SW', 'WSW', 'W', 'WNW', 'NW', 'NNW'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

export function compass(degrees: number): string {
  return COMPASS[Math.round((((degrees % 360) + 360) % 360) / 22.5) % 16];
}

/** Weekday index (0 = monday) of a "YYYY-MM-DD" date. */
function weekdayOf(date: string): number {
  const [y, m, d] = date.split('-').map(Number);
  return (new Date(Date.UTC(y, m - 1, d)).getUTCDay() + 6) % 7;
}

export function dayLabel(date: string): string {
  const [, m, d] = date.split('-').map(Number);
  const weekday = WEEKDAYS[weekdayOf(date)];
  return `${weekday[0].toUpperCase()}${weekday.slice(1, 3)} ${d} ${MONTHS[m - 1]}`;
}

function clockTime(isoLocal: string | null, units: WeatherReport['units']): string | undefined {
  const match = isoLocal?.match(/T(\d{2}):(\d{2})/);
  if (!match) return undefined;
  const [hour, minute] = [Number(match[1]), match[2]];
  if (units === 'metric') return `${match[1]}:${minute}`;
  return `${hour % 12 === 0 ? 12 : hour % 12}:${minute} ${hour < 12 ? 'AM' : 'PM'}`;
}

const whole = (n: number | null | undefined) =>
  n === null || n === undefined || Number.isNaN(n) ? undefined : Math.round(n);

function amount(n: number | null | undefined, units: WeatherReport['units']): number | undefined {
  if (n === null || n === undefined || Number.isNaN(n)) return undefined;
  const digits = units === 'metric' ? 10 : 100;
  return Math.round(n * digits) / digits;
}

function worst(conditions: Condition[]): Condition {
  return conditions.reduce((a, b) => (SEVERITY.indexOf(b.code) > SEVERITY.indexOf(a.code) ? b : a));
}

function dailyPeriod(day: DailyForecast, label: string, units: WeatherReport['units']): FactPeriod {
  return {
    label,
    condition: day.condition.text,
    high: whole(day.temperatureMax),
    low: whole(day.temperatureMin),
    feelsLike: whole(day.feelsLikeMax),
    precipitationChance: whole(day.precipitationProbability),
    precipitation: amount(day.precipitationSum, units),
    snowfall: amount(day.snowfallSum, units),
    windSpeed: whole(day.windSpeedMax),
    windGust: whole(day.windGustMax),
    windDirection: day.windDirection === null ? undefined : compass(day.windDirection),
    humidity: whole(day.humidityMean),
    sunrise: clockTime(day.sunrise, units),
    sunset: clockTime(day.sunset, units),
    uvIndex: whole(day.uvIndexMax),
  };
}

/** This hour only: the day's figures (high, low, the day's rain, sunrise) are in the day's own period beside it. */
function nowPeriod(report: WeatherReport): FactPeriod {
  const { current, units } = report;
  const hour = report.hourly.find((h) => h.time.slice(0, 13) === current.time.slice(0, 13));
  return {
    label: 'right now',
    condition: current.condition.text,
    temperature: whole(current.temperature),
    feelsLike: whole(current.feelsLike),
    humidity: whole(current.humidity),
    precipitationChance: whole(hour?.precipitationProbability),
    precipitation: amount(current.precipitation, units),
    snowfall: amount(hour?.snowfall, units),
    windSpeed: whole(current.windSpeed),
    windGust: whole(current.windGust),
    windDirection: compass(current.windDirection),
    uvIndex: whole(current.uvIndex),
  };
}

/** Evenings start, and nights end, at these local hours. */
const EVENING = 'T18:00';
const MORNING = 'T06:00';
const SATURDAY = WEEKDAYS.indexOf('saturday');
const SUNDAY = WEEKDAYS.indexOf('sunday');

/** The "YYYY-MM-DD" date `days` after `date`. */
function addDays(date: string, days: number): string {
  const [y, m, d] = date.split('-').map(Number);
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
}

/** The forecast steps from the one under way at `from` on. */
function hoursFrom(report: WeatherReport, from: string): HourlyForecast[] {
  const underWay = report.hourly.findLast((h) => h.time <= from)?.time ?? from;
  return report.hourly.filter((h) => h.time >= underWay);
}

/** The forecast steps that cover part of [from, to): the one under way at `from` and those after it. */
function hoursBetween(report: WeatherReport, from: string, to: string): HourlyForecast[] {
  return hoursFrom(report, from).filter((h) => h.time < to);
}

/** A sunrise or sunset still to come, as shown; one already past is no news. */
function sunAhead(time: string | null, report: WeatherReport): string | undefined {
  return time !== null && time > report.current.time ? clockTime(time, report.units) : undefined;
}

/** Part of a day or night from its hours: the worst sky, the coldest and windiest hour, the rain summed. */
function hoursPeriod(hours: HourlyForecast[], label: string, units: WeatherReport['units']): FactPeriod {
  const values = (pick: (h: HourlyForecast) => number | null) => hours.map(pick).filter((v): v is number => v !== null);
  const max = (xs: number[]) => (xs.length ? Math.max(...xs) : undefined);
  const sum = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) : undefined);
  const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : undefined);
  const windiest = hours.reduce((a, b) => (b.windSpeed > a.windSpeed ? b : a));
  return {
    label,
    condition: worst(hours.map((h) => h.condition)).text,
    temperature: whole(hours[0].temperature),
    low: whole(Math.min(...hours.map((h) => h.temperature))),
    feelsLike: whole(Math.min(...hours.map((h) => h.feelsLike))),
    precipitationChance: whole(max(values((h) => h.precipitationProbability))),
    precipitation: amount(sum(values((h) => h.precipitation)), units),
    snowfall: amount(sum(values((h) => h.snowfall)), units),
    windSpeed: whole(windiest.windSpeed),
    windGust: whole(max(values((h) => h.windGust))),
    windDirection: compass(windiest.windDirection),
    humidity: whole(mean(values((h) => h.humidity))),
  };
}

/**
 * Tonight: from 18:00 (or now, if later) until 06:00 the next morning. Asked before 06:00, it is the
 * rest of the night under way, until this morning.
 */
function tonightPeriod(report: WeatherReport): FactPeriod {
  const now = report.current.time;
  const today = report.daily[0];
  const beforeDawn = now < `${today.date}${MORNING}`;
  const start = beforeDawn || now > `${today.date}${EVENING}` ? now : `${today.date}${EVENING}`;
  const end = `${beforeDawn ? today.date : addDays(today.date, 1)}${MORNING}`;
  const hours = hoursBetween(report, start, end);
  if (hours.length === 0) throw new HorizonError(0);
  const morning = beforeDawn ? today : report.daily[1];
  return {
    ...hoursPeriod(hours, 'tonight', report.units),
    sunset: beforeDawn ? undefined : sunAhead(today.sunset, report),
    sunrise: clockTime(morning?.sunrise ?? null, report.units),
  };
}

/** What is left of today, from now until midnight; null when the forecast has no hours for it. */
function restOfToday(report: WeatherReport): FactPeriod | null {
  const today = report.daily[0];
  const hours = hoursBetween(report, report.current.time, `${addDays(today.date, 1)}T00:00`);
  if (hours.length === 0) return null;
  const label = `the rest of today (${dayLabel(today.date)})`;
  return { ...hoursPeriod(hours, label, report.units), sunset: sunAhead(today.sunset, report) };
}

/** Days (offsets from today) a `when` names. */
function dayOffsets(when: When, todayWeekday: number): number[] {
  if (when === 'today') return [0];
  if (when === 'tomorrow') return [1];
  if (when.startsWith('+')) return [Number(when.slice(1, -1))];
  const target = WEEKDAYS.indexOf(when as (typeof WEEKDAYS)[number]);
  return [(target - todayWeekday + 7) % 7];
}

function periodName(offset: number, date: string): string {
  if (offset === 0) return `today (${dayLabel(date)})`;
  if (offset === 1) return `tomorrow (${dayLabel(date)})`;
  return dayLabel(date);
}

function dayPeriods(report: WeatherReport, offsets: number[], name = periodName): FactPeriod[] {
  const horizon = report.daily.length - 1;
  if (offsets.some((offset) => offset > horizon)) throw new HorizonError(horizon);
  return offsets.map((offset) => {
    const day = report.daily[offset];
    return dailyPeriod(day, name(offset, day.date), report.units);
  });
}

/** "next Saturday (Sat 5 Dec)": a day of the weekend after this one. */
function nextWeekendDay(offset: number, date: string): string {
  const weekday = WEEKDAYS[weekdayOf(date)];
  return `next ${weekday[0].toUpperCase()}${weekday.slice(1)} (${dayLabel(date)})`;
}

interface Periods {
  periods: FactPeriod[];
  /** Human label of them all. */
  period: string;
}

/**
 * The weekend still ahead. On a weekend evening today is only what is left of it; on Sunday evening,
 * with the weekend all but over, the next weekend follows as far as the forecast reaches.
 */
function weekendPeriods(report: WeatherReport): Periods {
  const today = report.daily[0];
  const weekday = weekdayOf(today.date);
  if (weekday < SATURDAY)
    return { periods: dayPeriods(report, [SATURDAY - weekday, SUNDAY - weekday]), period: 'this weekend' };
  const evening = report.current.time >= `${today.date}${EVENING}`;
  const rest = (evening && restOfToday(report)) || dailyPeriod(today, periodName(0, today.date), report.units);
  if (weekday === SATURDAY) return { periods: [rest, ...dayPeriods(report, [1])], period: 'this weekend' };
  if (!evening) return { periods: [rest], period: 'this weekend' };
  const next = [SATURDAY, SUNDAY].map((day) => day + 7 - weekday).filter((offset) => offset < report.daily.length);
  if (next.length === 0) return { periods: [rest], period: 'the rest of this weekend' };
  return {
    periods: [rest, ...dayPeriods(report, next, nextWeekendDay)],
    period: 'the rest of this weekend and the next',
  };
}

/** Hours one period of an hourly range covers: each hour up to half a day, then steps of three. */
const hoursPerPeriod = (hours: number) => (hours <= 12 ? 1 : 3);

/** A range, period by period: days from today, hours (or steps of hours) from now, tonight and tomorrow. */
function rangePeriods(report: WeatherReport, when: WhenRange): Periods {
  if (when === 'tonight+tomorrow') {
    const tomorrow = report.daily[1];
    if (!tomorrow) throw new HorizonError(0);
    const periods = [tonightPeriod(report), dailyPeriod(tomorrow, periodName(1, tomorrow.date), report.units)];
    return { periods, period: 'tonight and tomorrow' };
  }
  const n = Number(when.slice(0, -1));
  if (when.endsWith('d')) {
    const days = report.daily.slice(0, n);
    if (days.length === 0) throw new HorizonError(0);
    const periods = days.map((day, offset) => dailyPeriod(day, periodName(offset, day.date), report.units));
    return { periods, period: n === 7 ? 'this week' : `the next ${days.length} days` };
  }
  const hours = hoursFrom(report, report.current.time).slice(0, n);
  if (hours.length === 0) throw new HorizonError(0);
  const step = hoursPerPeriod(hours.length);
  const periods = [];
  for (let i = 0; i < hours.length; i += step) {
    const part = hours.slice(i, i + step);
    const from = clockTime(part[0].time, report.units)!;
    const label = step === 1 ? from : `${from}–${clockTime(addHour(part.at(-1)!.time), report.units)}`;
    periods.push({
      ...hoursPeriod(part, label, report.units),
      high: whole(Math.max(...part.map((h) => h.temperature))),
      ...(step === 1 && { low: undefined }),
    });
  }
  return { periods, period: `the next ${hours.length === 1 ? 'hour' : `${hours.length} hours`}` };
}

/** The local time an hour after `time` ("…T23:00" -> "…T00:00" the next day). */
function addHour(time: string): string {
  const next = new Date(Date.parse(`${time}:00Z`) + 3_600_000).toISOString();
  return next.slice(0, 16);
}

function periodsOf(report: WeatherReport, when: When): Periods {
  if (isRange(when)) return rangePeriods(report, when);
  if (when === 'now') {
    // Now, then the rest of the day as its own period, so each figure keeps the period it belongs to.
    const today = report.daily[0];
    const periods = [
      nowPeriod(report),
      ...(today ? [dailyPeriod(today, periodName(0, today.date), report.units)] : []),
    ];
    return { periods, period: 'right now' };
  }
  if (when === 'tonight') return { periods: [tonightPeriod(report)], period: 'tonight' };
  if (when === 'weekend') return weekendPeriods(report);
  const periods = dayPeriods(report, dayOffsets(when, weekdayOf(report.daily[0].date)));
  return { periods, period: periods[0].label };
}

function keepFields(period: FactPeriod, aspect: Aspect): FactPeriod {
  const kept: FactPeriod = { label: period.label, condition: period.condition };
  for (const field of ASPECT_FIELDS[aspect]) {
    if (period[field] !== undefined) (kept as unknown as Record<string, unknown>)[field] = period[field];
  }
  return kept;
}

/** The compact slice of a report that answers the query, rounded as it will be shown. */
export function buildFacts(report: WeatherReport, query: Pick<WeatherQuery, 'when' | 'aspect'>): WeatherFacts {
  const { when, aspect } = query;
  const { periods, period } = periodsOf(report, when);
  return {
    place: placeLabel(report.place),
    when,
    period,
    aspect,
    units: UNIT_LABELS[report.units],
    periods: periods.map((p) => keepFields(p, aspect)),
  };
}
