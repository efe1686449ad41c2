/**
 * A local Open-Meteo: the geocoding search and the forecast API on 127.0.0.1, in the documented
 * JSON format (https://open-meteo.com/en/docs, /en/docs/geocoding-api). Places come from recorded
 * geocoding results; the weather is synthetic but deterministic (seeded by the coordinates and the
 * hour), so two runs, and both emulators, see the same sky. Also home of the plumbing both weather
 * emulators share: request log, failure injection, shutdown.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';

// ---------------------------------------------------------------------------------------------
// Shared emulator plumbing

/**
 * What a test can make the next requests do: answer an HTTP error, never answer, send half a JSON
 * body, a body with parts missing, an empty object (`{}`, status 200), or, for the geocoder, a
 * well-formed answer that finds nothing (`{"generationtime_ms": …}`, what Open-Meteo says for an
 * unknown name).
 */
export type EmulatorFailure = 'http-500' | 'http-429' | 'hang' | 'malformed' | 'partial' | 'empty' | 'no-results';

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
}

export interface EmulatorControl {
  /** Origin with a trailing slash: http://127.0.0.1:PORT/ */
  url: string;
  requests: RecordedRequest[];
  /** Requests so far, or those whose path starts with `path`. */
  requestCount(path?: string): number;
  /** The next `count` requests (to paths starting with `path`, if given) fail this way. */
  failNext(mode: EmulatorFailure, count?: number, path?: string): void;
  /** Forgets the failures still queued: the service answers normally again. */
  clearFailures(): void;
  /** Stops listening (new connections are refused) and drops open ones; `restart` listens again on the same port. */
  stop(): Promise<void>;
  restart(): Promise<void>;
  close(): Promise<void>;
}

export interface Answer {
  status: number;
  body: unknown;
}

export interface EmulatorBehaviour {
  answer(path: string, query: URLSearchParams): Answer;
  /** The service's own error body for a status (5xx, 429). */
  errorBody(status: number): unknown;
  /** A well-formed body with parts missing, as a broken upstream might send. */
  partial(path: string, body: unknown): unknown;
}

export async function serveEmulator(behaviour: EmulatorBehaviour): Promise<EmulatorControl> {
  const requests: RecordedRequest[] = [];
  const failures: { mode: EmulatorFailure; path: string }[] = [];

  const send = (response: ServerResponse, status: number, body: unknown) => {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    response.writeHead(status, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(text),
    });
    response.end(text);
  };

  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const url = new URL(request.url ?? '/', 'http://emulator');
    requests.push({ method: request.method ?? 'GET', path: url.pathname, query: Object.fromEntries(url.searchParams) });
    const failureIndex = failures.findIndex((failure) => url.pathname.startsWith(failure.path));
    const failure = failureIndex >= 0 ? failures.splice(failureIndex, 1)[0].mode : null;
    if (failure === 'hang') return; // left open until close()
    if (failure === 'http-500') return send(response, 500, behaviour.errorBody(500));
    if (failure === 'http-429') return send(response, 429, behaviour.errorBody(429));
    if (failure === 'empty') return send(response, 200, {});
    if (failure === 'no-results') return send(response, 200, { generationtime_ms: 0.5 });
    const { status, body } = behaviour.answer(url.pathname, url.searchParams);
    if (failure === 'malformed') {
      const text = JSON.stringify(body);
      return send(response, status, text.slice(0, Math.floor(text.length / 2)));
    }
    if (failure === 'partial') return send(response, status, behaviour.partial(url.pathname, body));
    send(response, status, body);
  });
  const listen = (at: number) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(at, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  const stop = () =>
    new Promise<void>((resolve) => {
      if (!server.listening) return resolve();
      server.close(() => resolve());
      server.closeAllConnections();
    });
  await listen(0);
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/`,
    requests,
    requestCount: (path) => requests.filter((request) => path === undefined || request.path.startsWith(path)).length,
    failNext(mode, count = 1, path = '/') {
      for (let i = 0; i < count; i++) failures.push({ mode, path });
    },
    clearFailures: () => void failures.splice(0),
    stop,
    restart: () => (server.listening ? Promise.resolve() : listen(port)),
    close: stop,
  };
}

// ---------------------------------------------------------------------------------------------
// Synthetic weather, metric and in Open-Meteo's terms (WMO codes, cm of snow)

export interface SyntheticHour {
  temperature: number;
  apparentTemperature: number;
  humidity: number;
  /** mm in the hour up to this time. */
  precipitation: number;
  /** cm in the hour up to this time. */
  snowfall: number;
  precipitationProbability: number;
  weatherCode: number;
  cloudCover: number;
  windSpeed: number;
  windGusts: number;
  windDirection: number;
  uvIndex: number;
  pressure: number;
  isDay: boolean;
}

const HOUR = 3_600_000;
const DAY = 86_400_000;

/** A uniform number in [0, 1) from integers: the emulators' only source of "randomness". */
function noise(...parts: number[]): number {
  let h = 0x811c9dc5;
  for (const part of parts) {
    h = Math.imul(h ^ (part | 0), 0x01000193);
    h ^= h >>> 15;
    h = Math.imul(h, 0x2c1b3c6d);
    h ^= h >>> 12;
  }
  return (h >>> 0) / 2 ** 32;
}

function dayOfYear(utcMs: number): number {
  const date = new Date(utcMs);
  return Math.floor((utcMs - Date.UTC(date.getUTCFullYear(), 0, 1)) / DAY) + 1;
}

/** Sunrise and sunset as UTC milliseconds for the UTC day containing `utcMs` (NOAA's simple model). */
export function sunTimes(latitude: number, longitude: number, utcMs: number): { sunrise: number; sunset: number } {
  const midnight = Math.floor(utcMs / DAY) * DAY;
  const declination = 23.44 * Math.sin(((2 * Math.PI) / 365) * (284 + dayOfYear(utcMs)));
  const rad = Math.PI / 180;
  const cosHourAngle = -Math.tan(latitude * rad) * Math.tan(declination * rad);
  const hourAngle = Math.acos(Math.min(1, Math.max(-1, cosHourAngle))) / rad;
  const noon = midnight + (12 - longitude / 15) * HOUR;
  return { sunrise: noon - (hourAngle / 15) * HOUR, sunset: noon + (hourAngle / 15) * HOUR };
}

const round = (value: number, digits: number) => Math.round(value * 10 ** digits) / 10 ** digits;

/** The weather of the hour starting at `utcMs` (floored to the hour) at a place. */
export function syntheticHour(latitude: number, longitude: number, utcMs: number): SyntheticHour {
  const at = Math.floor(utcMs / HOUR) * HOUR;
  const seed = [Math.round(latitude * 100), Math.round(longitude * 100)];
  const day = Math.floor(at / DAY);
  const hourIndex = at / HOUR;
  const wetness = noise(...seed, day, 1) ** 2;
  const windiness = noise(...seed, day, 2);
  const season = -Math.cos(((dayOfYear(at) - 15) / 365) * 2 * Math.PI) * Math.sign(latitude || 1);
  const solarHour = ((((at % DAY) / HOUR + longitude / 15) % 24) + 24) % 24;
  const diurnal = Math.sin(((solarHour - 9) / 24) * 2 * Math.PI);
  const temperature = round(
    30 -
      0.4 * Math.abs(latitude) +
      0.12 * Math.abs(latitude) * season +
      5 * diurnal +
      6 * (noise(...seed, day, 3) - 0.5) -
      3 * wetness,
    1,
  );
  const { sunrise, sunset } = sunTimes(latitude, longitude, at);
  const isDay = at >= sunrise && at < sunset;
  const precipitationProbability = Math.round(100 * Math.min(1, wetness * (0.8 + 0.4 * noise(...seed, hourIndex, 4))));
  const raining = noise(...seed, hourIndex, 5) * 100 < precipitationProbability * 0.4;
  const precipitation = raining ? round(0.1 + 8 * noise(...seed, hourIndex, 6) ** 3 * (0.5 + wetness), 1) : 0;
  const freezing = temperature <= 0.5;
  const snowfall = freezing ? round(precipitation * 0.7, 2) : 0;
  const cloudCover = Math.round(Math.min(100, 100 * wetness + 60 * noise(...seed, hourIndex, 7)));
  const humidity = Math.round(Math.min(100, 45 + 40 * wetness - 12 * diurnal + 10 * noise(...seed, hourIndex, 8)));
  const windSpeed = round(4 + 30 * windiness + 4 * diurnal + 3 * noise(...seed, hourIndex, 9), 1);
  const windGusts = round(windSpeed * (1.5 + 0.4 * noise(...seed, hourIndex, 10)), 1);
  const windDirection = Math.round(360 * noise(...seed, day, 11) + 20 * diurnal + 360) % 360;

  let weatherCode: number;
  if (precipitation > 0 && freezing) weatherCode = precipitation < 1 ? 71 : precipitation < 3 ? 73 : 75;
  else if (precipitation > 0 && temperature > 20 && precipitation >= 4) weatherCode = 95;
  else if (precipitation > 0)
    weatherCode = precipitation < 0.3 ? 51 : precipitation < 2.5 ? 61 : precipitation < 7.6 ? 63 : 65;
  else if (humidity >= 97) weatherCode = 45;
  else weatherCode = cloudCover < 20 ? 0 : cloudCover < 45 ? 1 : cloudCover < 75 ? 2 : 3;

  const uvPeak = Math.max(0, (11 - Math.abs(latitude) / 7) * (0.7 + 0.3 * season));
  const uvIndex = isDay
    ? round(Math.max(0, uvPeak * Math.sin(((solarHour - 6) / 12) * Math.PI)) * (1 - cloudCover / 150), 2)
    : 0;
  const apparentTemperature = round(
    temperature - (temperature < 12 ? windSpeed / 8 : 0) + (temperature > 24 ? (humidity - 40) / 10 : 0),
    1,
  );
  const pressure = round(1013 + 12 * (0.5 - wetness) + 2 * diurnal, 1);
  return {
    temperature,
    apparentTemperature,
    humidity,
    precipitation,
    snowfall,
    precipitationProbability,
    weatherCode,
    cloudCover,
    windSpeed,
    windGusts,
    windDirection,
    uvIndex,
    pressure,
    isDay,
  };
}

/** Offset of an IANA zone at an instant, in seconds (the emulator's own, independent of the bot's). */
const wallClockFormats = new Map<string, Intl.DateTimeFormat>();

export function offsetOf(timeZone: string, utcMs: number): number {
  let format = wallClockFormats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    wallClockFormats.set(timeZone, format);
  }
  const parts = format.formatToParts(new Date(utcMs));
  const get = (type: string) => Number(parts.find((part) => part.type === type)?.value);
  const asUtc = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return Math.round((asUtc - Math.floor(utcMs / 1000) * 1000) / 1000);
}

function normalizeName(text: string): string {
  return text.normalize('NFD').replace(/\p{M}/gu, '').trim().toLowerCase();
}

// ---------------------------------------------------------------------------------------------
// Open-Meteo

interface GeocodingResult {
  id: number;
  name: string;
  latitude: number;
  longitude: number;
  timezone: string;
  [field: string]: unknown;
}

const GEOCODING: GeocodingResult[] = JSON.parse(
  readFileSync(new URL('../fixtures/openmeteo/geocoding.json', import.meta.url), 'utf8'),
).results;

/** Every place the emulator knows, as Open-Meteo's geocoder returns them. */
export const OPEN_METEO_PLACES: readonly GeocodingResult[] = GEOCODING;

type UnitKind =
  | 'temperature'
  | 'speed'
  | 'precipitation'
  | 'snow'
  | 'percent'
  | 'degrees'
  | 'code'
  | 'none'
  | 'pressure'
  | 'iso8601'
  | 'seconds';

/** Hourly (and current) variables this emulator generates, with their unit kind. */
const HOURLY_VARIABLES: Record<string, [UnitKind, (hour: SyntheticHour) => number]> = {
  temperature_2m: ['temperature', (h) => h.temperature],
  apparent_temperature: ['temperature', (h) => h.apparentTemperature],
  relative_humidity_2m: ['percent', (h) => h.humidity],
  precipitation_probability: ['percent', (h) => h.precipitationProbability],
  precipitation: ['precipitation', (h) => h.precipitation],
  rain: ['precipitation', (h) => (h.snowfall > 0 ? 0 : h.precipitation)],
  snowfall: ['snow', (h) => h.snowfall],
  weather_code: ['code', (h) => h.weatherCode],
  cloud_cover: ['percent', (h) => h.cloudCover],
  pressure_msl: ['pressure', (h) => h.pressure],
  wind_speed_10m: ['speed', (h) => h.windSpeed],
  wind_gusts_10m: ['speed', (h) => h.windGusts],
  wind_direction_10m: ['degrees', (h) => h.windDirection],
  uv_index: ['none', (h) => h.uvIndex],
  is_day: ['none', (h) => (h.isDay ? 1 : 0)],
};

type DayAggregate = (
  hours: SyntheticHour[],
  sun: { sunrise: string; sunset: string; daylight: number },
) => number | string;
const max = (values: number[]) => Math.max(...values);
const min = (values: number[]) => Math.min(...values);
const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

const DAILY_VARIABLES: Record<string, [UnitKind, DayAggregate]> = {
  weather_code: ['code', (hs) => max(hs.map((h) => h.weatherCode))],
  temperature_2m_max: ['temperature', (hs) => max(hs.map((h) => h.temperature))],
  temperature_2m_min: ['temperature', (hs) => min(hs.map((h) => h.temperature))],
  apparent_temperature_max: ['temperature', (hs) => max(hs.map((h) => h.apparentTemperature))],
  apparent_temperature_min: ['temperature', (hs) => min(hs.map((h) => h.apparentTemperature))],
  sunrise: ['iso8601', (_, sun) => sun.sunrise],
  sunset: ['iso8601', (_, sun) => sun.sunset],
  daylight_duration: ['seconds', (_, sun) => sun.daylight],
  uv_index_max: ['none', (hs) => max(hs.map((h) => h.uvIndex))],
  precipitation_sum: ['precipitation', (hs) => sum(hs.map((h) => h.precipitation))],
  snowfall_sum: ['snow', (hs) => sum(hs.map((h) => h.snowfall))],
  precipitation_probability_max: ['percent', (hs) => max(hs.map((h) => h.precipitationProbability))],
  wind_speed_10m_max: ['speed', (hs) => max(hs.map((h) => h.windSpeed))],
  wind_gusts_10m_max: ['speed', (hs) => max(hs.map((h) => h.windGusts))],
  wind_direction_10m_dominant: [
    'degrees',
    (hs) => {
      const x = sum(hs.map((h) => h.windSpeed * Math.sin((h.windDirection * Math.PI) / 180)));
      const y = sum(hs.map((h) => h.windSpeed * Math.cos((h.windDirection * Math.PI) / 180)));
      return (Math.round((Math.atan2(x, y) * 180) / Math.PI) + 360) % 360;
    },
  ],
};

const TEMPERATURE_UNITS: Record<string, [string, (c: number) => number]> = {
  celsius: ['°C', (c) => round(c, 1)],
  fahrenheit: ['°F', (c) => round((c * 9) / 5 + 32, 1)],
};
const SPEED_UNITS: Record<string, [string, (kmh: number) => number]> = {
  kmh: ['km/h', (v) => round(v, 1)],
  ms: ['m/s', (v) => round(v / 3.6, 1)],
  mph: ['mp/h', (v) => round(v / 1.609344, 1)],
  kn: ['kn', (v) => round(v / 1.852, 1)],
};
const PRECIPITATION_UNITS: Record<
  string,
  { precipitation: [string, (mm: number) => number]; snow: [string, (cm: number) => number] }
> = {
  mm: { precipitation: ['mm', (v) => round(v, 2)], snow: ['cm', (v) => round(v, 2)] },
  inch: { precipitation: ['inch', (v) => round(v / 25.4, 3)], snow: ['inch', (v) => round(v / 2.54, 3)] },
};

class BadRequest extends Error {}

function wallClock(utcMs: number, offsetSeconds: number): string {
  return new Date(utcMs + offsetSeconds * 1000).toISOString().slice(0, 16);
}

function variablesOf(query: URLSearchParams, key: string, known: Record<string, unknown>): string[] {
  const raw = query.get(key);
  if (!raw) return [];
  const names = raw
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  for (const name of names) {
    if (!(name in known))
      throw new BadRequest(`Cannot initialize ForecastVariable from invalid String value ${name} for key ${key}`);
  }
  return names;
}

function coordinate(query: URLSearchParams, key: 'latitude' | 'longitude', limit: number): number {
  const raw = query.get(key);
  if (raw === null) throw new BadRequest(`Parameter '${key}' is required`);
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value))
    throw new BadRequest(`Value of type 'Float' required for key '${key}'.`);
  const name = key[0].toUpperCase() + key.slice(1);
  if (Math.abs(value) > limit)
    throw new BadRequest(`${name} must be in range of -${limit} to ${limit}°. Given: ${value.toFixed(1)}.`);
  return value;
}

function choice<T>(query: URLSearchParams, key: string, table: Record<string, T>, fallback: string): T {
  const raw = query.get(key) ?? fallback;
  if (!(raw in table))
    throw new BadRequest(
      `Cannot initialize ${key === 'temperature_unit' ? 'TemperatureUnit' : key === 'wind_speed_unit' ? 'WindspeedUnit' : 'PrecipitationUnit'} from invalid String value ${raw} for key ${key}`,
    );
  return table[raw];
}

export interface OpenMeteoEmulatorOptions {
  /** The emulator's clock (ms); fixed in tests that need a known local date. */
  now?: () => number;
}

export interface OpenMeteoEmulator extends EmulatorControl {
  geocodingUrl: string;
  forecastUrl: string;
}

/** Starts the emulator; point OpenMeteoProvider at `geocodingUrl` and `forecastUrl`. */
export async function startOpenMeteoEmulator(options: OpenMeteoEmulatorOptions = {}): Promise<OpenMeteoEmulator> {
  const now = options.now ?? Date.now;

  const search = (query: URLSearchParams): Answer => {
    const name = query.get('name');
    if (name === null) throw new BadRequest("Parameter 'name' is required");
    const format = query.get('format') ?? 'json';
    if (format !== 'json' && format !== 'protobuf')
      throw new BadRequest(`Cannot initialize Format from invalid String value ${format} for key format`);
    const count = Number(query.get('count') ?? '10');
    if (!Number.isInteger(count) || count < 1 || count > 100)
      throw new BadRequest('Parameter count must be between 1 and 100.');
    const wanted = normalizeName(name);
    // Under three characters only exact names match, as the real geocoder does.
    const results =
      wanted.length < 2
        ? []
        : GEOCODING.filter((place) => {
            const candidate = normalizeName(place.name);
            return candidate === wanted || (wanted.length >= 3 && candidate.startsWith(wanted));
          });
    const generationtime_ms = 0.6 + noise(results.length) * 0.5;
    return {
      status: 200,
      body: results.length ? { results: results.slice(0, count), generationtime_ms } : { generationtime_ms },
    };
  };

  const forecast = (query: URLSearchParams): Answer => {
    const latitude = coordinate(query, 'latitude', 90);
    const longitude = coordinate(query, 'longitude', 180);
    const [temperatureLabel, temperature] = choice(query, 'temperature_unit', TEMPERATURE_UNITS, 'celsius');
    const [speedLabel, speed] = choice(query, 'wind_speed_unit', SPEED_UNITS, 'kmh');
    const precipitationUnits = choice(query, 'precipitation_unit', PRECIPITATION_UNITS, 'mm');
    const days = Number(query.get('forecast_days') ?? '7');
    if (!Number.isInteger(days) || days < 0 || days > 16)
      throw new BadRequest('Forecast days is invalid. Allowed range 0 to 16.');
    const current = variablesOf(query, 'current', HOURLY_VARIABLES);
    const hourly = variablesOf(query, 'hourly', HOURLY_VARIABLES);
    const daily = variablesOf(query, 'daily', DAILY_VARIABLES);

    const zoneParam = query.get('timezone') ?? 'GMT';
    let timezone: string;
    if (zoneParam === 'auto') {
      const nearest = GEOCODING.map((place) => ({
        place,
        distance: Math.hypot(place.latitude - latitude, place.longitude - longitude),
      })).sort((a, b) => a.distance - b.distance)[0];
      timezone = nearest && nearest.distance < 0.5 ? nearest.place.timezone : 'GMT';
    } else {
      try {
        new Intl.DateTimeFormat('en-US', { timeZone: zoneParam });
      } catch {
        throw new BadRequest('Invalid timezone');
      }
      timezone = zoneParam;
    }

    const instant = now();
    const offset = offsetOf(timezone, instant);
    const localMidnight = Math.floor((instant + offset * 1000) / DAY) * DAY - offset * 1000;
    const convert = (kind: UnitKind, value: number): number => {
      switch (kind) {
        case 'temperature':
          return temperature(value);
        case 'speed':
          return speed(value);
        case 'precipitation':
          return precipitationUnits.precipitation[1](value);
        case 'snow':
          return precipitationUnits.snow[1](value);
        default:
          return value;
      }
    };
    const label = (kind: UnitKind): string =>
      ({
        temperature: temperatureLabel,
        speed: speedLabel,
        precipitation: precipitationUnits.precipitation[0],
        snow: precipitationUnits.snow[0],
        percent: '%',
        degrees: '°',
        code: 'wmo code',
        none: '',
        pressure: 'hPa',
        iso8601: 'iso8601',
        seconds: 's',
      })[kind];

    const body: Record<string, unknown> = {
      latitude: round(latitude, 2),
      longitude: round(longitude, 2),
      generationtime_ms: 0.05 + noise(Math.round(latitude)) * 0.1,
      utc_offset_seconds: offset,
      timezone,
      timezone_abbreviation:
        new Intl.DateTimeFormat('en-US', { timeZone: timezone, timeZoneName: 'short' })
          .formatToParts(new Date(instant))
          .find((p) => p.type === 'timeZoneName')?.value ?? 'GMT',
      elevation: Math.round(noise(Math.round(latitude * 100), Math.round(longitude * 100)) * 300),
    };

    if (current.length) {
      const quarter = Math.floor(instant / 900_000) * 900_000;
      const hour = syntheticHour(latitude, longitude, quarter);
      body.current_units = {
        time: 'iso8601',
        interval: 'seconds',
        ...Object.fromEntries(current.map((v) => [v, label(HOURLY_VARIABLES[v][0])])),
      };
      body.current = {
        time: wallClock(quarter, offsetOf(timezone, quarter)),
        interval: 900,
        ...Object.fromEntries(current.map((v) => [v, convert(HOURLY_VARIABLES[v][0], HOURLY_VARIABLES[v][1](hour))])),
      };
    }

    const hourStarts = Array.from({ length: days * 24 }, (_, i) => localMidnight + i * HOUR);
    const hours = hourStarts.map((start) => syntheticHour(latitude, longitude, start));
    if (hourly.length) {
      body.hourly_units = {
        time: 'iso8601',
        ...Object.fromEntries(hourly.map((v) => [v, label(HOURLY_VARIABLES[v][0])])),
      };
      body.hourly = {
        time: hourStarts.map((start) => wallClock(start, offsetOf(timezone, start))),
        ...Object.fromEntries(
          hourly.map((v) => [v, hours.map((hour) => convert(HOURLY_VARIABLES[v][0], HOURLY_VARIABLES[v][1](hour)))]),
        ),
      };
    }
    if (daily.length) {
      const dayStarts = Array.from({ length: days }, (_, d) => localMidnight + d * DAY);
      body.daily_units = {
        time: 'iso8601',
        ...Object.fromEntries(daily.map((v) => [v, label(DAILY_VARIABLES[v][0])])),
      };
      body.daily = {
        time: dayStarts.map((start) => wallClock(start, offset).slice(0, 10)),
        ...Object.fromEntries(
          daily.map((v) => [
            v,
            dayStarts.map((start, d) => {
              const noon = start + 12 * HOUR;
              const { sunrise, sunset } = sunTimes(latitude, longitude, noon);
              const sun = {
                sunrise: wallClock(sunrise, offsetOf(timezone, sunrise)),
                sunset: wallClock(sunset, offsetOf(timezone, sunset)),
                daylight: Math.round((sunset - sunrise) / 1000),
              };
              const value = DAILY_VARIABLES[v][1](hours.slice(d * 24, d * 24 + 24), sun);
              return typeof value === 'number' ? convert(DAILY_VARIABLES[v][0], value) : value;
            }),
          ]),
        ),
      };
    }
    return { status: 200, body };
  };

  const control = await serveEmulator({
    answer(path, query) {
      try {
        if (path === '/v1/search') return search(query);
        if (path === '/v1/forecast') return forecast(query);
        return { status: 404, body: { error: true, reason: 'Not Found' } };
      } catch (error) {
        if (error instanceof BadRequest) return { status: 400, body: { error: true, reason: error.message } };
        throw error;
      }
    },
    errorBody: (status) => ({
      error: true,
      reason:
        status === 429
          ? 'Minutely API request limit exceeded. Please try again in one minute.'
          : 'Internal Server Error',
    }),
    partial(path, body) {
      const copy = structuredClone(body) as Record<string, any>;
      if (path === '/v1/search') {
        for (const result of copy.results ?? []) delete result.latitude;
      } else {
        delete copy.current;
        if (copy.hourly) copy.hourly.temperature_2m = copy.hourly.temperature_2m.slice(0, 24);
      }
      return copy;
    },
  });
  return { ...control, geocodingUrl: `${control.url}v1/search`, forecastUrl: `${control.url}v1/forecast` };
}
