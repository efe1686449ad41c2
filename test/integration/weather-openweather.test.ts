import { inspect } from 'node:util';
import { OpenWeatherProvider } from '../../bot/weather/openweather';
import { WeatherError } from '../../bot/weather/provider';
import { WeatherService, type WeatherServiceOptions } from '../../bot/weather/service';
import type { EmulatorFailure } from '../emulators/openmeteo';
import { startOpenWeatherEmulator, type OpenWeatherEmulator } from '../emulators/openweather';

/** 20:10 UTC: already tomorrow in Tokyo, still today in the Americas. */
const NOW = Date.parse('2026-11-25T20:10:00Z');
const KEY = 'ow-secret-4f1c9a77e2b84d0c';

let emulator: OpenWeatherEmulator;

beforeAll(async () => {
  emulator = await startOpenWeatherEmulator({ apiKey: KEY, now: () => NOW });
});
afterAll(() => emulator.close());
beforeEach(() => {
  emulator.requests.length = 0;
});

function service(options: WeatherServiceOptions = {}, apiKey = KEY, baseUrl = emulator.url): WeatherService {
  return new WeatherService(new OpenWeatherProvider({ apiKey, baseUrl }), {
    backoffMs: 5,
    timeoutMs: 2000,
    ...options,
  });
}

/** A body exactly as the emulator served it to the provider's last request on `path`. */
async function lastRaw(path: string): Promise<any> {
  const request = emulator.requests.filter((r) => r.path === path).at(-1)!;
  const response = await fetch(`${emulator.url}${path.slice(1)}?${new URLSearchParams(request.query)}`);
  emulator.requests.pop();
  return response.json();
}

async function failure(promise: Promise<unknown>): Promise<WeatherError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(WeatherError);
  return error as WeatherError;
}

const localDate = (dt: number, offset: number) => new Date((dt + offset) * 1000).toISOString().slice(0, 10);

describe('OpenWeather normalization', () => {
  test('Tokyo, metric: fixed-offset zone, local today first, m/s turned into km/h', async () => {
    const weather = service();
    const place = await weather.resolvePlace('Tokyo', null);
    expect(place).toMatchObject({ name: 'Tokyo', country: 'Japan', countryCode: 'JP' });
    const report = await weather.forecast(place, 'metric');
    const current = await lastRaw('/data/2.5/weather');
    const forecast = await lastRaw('/data/2.5/forecast');

    expect(report.provider).toBe('openweather');
    expect(report.place).toMatchObject({ name: 'Tokyo', timezone: 'UTC+09:00', utcOffsetSeconds: 32400 });
    expect(current.timezone).toBe(32400);
    expect(report.current.time).toBe('2026-11-26T05:10');
    expect(report.daily[0].date).toBe('2026-11-26');
    expect(report.current).toMatchObject({
      temperature: current.main.temp,
      feelsLike: current.main.feels_like,
      humidity: current.main.humidity,
      windDirection: current.wind.deg,
      uvIndex: null,
      isDay: false,
    });
    expect(report.current.windSpeed).toBeCloseTo(current.wind.speed * 3.6, 1);
    expect(report.current.windGust).toBeCloseTo(current.wind.gust * 3.6, 1);
    expect(report.current.condition.text).toBe(current.weather[0].description);

    expect(report.hourly).toHaveLength(forecast.list.length);
    const step = forecast.list[5];
    expect(report.hourly[5]).toMatchObject({
      time: new Date((step.dt + 32400) * 1000).toISOString().slice(0, 16),
      temperature: step.main.temp,
      humidity: step.main.humidity,
      precipitationProbability: Math.round(step.pop * 100),
      precipitation: (step.rain?.['3h'] ?? 0) + (step.snow?.['3h'] ?? 0),
      uvIndex: null,
    });

    // Tomorrow's numbers, aggregated here independently from the raw 3-hour list.
    const tomorrow = forecast.list.filter((s: any) => localDate(s.dt, 32400) === '2026-11-27');
    expect(tomorrow).toHaveLength(8);
    const day = report.daily[1];
    expect(day.date).toBe('2026-11-27');
    expect(day.temperatureMax).toBe(Math.max(...tomorrow.map((s: any) => s.main.temp)));
    expect(day.temperatureMin).toBe(Math.min(...tomorrow.map((s: any) => s.main.temp)));
    expect(day.precipitationProbability).toBe(Math.round(100 * Math.max(...tomorrow.map((s: any) => s.pop))));
    expect(day.precipitationSum).toBeCloseTo(
      tomorrow.reduce((t: number, s: any) => t + (s.rain?.['3h'] ?? 0) + (s.snow?.['3h'] ?? 0), 0),
      2,
    );
    expect(day.windSpeedMax).toBeCloseTo(3.6 * Math.max(...tomorrow.map((s: any) => s.wind.speed)), 1);
    expect(day.uvIndexMax).toBeNull();
    expect([day.sunrise, day.sunset]).toEqual([null, null]);

    expect(report.daily[0].sunrise).toBe(new Date((current.sys.sunrise + 32400) * 1000).toISOString().slice(0, 16));
    expect(report.daily[0].sunset).toBe(new Date((current.sys.sunset + 32400) * 1000).toISOString().slice(0, 16));
    // Today (partial) plus full days only: a trailing day with fewer than eight steps is dropped.
    for (const later of report.daily.slice(1)) {
      expect(forecast.list.filter((s: any) => localDate(s.dt, 32400) === later.date)).toHaveLength(8);
    }
  });

  test('the requests are the documented free-tier ones, key and units included', async () => {
    const weather = service();
    await weather.forecast(await weather.resolvePlace('Paris', 'TX'), 'imperial');
    expect(emulator.requests.map((r) => r.path).sort()).toEqual([
      '/data/2.5/forecast',
      '/data/2.5/weather',
      '/geo/1.0/direct',
    ]);
    expect(emulator.requests.find((r) => r.path === '/geo/1.0/direct')!.query).toEqual({
      q: 'Paris',
      limit: '5',
      appid: KEY,
    });
    expect(emulator.requests.find((r) => r.path === '/data/2.5/weather')!.query).toEqual({
      appid: KEY,
      lat: '33.6617962',
      lon: '-95.555513',
      units: 'imperial',
    });
  });

  test('Paris, Texas in imperial: °F and mph as served, precipitation turned from mm into inches', async () => {
    const weather = service();
    const report = await weather.forecast(await weather.resolvePlace('Paris', 'Texas'), 'imperial');
    const current = await lastRaw('/data/2.5/weather');
    const forecast = await lastRaw('/data/2.5/forecast');
    expect(report.place).toMatchObject({ region: 'Texas', timezone: 'UTC-06:00', utcOffsetSeconds: -21600 });
    expect(report.current.time).toBe('2026-11-25T14:10');
    expect(report.daily[0].date).toBe('2026-11-25');
    expect(report.current.temperature).toBe(current.main.temp);
    expect(report.current.windSpeed).toBeCloseTo(current.wind.speed, 1);
    const wet = forecast.list.findIndex((s: any) => s.rain || s.snow);
    expect(wet).toBeGreaterThanOrEqual(0);
    const mm = (forecast.list[wet].rain?.['3h'] ?? 0) + (forecast.list[wet].snow?.['3h'] ?? 0);
    expect(report.hourly[wet].precipitation).toBeCloseTo(mm / 25.4, 3);
    expect(report.current.temperature).toBeGreaterThan(25);
  });

  test('New York is called New York, not "New York County"', async () => {
    expect(await service().resolvePlace('New York', 'NY')).toMatchObject({
      name: 'New York',
      region: 'New York',
      countryCode: 'US',
    });
  });
});

describe('OpenWeather places', () => {
  test.each([
    ['Paris', null, 'FR'],
    ['Paris', 'TX', 'US'],
    ['London', 'UK', 'GB'],
    ['London', 'Ontario', 'CA'],
    ['London', 'OH', 'US'],
    ['Sao Paulo', 'Brazil', 'BR'],
  ])('%s (%s) is in %s', async (name, region, code) => {
    expect((await service().resolvePlace(name, region)).countryCode).toBe(code);
  });

  test('unknown place is place-not-found', async () => {
    expect((await failure(service().resolvePlace('Atlantis', null))).kind).toBe('place-not-found');
    expect((await failure(service().resolvePlace('Paris', 'Japan'))).kind).toBe('place-not-found');
  });
});

describe('OpenWeather outages', () => {
  async function london(weather: WeatherService) {
    const place = await weather.resolvePlace('London', 'UK');
    emulator.requests.length = 0;
    return place;
  }

  test('a 500 then success is retried and answered', async () => {
    const weather = service();
    const place = await london(weather);
    emulator.failNext('http-500', 1, '/data/2.5/forecast');
    expect((await weather.forecast(place, 'metric')).daily.length).toBeGreaterThanOrEqual(4);
    expect(emulator.requestCount('/data/2.5/forecast')).toBe(2);
  });

  test('a persistent 500 is provider-down', async () => {
    const weather = service({ retries: 1 });
    const place = await london(weather);
    emulator.failNext('http-500', 2, '/data/2.5/weather');
    const error = await failure(weather.forecast(place, 'metric'));
    expect(error.kind).toBe('provider-down');
    expect(emulator.requestCount('/data/2.5/weather')).toBe(2);
  });

  test('a wrong key is provider-down at once (401 is not retried)', async () => {
    const error = await failure(service({ retries: 3 }, 'wrong-key-5e0d1a2b').resolvePlace('Paris', null));
    expect(error.kind).toBe('provider-down');
    expect(error.message).toContain('HTTP 401: Invalid API key');
    expect(emulator.requestCount()).toBe(1);
  });

  test('a hanging server times out into provider-down within the configured time', async () => {
    const weather = service({ timeoutMs: 150, retries: 1, backoffMs: 10 });
    const place = await london(weather);
    emulator.failNext('hang', 2, '/data/2.5/weather');
    const started = Date.now();
    const error = await failure(weather.forecast(place, 'metric'));
    expect(error.kind).toBe('provider-down');
    expect(Date.now() - started).toBeLessThan(3000); // far below a hang
    expect(emulator.requestCount('/data/2.5/weather')).toBe(2);
  });

  test('a body that is not JSON is bad-response (the library alone would crash the process)', async () => {
    const weather = service();
    const place = await london(weather);
    emulator.failNext('malformed', 1, '/data/2.5/forecast');
    expect((await failure(weather.forecast(place, 'metric'))).kind).toBe('bad-response');
  });

  test.each(['/data/2.5/weather', '/data/2.5/forecast', '/geo/1.0/direct'])(
    'a partial %s is bad-response, never a TypeError',
    async (path) => {
      const weather = service();
      const place = path === '/geo/1.0/direct' ? null : await london(weather);
      emulator.failNext('partial', 1, path);
      const error = await failure(place ? weather.forecast(place, 'metric') : weather.resolvePlace('Tokyo', null));
      expect(error.kind).toBe('bad-response');
    },
  );
});

describe('the API key never shows', () => {
  const modes: EmulatorFailure[] = ['http-500', 'http-429', 'hang', 'malformed', 'partial'];

  test.each(modes)('not in the error of a %s', async (mode) => {
    const weather = service({ timeoutMs: 150, retries: 0 });
    const place = await weather.resolvePlace('Tokyo', null);
    emulator.failNext(mode, 1, '/data/2.5/forecast');
    const error = await failure(weather.forecast(place, 'metric'));
    expect(inspect(error, { depth: 10 })).not.toContain(KEY);
    expect(JSON.stringify({ message: error.message, cause: String(error.cause) })).not.toContain(KEY);
  });

  test('not in the error of a rejected key, nor of an unreachable host', async () => {
    const wrongKey = 'wrong/key+with?odd=chars';
    const rejected = await failure(service({}, wrongKey).resolvePlace('Paris', null));
    expect(inspect(rejected, { depth: 10 })).not.toContain(wrongKey);
    expect(inspect(rejected, { depth: 10 })).not.toContain(encodeURIComponent(wrongKey));

    const dead = await startOpenWeatherEmulator({ apiKey: KEY });
    await dead.close();
    const unreachable = await failure(service({ retries: 0 }, KEY, dead.url).resolvePlace('Paris', null));
    expect(unreachable.kind).toBe('provider-down');
    expect(inspect(unreachable, { depth: 10 })).not.toContain(KEY);
  });

  test('not in the error of a base URL that does not parse (fetch quotes the whole URL)', async () => {
    const error = await failure(service({ retries: 0 }, KEY, 'http://[::1/').resolvePlace('Paris', null));
    expect(error.kind).toBe('provider-down');
    expect(inspect(error, { depth: 10 })).not.toContain(KEY);
  });
});

describe('OpenWeather caching and coalescing', () => {
  test('five concurrent asks: one geocoding, one current and one forecast request', async () => {
    const weather = service();
    const places = await Promise.all(Array.from({ length: 5 }, () => weather.resolvePlace('Sao Paulo', null)));
    const reports = await Promise.all(places.map((place) => weather.forecast(place, 'metric')));
    expect(new Set(reports).size).toBe(1);
    expect(emulator.requestCount('/geo/1.0/direct')).toBe(1);
    expect(emulator.requestCount('/data/2.5/weather')).toBe(1);
    expect(emulator.requestCount('/data/2.5/forecast')).toBe(1);
    await weather.forecast(places[0], 'metric');
    expect(emulator.requestCount('/data/2.5/forecast')).toBe(1);
  });
});
