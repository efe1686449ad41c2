import type {
  CurrentConditions,
  DailyForecast,
  HourlyForecast,
  Place,
  UnitSystem,
  WeatherReport,
} from '../core/domain';
import { conditionFromWmo } from './conditions';
import { getJson } from './http';
import { PayloadReader, type JsonObject } from './payload';
import type { WeatherProvider } from './provider';
import { zoneOffsetSeconds } from './time';

export const OPEN_METEO_GEOCODING_URL = 'https://geocoding-api.open-meteo.com/v1/search';
export const OPEN_METEO_FORECAST_URL = 'https://api.open-meteo.com/v1/forecast';

export interface OpenMeteoOptions {
  /** Search endpoint; a bare origin (self-hosted instance) gets the standard path. */
  geocodingUrl?: string;
  forecastUrl?: string;
}

const CURRENT = [
  'temperature_2m',
  'relative_humidity_2m',
  'apparent_temperature',
  'is_day',
  'precipitation',
  'weather_code',
  'wind_speed_10m',
  'wind_direction_10m',
  'wind_gusts_10m',
  'uv_index',
] as const;
const HOURLY = [
  'temperature_2m',
  'relative_humidity_2m',
  'apparent_temperature',
  'precipitation_probability',
  'precipitation',
  'snowfall',
  'weather_code',
  'wind_speed_10m',
  'wind_direction_10m',
  'wind_gusts_10m',
  'uv_index',
] as const;
const DAILY = [
  'weather_code',
  'temperature_2m_max',
  'temperature_2m_min',
  'apparent_temperature_max',
  'apparent_temperature_min',
  'sunrise',
  'sunset',
  'uv_index_max',
  'precipitation_sum',
  'snowfall_sum',
  'precipitation_probability_max',
  'wind_speed_10m_max',
  'wind_gusts_10m_max',
  'wind_direction_10m_dominant',
] as const;

const REQUEST_UNITS: Record<
  UnitSystem,
  { temperature_unit: string; wind_speed_unit: string; precipitation_unit: string }
> = {
  metric: { temperature_unit: 'celsius', wind_speed_unit: 'kmh', precipitation_unit: 'mm' },
  imperial: { temperature_unit: 'fahrenheit', wind_speed_unit: 'mph', precipitation_unit: 'inch' },
};

/** The unit labels Open-Meteo writes in `hourly_units` for each request above ("mp/h" is its spelling). */
const RESPONSE_UNITS: Record<UnitSystem, Record<string, string>> = {
  metric: { temperature_2m: '°C', wind_speed_10m: 'km/h', precipitation: 'mm', snowfall: 'cm' },
  imperial: { temperature_2m: '°F', wind_speed_10m: 'mp/h', precipitation: 'inch', snowfall: 'inch' },
};

type Columns<K extends string> = { time: string[] } & Record<K, unknown[]>;

function endpoint(url: string, standardPath: string): URL {
  const parsed = new URL(url);
  if (parsed.pathname === '/' || parsed.pathname === '') parsed.pathname = standardPath;
  return parsed;
}

/** Open-Meteo (https://open-meteo.com): free, keyless, self-hostable. */
export class OpenMeteoProvider implements WeatherProvider {
  readonly name = 'open-meteo' as const;
  private readonly geocodingUrl: string;
  private readonly forecastUrl: string;
  private readonly read = new PayloadReader('Open-Meteo');

  constructor(options: OpenMeteoOptions = {}) {
    this.geocodingUrl = endpoint(options.geocodingUrl ?? OPEN_METEO_GEOCODING_URL, '/v1/search').href;
    this.forecastUrl = endpoint(options.forecastUrl ?? OPEN_METEO_FORECAST_URL, '/v1/forecast').href;
  }

  async geocode(name: string, signal: AbortSignal): Promise<Place[]> {
    const url = new URL(this.geocodingUrl);
    url.search = new URLSearchParams({ name, count: '10', language: 'en', format: 'json' }).toString();
    const body = this.read.object(await getJson('Open-Meteo geocoding', url.href, signal), 'geocoding body');
    // No match is a body without `results` that is still an answer (it says how long it took); `{}` is no answer.
    if (body.results === undefined) {
      this.read.number(body.generationtime_ms, 'generationtime_ms');
      return [];
    }
    const now = new Date();
    return this.read
      .array(body.results, 'results')
      .map((value, i) => this.place(this.read.object(value, `results[${i}]`), i, now));
  }

  private place(result: JsonObject, i: number, now: Date): Place {
    const what = (field: string) => `results[${i}].${field}`;
    const optional = (field: string) =>
      typeof result[field] === 'string' && result[field] ? (result[field] as string) : null;
    const timezone = optional('timezone') ?? 'UTC';
    return {
      name: this.read.string(result.name, what('name')),
      region: optional('admin1'),
      country: optional('country'),
      countryCode: optional('country_code')?.toUpperCase() ?? null,
      latitude: this.read.number(result.latitude, what('latitude')),
      longitude: this.read.number(result.longitude, what('longitude')),
      timezone,
      utcOffsetSeconds: zoneOffsetSeconds(timezone, now) ?? 0,
    };
  }

  async forecast(place: Place, units: UnitSystem, signal: AbortSignal): Promise<WeatherReport> {
    const url = new URL(this.forecastUrl);
    url.search = new URLSearchParams({
      latitude: String(place.latitude),
      longitude: String(place.longitude),
      timezone: 'auto',
      current: CURRENT.join(','),
      hourly: HOURLY.join(','),
      daily: DAILY.join(','),
      forecast_days: '16',
      ...REQUEST_UNITS[units],
    }).toString();
    const fetchedAt = new Date().toISOString();
    const body = this.read.object(await getJson('Open-Meteo forecast', url.href, signal), 'forecast body');
    return this.report(body, place, units, fetchedAt);
  }

  private report(body: JsonObject, place: Place, units: UnitSystem, fetchedAt: string): WeatherReport {
    this.checkUnits(this.read.object(body.hourly_units, 'hourly_units'), units);
    const hourly = this.hourly(this.columns(body.hourly, 'hourly', HOURLY));
    const daily = this.daily(this.columns(body.daily, 'daily', DAILY), hourly);
    if (hourly.length === 0) throw this.read.fail('no hourly values');
    if (daily.length === 0) throw this.read.fail('no daily values');
    return {
      provider: this.name,
      place: {
        ...place,
        timezone: this.read.string(body.timezone, 'timezone'),
        utcOffsetSeconds: this.read.number(body.utc_offset_seconds, 'utc_offset_seconds'),
      },
      units,
      current: this.current(this.read.object(body.current, 'current')),
      hourly,
      daily,
      fetchedAt,
    };
  }

  private checkUnits(labels: JsonObject, units: UnitSystem): void {
    for (const [variable, expected] of Object.entries(RESPONSE_UNITS[units])) {
      if (labels[variable] !== expected)
        throw this.read.fail(`hourly_units.${variable} is ${String(labels[variable])}, expected ${expected}`);
    }
  }

  /** Each requested variable as an array as long as `time`. */
  private columns<K extends string>(value: unknown, section: string, variables: readonly K[]): Columns<K> {
    const table = this.read.object(value, section);
    const time = this.read
      .array(table.time, `${section}.time`)
      .map((t, i) => this.read.string(t, `${section}.time[${i}]`));
    const columns: Record<string, unknown[]> = {};
    for (const variable of variables) {
      const column = this.read.array(table[variable], `${section}.${variable}`);
      if (column.length !== time.length)
        throw this.read.fail(`${section}.${variable} has ${column.length} values for ${time.length} times`);
      columns[variable] = column;
    }
    return { time, ...(columns as Record<K, unknown[]>) };
  }

  private condition(code: unknown, what: string) {
    const condition = conditionFromWmo(this.read.number(code, what));
    if (!condition) throw this.read.fail(`${what} ${String(code)} is not a WMO code`);
    return condition;
  }

  private current(current: JsonObject): CurrentConditions {
    const read = this.read;
    return {
      time: read.string(current.time, 'current.time'),
      temperature: read.number(current.temperature_2m, 'current.temperature_2m'),
      feelsLike: read.number(current.apparent_temperature, 'current.apparent_temperature'),
      humidity: read.number(current.relative_humidity_2m, 'current.relative_humidity_2m'),
      precipitation: read.number(current.precipitation, 'current.precipitation'),
      windSpeed: read.number(current.wind_speed_10m, 'current.wind_speed_10m'),
      windGust: read.numberOrNull(current.wind_gusts_10m, 'current.wind_gusts_10m'),
      windDirection: read.number(current.wind_direction_10m, 'current.wind_direction_10m'),
      condition: this.condition(current.weather_code, 'current.weather_code'),
      uvIndex: read.numberOrNull(current.uv_index, 'current.uv_index'),
      isDay: read.number(current.is_day, 'current.is_day') === 1,
    };
  }

  /** Hours past the models' horizon come back as nulls; those hours are left out. */
  private hourly(table: Columns<(typeof HOURLY)[number]>): HourlyForecast[] {
    const read = this.read;
    const hours: HourlyForecast[] = [];
    table.time.forEach((time, i) => {
      const at = (variable: (typeof HOURLY)[number]) => `hourly.${variable}[${i}]`;
      if (table.temperature_2m[i] === null || table.weather_code[i] === null) return;
      hours.push({
        time,
        temperature: read.number(table.temperature_2m[i], at('temperature_2m')),
        feelsLike:
          read.numberOrNull(table.apparent_temperature[i], at('apparent_temperature')) ??
          read.number(table.temperature_2m[i], at('temperature_2m')),
        humidity: read.number(table.relative_humidity_2m[i], at('relative_humidity_2m')),
        precipitationProbability: read.numberOrNull(
          table.precipitation_probability[i],
          at('precipitation_probability'),
        ),
        precipitation: read.numberOrNull(table.precipitation[i], at('precipitation')) ?? 0,
        snowfall: read.numberOrNull(table.snowfall[i], at('snowfall')),
        windSpeed: read.number(table.wind_speed_10m[i], at('wind_speed_10m')),
        windGust: read.numberOrNull(table.wind_gusts_10m[i], at('wind_gusts_10m')),
        windDirection: read.number(table.wind_direction_10m[i], at('wind_direction_10m')),
        condition: this.condition(table.weather_code[i], at('weather_code')),
        uvIndex: read.numberOrNull(table.uv_index[i], at('uv_index')),
      });
    });
    return hours;
  }

  /** The daily API has no mean humidity, so it is the mean of that date's hours. */
  private daily(table: Columns<(typeof DAILY)[number]>, hourly: HourlyForecast[]): DailyForecast[] {
    const read = this.read;
    const days: DailyForecast[] = [];
    table.time.forEach((date, i) => {
      const at = (variable: (typeof DAILY)[number]) => `daily.${variable}[${i}]`;
      if (table.temperature_2m_max[i] === null || table.weather_code[i] === null) return;
      const humidities = hourly.filter((hour) => hour.time.startsWith(date)).map((hour) => hour.humidity);
      const text = (variable: 'sunrise' | 'sunset') =>
        table[variable][i] === null ? null : read.string(table[variable][i], at(variable));
      days.push({
        date,
        temperatureMax: read.number(table.temperature_2m_max[i], at('temperature_2m_max')),
        temperatureMin: read.number(table.temperature_2m_min[i], at('temperature_2m_min')),
        feelsLikeMax: read.numberOrNull(table.apparent_temperature_max[i], at('apparent_temperature_max')),
        feelsLikeMin: read.numberOrNull(table.apparent_temperature_min[i], at('apparent_temperature_min')),
        precipitationProbability: read.numberOrNull(
          table.precipitation_probability_max[i],
          at('precipitation_probability_max'),
        ),
        precipitationSum: read.numberOrNull(table.precipitation_sum[i], at('precipitation_sum')) ?? 0,
        snowfallSum: read.numberOrNull(table.snowfall_sum[i], at('snowfall_sum')),
        windSpeedMax: read.number(table.wind_speed_10m_max[i], at('wind_speed_10m_max')),
        windGustMax: read.numberOrNull(table.wind_gusts_10m_max[i], at('wind_gusts_10m_max')),
        windDirection: read.numberOrNull(table.wind_direction_10m_dominant[i], at('wind_direction_10m_dominant')),
        humidityMean: humidities.length ? Math.round(humidities.reduce((a, b) => a + b, 0) / humidities.length) : null,
        condition: this.condition(table.weather_code[i], at('weather_code')),
        sunrise: text('sunrise'),
        sunset: text('sunset'),
        uvIndexMax: read.numberOrNull(table.uv_index_max[i], at('uv_index_max')),
      });
    });
    return days;
  }
}
