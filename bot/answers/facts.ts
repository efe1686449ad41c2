import {
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
  temperature: ['temperature', 'feelsLike', 'high', 'low'],
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

function dayLabel(date: string): string {
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

function nowPeriod(report: WeatherReport): FactPeriod {
  const { current, units } = report;
  const today = report.daily[0];
  const hour = report.hourly.find((h) => h.time.slice(0, 13) === current.time.slice(0, 13));
  return {
    label: 'right now',
    condition: current.condition.text,
    temperature: whole(current.temperature),
    feelsLike: whole(current.feelsLike),
    high: whole(today?.temperatureMax),
    low: whole(today?.temperatureMin),
    humidity: whole(current.humidity),
    precipitationChance: whole(hour?.precipitationProbability ?? today?.precipitationProbability),
    precipitation: amount(current.precipitation, units),
    snowfall: amount(hour?.snowfall, units),
    windSpeed: whole(current.windSpeed),
    windGust: whole(current.windGust),
    windDirection: compass(current.windDirection),
    sunrise: clockTime(today?.sunrise ?? null, units),
    sunset: clockTime(today?.sunset ?? null, units),
    uvIndex: whole(current.uvIndex ?? today?.uvIndexMax),
  };
}

/** Tonight: from 18:00 (or now, if later) until 06:00 the next morning. */
function tonightPeriod(report: WeatherReport): FactPeriod {
  const today = report.daily[0].date;
  const start = report.current.time > `${today}T18:00` ? report.current.time.slice(0, 13) : `${today}T18`;
  const tomorrow = report.daily[1]?.date;
  const hours = report.hourly.filter(
    (h) =>
      h.time.slice(0, 13) >= start &&
      (!tomorrow || h.time < `${tomorrow}T06:00`) &&
      (tomorrow || h.time.startsWith(today)),
  );
  if (hours.length === 0) throw new HorizonError(0);
  const values = (pick: (h: HourlyForecast) => number | null) => hours.map(pick).filter((v): v is number => v !== null);
  const max = (xs: number[]) => (xs.length ? Math.max(...xs) : undefined);
  const sum = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) : undefined);
  const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : undefined);
  const windiest = hours.reduce((a, b) => (b.windSpeed > a.windSpeed ? b : a));
  const { units } = report;
  return {
    label: 'tonight',
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
    sunset: clockTime(report.daily[0].sunset, units),
    sunrise: clockTime(report.daily[1]?.sunrise ?? null, units),
  };
}

/** Days (offsets from today) a `when` covers. */
function dayOffsets(when: When, todayWeekday: number): number[] {
  if (when === 'today') return [0];
  if (when === 'tomorrow') return [1];
  if (when === 'weekend') return todayWeekday === 6 ? [0] : [(5 - todayWeekday + 7) % 7, (6 - todayWeekday + 7) % 7];
  if (when.startsWith('+')) return [Number(when.slice(1, -1))];
  const target = WEEKDAYS.indexOf(when as (typeof WEEKDAYS)[number]);
  return [(target - todayWeekday + 7) % 7];
}

function periodName(when: When, offset: number, date: string): string {
  if (offset === 0) return `today (${dayLabel(date)})`;
  if (offset === 1) return `tomorrow (${dayLabel(date)})`;
  return dayLabel(date);
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
  let periods: FactPeriod[];
  let period: string;
  if (when === 'now') {
    periods = [nowPeriod(report)];
    period = 'right now';
  } else if (when === 'tonight') {
    periods = [tonightPeriod(report)];
    period = 'tonight';
  } else {
    const offsets = dayOffsets(when, weekdayOf(report.daily[0].date));
    const horizon = report.daily.length - 1;
    if (offsets.some((offset) => offset > horizon)) throw new HorizonError(horizon);
    periods = offsets.map((offset) => {
      const day = report.daily[offset];
      return dailyPeriod(day, periodName(when, offset, day.date), report.units);
    });
    period = when === 'weekend' ? 'this weekend' : periods[0].label;
  }
  return {
    place: placeLabel(report.place),
    when,
    period,
    aspect,
    units: UNIT_LABELS[report.units],
    periods: periods.map((p) => keepFields(p, aspect)),
  };
}
