import { OpenWeatherAPI, type CurrentWeather, type ForecastWeather, type Options } from 'openweather-api-node';
import type {
  Condition,
  CurrentConditions,
  DailyForecast,
  HourlyForecast,
  Place,
  UnitSystem,
  WeatherAlert,
  WeatherReport,
} from '../core/domain';
import { conditionFromOpenWeather, severity } from './conditions';
import { getJson, httpError, scrub } from './http';
import { PayloadReader, type JsonObject } from './payload';
import { WeatherError, type WeatherProvider } from './provider';
import { countryName } from './regions';
import { fixedOffsetZone, localIso } from './time';

export const OPENWEATHER_BASE_URL = 'https://api.openweathermap.org/';
/** The origin the library writes into every URL it builds. */
const LIBRARY_ENDPOINT = 'https://api.openweathermap.org/';

export interface OpenWeatherOptions {
  apiKey: string;
  /** Where the API lives (a proxy, an emulator); the library itself only knows the public host. */
  baseUrl?: string;
}

type LibraryResponse = { status: number; data: unknown };
type PublicApi = { [K in keyof OpenWeatherAPI]: OpenWeatherAPI[K] };
/** The library declares its `fetch` private; it is the one seam its design leaves for transport. */
const OverridableOpenWeatherAPI = OpenWeatherAPI as unknown as new (options?: Options) => PublicApi & {
  fetch(url: string): Promise<LibraryResponse>;
};

/**
 * openweather-api-node with its transport replaced: the library's own `get` parses the body inside
 * a socket callback, so a non-JSON answer (a proxy's HTML 502) throws outside any promise and kills
 * the process, and it cannot be aborted. URL building, the `cod` check and the parsers stay the library's.
 */
class OpenWeatherClient extends OverridableOpenWeatherAPI {
  constructor(
    apiKey: string,
    private readonly baseUrl: string,
    private readonly signal: AbortSignal,
  ) {
    super({ key: apiKey });
  }

  override async fetch(url: string): Promise<LibraryResponse> {
    const rebased = url.startsWith(LIBRARY_ENDPOINT) ? this.baseUrl + url.slice(LIBRARY_ENDPOINT.length) : url;
    const secrets = [this.getKey() ?? ''];
    const data = await getJson('OpenWeather', rebased, this.signal, secrets);
    const cod = (data as { cod?: unknown }).cod;
    // Like the library: a body whose `cod` is not 200 is an error, whatever the HTTP status said.
    if (cod !== undefined && Number.parseInt(String(cod), 10) !== 200)
      throw httpError('OpenWeather', Number(cod) || 502, data, secrets);
    return { status: 200, data };
  }
}

const METRES_PER_SECOND_IN_KMH = 3.6;
const MM_PER_INCH = 25.4;
/** Open-Meteo's ratio (10 mm of water is 7 cm of snow), so both providers report snow depth alike. */
const SNOW_CM_PER_WATER_MM = 0.7;

const round = (value: number, digits: number) => Math.round(value * 10 ** digits) / 10 ** digits;

/** A moment of the forecast in report units: the current observation or one 3-hour step. */
interface Sample {
  time: string;
  temperature: number;
  feelsLike: number;
  humidity: number;
  /** Probability 0–100, null for the observation. */
  pop: number | null;
  precipitation: number;
  snowfall: number;
  windSpeed: number;
  windGust: number | null;
  windDirection: number;
  condition: Condition;
  conditionId: number;
  isDay: boolean;
}

/** OpenWeather through its free-tier endpoints: geocoding, current weather, 5 day / 3 hour forecast. */
export class OpenWeatherProvider implements WeatherProvider {
  readonly name = 'openweather' as const;
  private readonly apiKey: string;
  private readonly baseUrl: string;
  private readonly read = new PayloadReader('OpenWeather');

  constructor(options: OpenWeatherOptions) {
    if (!options.apiKey) throw new Error('OpenWeatherProvider needs an API key');
    this.apiKey = options.apiKey;
    const base = options.baseUrl ?? OPENWEATHER_BASE_URL;
    this.baseUrl = base.endsWith('/') ? base : base + '/';
  }

  /** Runs library calls, turning whatever they throw into a WeatherError without the key in it. */
  private async call<T>(signal: AbortSignal, work: (client: OpenWeatherClient) => Promise<T>): Promise<T> {
    try {
      return await work(new OpenWeatherClient(this.apiKey, this.baseUrl, signal));
    } catch (error) {
      if (error instanceof WeatherError) throw error;
      const message = error instanceof Error ? error.message : String(error);
      throw new WeatherError(
        'bad-response',
        scrub(`OpenWeather sent a malformed or partial response (${message})`, [this.apiKey]),
      );
    }
  }

  async geocode(name: string, signal: AbortSignal): Promise<Place[]> {
    if (!name.trim()) return [];
    const locations = await this.call(signal, (client) => client.getAllLocations(name));
    return this.read
      .array(locations, 'geocoding body')
      .map((location, i) => this.place(this.read.object(location, `geocoding[${i}]`), i));
  }

  private place(location: JsonObject, i: number): Place {
    const what = (field: string) => `geocoding[${i}].${field}`;
    const code = this.read.string(location.country, what('country')).toUpperCase();
    // "New York County" is locally "New York": the English local name is what people call it.
    const english = (location.local_names as JsonObject | null | undefined)?.en;
    return {
      name: typeof english === 'string' && english ? english : this.read.string(location.name, what('name')),
      region: typeof location.state === 'string' && location.state ? location.state : null,
      country: countryName(code),
      countryCode: code || null,
      latitude: this.read.number(location.lat, what('lat')),
      longitude: this.read.number(location.lon, what('lon')),
      // Geocoding does not say; the forecast's `timezone` seconds fill it in on the report's place.
      timezone: 'UTC',
      utcOffsetSeconds: 0,
    };
  }

  /** One Call 3.0's alerts (its "One Call by Call" subscription): sender, event, start and end, description. */
  async alerts(place: Place, signal: AbortSignal): Promise<WeatherAlert[]> {
    const coordinates = { lat: place.latitude, lon: place.longitude };
    const alerts = await this.call(signal, (client) => client.getAlerts({ coordinates }));
    return this.read.array(alerts, 'alerts').map((value, i) => {
      const alert = this.read.object(value, `alerts[${i}]`);
      const what = (field: string) => `alerts[${i}].${field}`;
      const [sender, event] = [
        this.read.string(alert.sender_name, what('sender_name')),
        this.read.string(alert.event, what('event')),
      ];
      const [start, end] = (['start', 'end'] as const).map((field) => this.read.number(alert[field], what(field)));
      return {
        id: `${sender}|${event}|${start}`,
        sender,
        event,
        start: new Date(start * 1000).toISOString(),
        end: new Date(end * 1000).toISOString(),
        description: typeof alert.description === 'string' ? alert.description.trim() : '',
      };
    });
  }

  async forecast(place: Place, units: UnitSystem, signal: AbortSignal): Promise<WeatherReport> {
    const options: Options = { coordinates: { lat: place.latitude, lon: place.longitude }, units };
    const fetchedAt = new Date().toISOString();
    const [current, steps] = await this.call(signal, (client) =>
      Promise.all([client.getCurrent(options), client.getForecast(Number.POSITIVE_INFINITY, options)]),
    );
    if (!Array.isArray(steps) || steps.length === 0) throw this.read.fail('forecast list is empty');
    const offset = this.read.number(current.timezoneOffset, 'timezone');
    const observation = this.sample(current, offset, units, 'current');
    const forecast = steps.map((step, i) => this.sample(step, offset, units, `list[${i}]`));
    const today = observation.time.slice(0, 10);
    return {
      provider: this.name,
      place: { ...place, timezone: fixedOffsetZone(offset), utcOffsetSeconds: offset },
      units,
      current: this.current(observation),
      hourly: forecast.map((step) => this.hourly(step)),
      daily: this.daily(observation, forecast, {
        date: today,
        sunrise: localIso(this.read.number(current.astronomical?.sunriseRaw, 'sys.sunrise'), offset),
        sunset: localIso(this.read.number(current.astronomical?.sunsetRaw, 'sys.sunset'), offset),
      }),
      fetchedAt,
    };
  }

  private sample(weather: CurrentWeather | ForecastWeather, offset: number, units: UnitSystem, what: string): Sample {
    const read = this.read;
    const w = read.object(weather?.weather, what);
    const at = (field: string) => `${what}.${field}`;
    const temp = read.object(w.temp, at('main'));
    const wind = read.object(w.wind, at('wind'));
    const speed = (value: number) => (units === 'metric' ? value * METRES_PER_SECOND_IN_KMH : value);
    const water = (value: number) => (units === 'metric' ? value : value / MM_PER_INCH);
    const conditionId = read.number(w.conditionId, at('weather.id'));
    const condition = conditionFromOpenWeather(conditionId, typeof w.description === 'string' ? w.description : '');
    if (!condition) throw read.fail(`${at('weather.id')} ${conditionId} is not an OpenWeather condition`);
    const rain = read.numberOrNull(w.rain, at('rain')) ?? 0;
    const snow = read.numberOrNull(w.snow, at('snow')) ?? 0;
    const gust = read.numberOrNull(wind.gust, at('wind.gust'));
    const pop = 'pop' in w ? read.numberOrNull(w.pop, at('pop')) : null;
    const icon = read.object(w.icon, at('weather.icon'));
    return {
      time: localIso(read.number(weather.dtRaw, at('dt')), offset),
      temperature: read.number(temp.cur, at('main.temp')),
      feelsLike: read.number(read.object(w.feelsLike, at('main')).cur, at('main.feels_like')),
      humidity: read.number(w.humidity, at('main.humidity')),
      pop: pop === null ? null : Math.round(pop * 100),
      precipitation: round(water(rain + snow), units === 'metric' ? 2 : 3),
      snowfall: round((snow * SNOW_CM_PER_WATER_MM) / (units === 'metric' ? 1 : 2.54), 2),
      windSpeed: round(speed(read.number(wind.speed, at('wind.speed'))), 1),
      windGust: gust === null ? null : round(speed(gust), 1),
      windDirection: read.numberOrNull(wind.deg, at('wind.deg')) ?? 0,
      condition,
      conditionId,
      isDay: typeof icon.raw === 'string' ? icon.raw.endsWith('d') : true,
    };
  }

  private current(observation: Sample): CurrentConditions {
    return {
      time: observation.time,
      temperature: observation.temperature,
      feelsLike: observation.feelsLike,
      humidity: observation.humidity,
      precipitation: observation.precipitation,
      windSpeed: observation.windSpeed,
      windGust: observation.windGust,
      windDirection: observation.windDirection,
      condition: observation.condition,
      uvIndex: null,
      isDay: observation.isDay,
    };
  }

  /** One 3-hour step; its precipitation and snowfall are the 3-hour amounts. */
  private hourly(step: Sample): HourlyForecast {
    return {
      time: step.time,
      temperature: step.temperature,
      feelsLike: step.feelsLike,
      humidity: step.humidity,
      precipitationProbability: step.pop,
      precipitation: step.precipitation,
      snowfall: step.snowfall,
      windSpeed: step.windSpeed,
      windGust: step.windGust,
      windDirection: step.windDirection,
      condition: step.condition,
      uvIndex: null,
    };
  }

  /**
   * Days by local date, from today (which the observation guarantees) on. The last day is dropped
   * unless all eight steps cover it: a night-only "day" would report a wrong high.
   */
  private daily(
    observation: Sample,
    forecast: Sample[],
    today: { date: string; sunrise: string; sunset: string },
  ): DailyForecast[] {
    const byDate = new Map<string, Sample[]>([[today.date, [observation]]]);
    for (const step of forecast) {
      const date = step.time.slice(0, 10);
      if (date < today.date) continue;
      byDate.set(date, [...(byDate.get(date) ?? []), step]);
    }
    const dates = [...byDate.keys()].sort();
    const last = dates[dates.length - 1];
    if (dates.length > 1 && byDate.get(last)!.length < 8) dates.pop();
    return dates.map((date) => {
      const samples = byDate.get(date)!;
      const steps = samples.filter((sample) => sample !== observation);
      const values = (pick: (sample: Sample) => number | null) =>
        samples.map(pick).filter((v): v is number => v !== null);
      const sum = (pick: (sample: Sample) => number) => steps.reduce((total, step) => total + pick(step), 0);
      const pops = values((sample) => sample.pop);
      const gusts = values((sample) => sample.windGust);
      const worst = samples.reduce((a, b) =>
        severity(b.condition) > severity(a.condition) ||
        (severity(b.condition) === severity(a.condition) && b.conditionId > a.conditionId)
          ? b
          : a,
      );
      return {
        date,
        temperatureMax: Math.max(...values((s) => s.temperature)),
        temperatureMin: Math.min(...values((s) => s.temperature)),
        feelsLikeMax: Math.max(...values((s) => s.feelsLike)),
        feelsLikeMin: Math.min(...values((s) => s.feelsLike)),
        precipitationProbability: pops.length ? Math.max(...pops) : null,
        precipitationSum: round(
          sum((s) => s.precipitation),
          3,
        ),
        snowfallSum: round(
          sum((s) => s.snowfall),
          2,
        ),
        windSpeedMax: Math.max(...values((s) => s.windSpeed)),
        windGustMax: gusts.length ? Math.max(...gusts) : null,
        windDirection: dominantDirection(samples),
        humidityMean: Math.round(values((s) => s.humidity).reduce((a, b) => a + b, 0) / samples.length),
        condition: worst.condition,
        sunrise: date === today.date ? today.sunrise : null,
        sunset: date === today.date ? today.sunset : null,
        uvIndexMax: null,
      };
    });
  }
}

/** Direction of the speed-weighted mean wind vector, in whole degrees. */
function dominantDirection(samples: Sample[]): number {
  let x = 0;
  let y = 0;
  for (const { windSpeed, windDirection } of samples) {
    x += windSpeed * Math.sin((windDirection * Math.PI) / 180);
    y += windSpeed * Math.cos((windDirection * Math.PI) / 180);
  }
  return (Math.round((Math.atan2(x, y) * 180) / Math.PI) + 360) % 360;
}
