/**
 * A small synthetic weather model for the seed: plausible forecasts of a city for 16 days from a
 * given local date and hour, in the shape the providers return (WeatherReport). Temperatures
 * follow the city's seasonal cycle with day-to-day anomalies, the day's sky and precipitation
 * follow its wet season, snow falls only when it is cold enough, sunrise and sunset come from the
 * sun's position (so they depend on latitude and date), and UV on the sun's height and the cloud.
 */
import type {
  Condition,
  CurrentConditions,
  DailyForecast,
  HourlyForecast,
  UnitSystem,
  WeatherReport,
} from '../../bot/core/domain';
import { conditionFromWmo, severity } from '../../bot/weather/conditions';
import { countryOf, type SeedCity } from './cities';

export type Random = () => number;

const FORECAST_DAYS = 16;
/** Hours of hourly forecast: today, tomorrow and the day after (enough for "now" and "tonight"). */
const HOURLY_DAYS = 3;
const DAY_MS = 86_400_000;
const RAD = Math.PI / 180;

const between = (random: Random, low: number, high: number) => low + (high - low) * random();
const clamp = (x: number, low: number, high: number) => Math.min(high, Math.max(low, x));
const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;
/** Standard normal by Box–Muller. */
const normal = (random: Random) => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
const pad = (n: number) => String(n).padStart(2, '0');

function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
}

function dayOfYear(date: string): number {
  return Math.floor((Date.parse(`${date}T00:00:00Z`) - Date.parse(`${date.slice(0, 4)}-01-01T00:00:00Z`)) / DAY_MS) + 1;
}

const offsetFormats = new Map<string, Intl.DateTimeFormat>();

/** UTC offset of the zone on that date, in minutes (daylight saving included). */
export function utcOffsetMinutes(timezone: string, date: string): number {
  let format = offsetFormats.get(timezone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', { timeZone: timezone, timeZoneName: 'longOffset' });
    offsetFormats.set(timezone, format);
  }
  const name =
    format.formatToParts(new Date(`${date}T12:00:00Z`)).find((part) => part.type === 'timeZoneName')?.value ?? 'GMT';
  const match = /GMT([+-])(\d{2}):(\d{2})/.exec(name);
  return match ? (match[1] === '-' ? -1 : 1) * (Number(match[2]) * 60 + Number(match[3])) : 0;
}

interface SunPosition {
  /** Declination and equation of time (minutes) of the date. */
  declination: number;
  equationOfTime: number;
}

/** NOAA's approximation of the sun's declination and the equation of time. */
function sunOn(date: string): SunPosition {
  const g = ((2 * Math.PI) / 365) * (dayOfYear(date) - 1);
  const equationOfTime =
    229.18 *
    (0.000075 +
      0.001868 * Math.cos(g) -
      0.032077 * Math.sin(g) -
      0.014615 * Math.cos(2 * g) -
      0.040849 * Math.sin(2 * g));
  const declination =
    0.006918 -
    0.399912 * Math.cos(g) +
    0.070257 * Math.sin(g) -
    0.006758 * Math.cos(2 * g) +
    0.000907 * Math.sin(2 * g) -
    0.002697 * Math.cos(3 * g) +
    0.00148 * Math.sin(3 * g);
  return { declination, equationOfTime };
}

/** Local clock minute at which the sun is highest. */
function solarNoon(city: SeedCity, date: string, offset: number): number {
  return 720 - 4 * city.longitude - sunOn(date).equationOfTime + offset;
}

/** Local clock minutes of sunrise and sunset; null in polar day or night. */
function sunriseSunset(city: SeedCity, date: string, offset: number): { rise: number; set: number } | null {
  const { declination } = sunOn(date);
  const lat = city.latitude * RAD;
  const cosHourAngle =
    Math.cos(90.833 * RAD) / (Math.cos(lat) * Math.cos(declination)) - Math.tan(lat) * Math.tan(declination);
  if (Math.abs(cosHourAngle) > 1) return null;
  const hourAngle = Math.acos(cosHourAngle) / RAD;
  const noon = solarNoon(city, date, offset);
  return { rise: noon - 4 * hourAngle, set: noon + 4 * hourAngle };
}

/** Sine of the sun's height at a local clock minute. */
function sunHeight(city: SeedCity, date: string, offset: number, minute: number): number {
  const { declination, equationOfTime } = sunOn(date);
  const solarMinutes = minute - offset + 4 * city.longitude + equationOfTime;
  const hourAngle = (solarMinutes / 4 - 180) * RAD;
  const lat = city.latitude * RAD;
  return Math.sin(lat) * Math.sin(declination) + Math.cos(lat) * Math.cos(declination) * Math.cos(hourAngle);
}

function clockTime(date: string, minutes: number): string {
  const dayShift = Math.floor(minutes / 1440);
  const inDay = Math.round(minutes - dayShift * 1440) % 1440;
  return `${addDays(date, dayShift)}T${pad(Math.floor(inDay / 60))}:${pad(inDay % 60)}`;
}

type Sky = 'clear' | 'mainly-clear' | 'partly-cloudy' | 'overcast' | 'fog';
type Precipitation = 'drizzle' | 'rain' | 'showers' | 'thunderstorm' | 'snow' | 'snow-showers' | 'freezing-rain';

/** One day as the model plans it, in metric units, before hours are filled in. */
interface DayPlan {
  date: string;
  high: number;
  low: number;
  sky: Sky;
  precipitation: Precipitation | null;
  /** Water equivalent, mm. */
  amount: number;
  chance: number;
  humidity: number;
  wind: number;
  gust: number;
  windDirection: number;
  uvMax: number;
  sun: { rise: number; set: number } | null;
  offset: number;
}

/** Log-ratio of wet days in the local summer to the yearly mean, by kind of wet season. */
const SUMMER_WETNESS = { summer: 0.6, monsoon: 1.3, even: 0, winter: -0.6, 'dry-summer': -1.1 } as const;
const SKY_CODES: Record<Sky, number> = { clear: 0, 'mainly-clear': 1, 'partly-cloudy': 2, overcast: 3, fog: 45 };

function precipitationCode(kind: Precipitation, perHour: number): number {
  switch (kind) {
    case 'drizzle':
      return perHour < 0.2 ? 51 : perHour < 0.5 ? 53 : 55;
    case 'rain':
      return perHour < 1 ? 61 : perHour < 4 ? 63 : 65;
    case 'showers':
      return perHour < 1.5 ? 80 : perHour < 6 ? 81 : 82;
    case 'thunderstorm':
      return perHour > 8 ? 96 : 95;
    case 'snow':
      return perHour < 0.4 ? 71 : perHour < 1.5 ? 73 : 75;
    case 'snow-showers':
      return perHour < 1 ? 85 : 86;
    case 'freezing-rain':
      return perHour < 1 ? 66 : 67;
  }
}

function condition(code: number): Condition {
  const found = conditionFromWmo(code);
  if (!found) throw new Error(`no WMO condition ${code}`);
  return found;
}

/** Apparent temperature (Steadman), as Open-Meteo reports it: humidity warms, wind cools. */
function apparent(temperature: number, humidity: number, windKmh: number): number {
  const vapour = (humidity / 100) * 6.105 * Math.exp((17.27 * temperature) / (237.7 + temperature));
  return temperature + 0.33 * vapour - 0.7 * (windKmh / 3.6) - 4;
}

function planDays(city: SeedCity, today: string, random: Random): DayPlan[] {
  const { climate } = city;
  const middle = (climate.january + climate.july) / 2;
  const swing = (climate.july - climate.january) / 2;
  const prevailing = between(random, 0, 360);
  const dryness = clamp((70 - climate.humidity) / 40, 0, 1);
  // Day-to-day swings are larger where the seasons are (mid-latitude continents) than in the tropics.
  const variability = clamp(0.35 + 0.07 * Math.abs(swing), 0.35, 1.2);
  const plans: DayPlan[] = [];
  let anomaly = normal(random) * 3 * variability;
  let wasWet = random() < climate.wetDays;
  for (let d = 0; d < FORECAST_DAYS; d++) {
    const date = addDays(today, d);
    const phase = Math.cos((2 * Math.PI * (dayOfYear(date) - 20)) / 365.25);
    const mean = middle - swing * phase + anomaly;
    const summer = -phase * (city.latitude >= 0 ? 1 : -1);
    const wetChance = clamp(
      climate.wetDays * Math.exp(SUMMER_WETNESS[climate.wetSeason] * summer) + (wasWet ? 0.15 : -0.05),
      0.01,
      0.92,
    );
    const wet = random() < wetChance;
    const range = 6 + 10 * dryness + between(random, -1.5, 1.5);
    const skyDraw = random();
    const sky: Sky = wet
      ? random() < 0.75
        ? 'overcast'
        : 'partly-cloudy'
      : skyDraw < 0.4 - 0.3 * climate.wetDays
        ? 'clear'
        : skyDraw < 0.6 - 0.2 * climate.wetDays
          ? 'mainly-clear'
          : skyDraw < 0.85
            ? 'partly-cloudy'
            : climate.humidity > 72 && skyDraw > 0.95 && Math.abs(summer) < 0.8
              ? 'fog'
              : 'overcast';
    const sunny = sky === 'clear' || sky === 'mainly-clear';
    const high = mean + (range / 2) * (sunny ? 1.15 : wet ? 0.6 : 0.9);
    const low = mean - (range / 2) * (sunny ? 1.1 : 0.7);

    let precipitation: Precipitation | null = null;
    let amount = 0;
    if (wet) {
      amount = -Math.log(1 - random()) * (2 + 9 * climate.wetDays) * (mean > 20 ? 1.6 : 1);
      if (high <= 1) precipitation = random() < 0.3 ? 'snow-showers' : 'snow';
      else if (low <= -1 && high <= 4) precipitation = random() < 0.35 ? 'freezing-rain' : 'snow';
      else if (amount < 1.2) precipitation = 'drizzle';
      else if (high >= 24 && random() < 0.4) precipitation = 'thunderstorm';
      else precipitation = summer > 0.3 && random() < 0.5 ? 'showers' : 'rain';
      amount = Math.max(amount, 0.2);
    }
    const distance = Math.min(1, d / 10);
    const chance = wet
      ? clamp(55 + amount * 4 + between(random, 0, 30) - 25 * distance, 35, 100)
      : clamp(between(random, 0, 25) + (sky === 'overcast' ? 15 : 0) + 20 * distance * climate.wetDays, 0, 45);
    const windy = Math.exp(normal(random) * 0.35);
    const wind = climate.wind * windy * (wet ? 1.3 : 1) * (precipitation === 'thunderstorm' ? 1.3 : 1);
    const offset = utcOffsetMinutes(city.timezone, date);
    const { declination } = sunOn(date);
    const noonHeight = Math.sin(Math.max(0, 90 - Math.abs(city.latitude - declination / RAD)) * RAD);
    const cloud =
      { clear: 1, 'mainly-clear': 0.95, 'partly-cloudy': 0.8, overcast: 0.5, fog: 0.55 }[sky] * (wet ? 0.7 : 1);
    plans.push({
      date,
      high,
      low,
      sky,
      precipitation,
      amount,
      chance: Math.round(chance),
      humidity: clamp(climate.humidity + (wet ? 12 : sunny ? -8 : 2) + normal(random) * 5, 12, 100),
      wind,
      gust: wind * between(random, 1.4, 1.9),
      windDirection: (prevailing + normal(random) * 50 + 360) % 360,
      uvMax: 12.5 * noonHeight ** 2.5 * cloud,
      sun: sunriseSunset(city, date, offset),
      offset,
    });
    anomaly = 0.7 * anomaly + normal(random) * 2.2 * variability;
    wasWet = wet;
  }
  return plans;
}

/** The day's precipitation as it falls at a given temperature: snow below freezing, rain above. */
function kindAt(kind: Precipitation, temperature: number): Precipitation {
  const frozen = kind === 'snow' || kind === 'snow-showers';
  if (frozen && temperature > 2.5) return kind === 'snow' ? 'rain' : 'showers';
  if (!frozen && kind !== 'freezing-rain' && temperature <= 0) return kind === 'showers' ? 'snow-showers' : 'snow';
  return kind;
}

/** Where a day's temperature sits between its low (1 h before sunrise) and high (15:00). */
function diurnal(hour: number, sunrise: number): number {
  const coldest = sunrise - 1;
  if (hour >= coldest && hour <= 15) return 0.5 - 0.5 * Math.cos((Math.PI * (hour - coldest)) / (15 - coldest));
  const sinceWarmest = hour > 15 ? hour - 15 : hour + 24 - 15;
  return 0.5 + 0.5 * Math.cos((Math.PI * sinceWarmest) / (coldest + 24 - 15));
}

function hoursOf(city: SeedCity, plan: DayPlan, next: DayPlan, random: Random): HourlyForecast[] {
  const sunrise = plan.sun ? plan.sun.rise / 60 : 7;
  const noonHeight = Math.max(1e-6, sunHeight(city, plan.date, plan.offset, solarNoon(city, plan.date, plan.offset)));
  const hours: HourlyForecast[] = [];
  // The wet spell: thunderstorms in the afternoon, other precipitation at any time, spread over a few hours.
  const length =
    plan.precipitation === 'thunderstorm'
      ? 1 + Math.floor(random() * 4)
      : plan.precipitation === 'drizzle'
        ? 4 + Math.floor(random() * 9)
        : 2 + Math.floor(random() * 10);
  const start =
    plan.precipitation === 'thunderstorm' ? 13 + Math.floor(random() * 6) : Math.floor(random() * (24 - length));
  const weights = Array.from({ length }, () => 0.3 + random());
  const total = weights.reduce((a, b) => a + b, 0);
  for (let h = 0; h < 24; h++) {
    const share = diurnal(h, sunrise);
    // After noon the day cools towards the next day's low.
    const low = h > 15 ? next.low : plan.low;
    const temperature = low + (plan.high - low) * share + normal(random) * 0.3;
    const humidity = clamp(plan.humidity + (0.5 - share) * 30 + normal(random) * 3, 10, 100);
    const windSpeed = plan.wind * (0.45 + 0.45 * share + between(random, 0, 0.1));
    const raining = plan.precipitation !== null && h >= start && h < start + length;
    const precipitation = raining ? (plan.amount * weights[h - start]) / total : 0;
    const kind = raining && plan.precipitation ? kindAt(plan.precipitation, temperature) : null;
    const snowing = kind === 'snow' || kind === 'snow-showers';
    const sky: Sky = plan.sky === 'fog' && (h < 6 || h > 10) ? 'partly-cloudy' : plan.sky;
    const code = kind ? precipitationCode(kind, precipitation) : SKY_CODES[sky];
    const height = sunHeight(city, plan.date, plan.offset, h * 60 + 30);
    hours.push({
      time: `${plan.date}T${pad(h)}:00`,
      temperature: round(temperature),
      feelsLike: round(apparent(temperature, humidity, windSpeed)),
      humidity: Math.round(humidity),
      precipitationProbability: raining
        ? clamp(plan.chance + Math.round(normal(random) * 5), 40, 100)
        : Math.round(plan.chance * between(random, 0.1, 0.5)),
      precipitation: round(precipitation),
      snowfall: snowing ? round(precipitation * 0.7, 2) : 0,
      windSpeed: round(windSpeed),
      windGust: round(windSpeed * (plan.gust / plan.wind)),
      windDirection: Math.round((plan.windDirection + normal(random) * 15 + 360) % 360),
      condition: condition(code),
      uvIndex: round(height > 0 ? plan.uvMax * (height / Math.max(height, noonHeight)) ** 2.5 : 0, 2),
    });
  }
  return hours;
}

function worst(conditions: Condition[]): Condition {
  return conditions.reduce((a, b) => (severity(b) > severity(a) ? b : a));
}

function dailyOf(plan: DayPlan, hours: HourlyForecast[] | null): DailyForecast {
  const sunrise = plan.sun ? clockTime(plan.date, plan.sun.rise) : null;
  const sunset = plan.sun ? clockTime(plan.date, plan.sun.set) : null;
  if (hours) {
    const pick = (f: (h: HourlyForecast) => number) => hours.map(f);
    const feels = pick((h) => h.feelsLike);
    return {
      date: plan.date,
      temperatureMax: Math.max(...pick((h) => h.temperature)),
      temperatureMin: Math.min(...pick((h) => h.temperature)),
      feelsLikeMax: Math.max(...feels),
      feelsLikeMin: Math.min(...feels),
      precipitationProbability: Math.max(...pick((h) => h.precipitationProbability ?? 0)),
      precipitationSum: round(hours.reduce((a, h) => a + h.precipitation, 0)),
      snowfallSum: round(
        hours.reduce((a, h) => a + (h.snowfall ?? 0), 0),
        2,
      ),
      windSpeedMax: Math.max(...pick((h) => h.windSpeed)),
      windGustMax: Math.max(...pick((h) => h.windGust ?? 0)),
      windDirection: Math.round(plan.windDirection),
      humidityMean: Math.round(hours.reduce((a, h) => a + h.humidity, 0) / hours.length),
      condition: worst(hours.map((h) => h.condition)),
      sunrise,
      sunset,
      uvIndexMax: round(Math.max(...pick((h) => h.uvIndex ?? 0)), 2),
    };
  }
  const perHour = plan.amount / 6;
  const code = plan.precipitation ? precipitationCode(plan.precipitation, perHour) : SKY_CODES[plan.sky];
  const snowing = plan.precipitation === 'snow' || plan.precipitation === 'snow-showers';
  return {
    date: plan.date,
    temperatureMax: round(plan.high),
    temperatureMin: round(plan.low),
    feelsLikeMax: round(apparent(plan.high, plan.humidity - 10, plan.wind * 0.8)),
    feelsLikeMin: round(apparent(plan.low, plan.humidity + 10, plan.wind * 0.5)),
    precipitationProbability: plan.chance,
    precipitationSum: round(plan.amount),
    snowfallSum: snowing ? round(plan.amount * 0.7, 2) : 0,
    windSpeedMax: round(plan.wind),
    windGustMax: round(plan.gust),
    windDirection: Math.round(plan.windDirection),
    humidityMean: Math.round(plan.humidity),
    condition: condition(code),
    sunrise,
    sunset,
    uvIndexMax: round(plan.uvMax, 2),
  };
}

const toF = (c: number) => round((c * 9) / 5 + 32);
const toMph = (kmh: number) => round(kmh / 1.609344);
const toInches = (mm: number) => round(mm / 25.4, 3);
const cmToInches = (cm: number) => round(cm / 2.54, 2);

function imperialHour(h: HourlyForecast): HourlyForecast {
  return {
    ...h,
    temperature: toF(h.temperature),
    feelsLike: toF(h.feelsLike),
    precipitation: toInches(h.precipitation),
    snowfall: h.snowfall === null ? null : cmToInches(h.snowfall),
    windSpeed: toMph(h.windSpeed),
    windGust: h.windGust === null ? null : toMph(h.windGust),
  };
}

function imperialDay(d: DailyForecast): DailyForecast {
  const maybe = (n: number | null, f: (n: number) => number) => (n === null ? null : f(n));
  return {
    ...d,
    temperatureMax: toF(d.temperatureMax),
    temperatureMin: toF(d.temperatureMin),
    feelsLikeMax: maybe(d.feelsLikeMax, toF),
    feelsLikeMin: maybe(d.feelsLikeMin, toF),
    precipitationSum: toInches(d.precipitationSum),
    snowfallSum: maybe(d.snowfallSum, cmToInches),
    windSpeedMax: toMph(d.windSpeedMax),
    windGustMax: maybe(d.windGustMax, toMph),
  };
}

export interface ReportRequest {
  /** The city's local date and time of the question. */
  today: string;
  hour: number;
  minute: number;
  units: UnitSystem;
}

/** A 16-day report for the city as a provider would give it at that local time. */
export function simulateReport(city: SeedCity, request: ReportRequest, random: Random): WeatherReport {
  const plans = planDays(city, request.today, random);
  const hourly = plans.slice(0, HOURLY_DAYS).flatMap((plan, d) => hoursOf(city, plan, plans[d + 1], random));
  const daily = plans.map((plan, d) => dailyOf(plan, d < HOURLY_DAYS ? hourly.slice(d * 24, d * 24 + 24) : null));
  const hour = hourly[request.hour];
  const today = plans[0];
  const minute = request.hour * 60 + request.minute;
  const current: CurrentConditions = {
    time: `${request.today}T${pad(request.hour)}:${pad(request.minute)}`,
    temperature: round(hour.temperature + normal(random) * 0.2),
    feelsLike: hour.feelsLike,
    humidity: hour.humidity,
    precipitation: hour.precipitation,
    windSpeed: hour.windSpeed,
    windGust: hour.windGust,
    windDirection: hour.windDirection,
    condition: hour.condition,
    uvIndex: hour.uvIndex,
    isDay: today.sun
      ? minute >= today.sun.rise && minute < today.sun.set
      : sunHeight(city, today.date, today.offset, minute) > 0,
  };
  const imperial = request.units === 'imperial';
  const utc = Date.parse(`${current.time}:00Z`) - today.offset * 60_000;
  return {
    provider: 'open-meteo',
    place: {
      name: city.name,
      region: city.region,
      country: countryOf(city),
      countryCode: city.countryCode,
      latitude: city.latitude,
      longitude: city.longitude,
      timezone: city.timezone,
      utcOffsetSeconds: today.offset * 60,
    },
    units: request.units,
    current: imperial
      ? {
          ...current,
          temperature: toF(current.temperature),
          feelsLike: toF(current.feelsLike),
          precipitation: toInches(current.precipitation),
          windSpeed: toMph(current.windSpeed),
          windGust: current.windGust === null ? null : toMph(current.windGust),
        }
      : current,
    hourly: imperial ? hourly.map(imperialHour) : hourly,
    daily: imperial ? daily.map(imperialDay) : daily,
    fetchedAt: new Date(utc).toISOString(),
  };
}
