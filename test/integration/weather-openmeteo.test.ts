import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { UnitSystem } from '../../bot/core/domain';
import { conditionFromWmo } from '../../bot/weather/conditions';
import { OpenMeteoProvider } from '../../bot/weather/openmeteo';
import { WeatherError } from '../../bot/weather/provider';
import { NOT_FOUND_TTL_MS, WeatherService, type WeatherServiceOptions } from '../../bot/weather/service';
import { startOpenMeteoEmulator, type OpenMeteoEmulator } from '../emulators/openmeteo';

/** 20:10 UTC: already tomorrow in Tokyo, still today in the Americas. */
const NOW = Date.parse('2026-11-25T20:10:00Z');

let emulator: OpenMeteoEmulator;

beforeAll(async () => {
  emulator = await startOpenMeteoEmulator({ now: () => NOW });
});
afterAll(() => emulator.close());
beforeEach(() => {
  emulator.requests.length = 0;
});

function service(options: WeatherServiceOptions = {}): WeatherService {
  const provider = new OpenMeteoProvider({ geocodingUrl: emulator.geocodingUrl, forecastUrl: emulator.forecastUrl });
  return new WeatherService(provider, { backoffMs: 5, timeoutMs: 2000, ...options });
}

/** The forecast body exactly as the emulator served it to the provider's last request. */
async function lastRawForecast(): Promise<any> {
  const request = emulator.requests.filter((r) => r.path === '/v1/forecast').at(-1)!;
  const response = await fetch(`${emulator.forecastUrl}?${new URLSearchParams(request.query)}`);
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

describe('Open-Meteo normalization', () => {
  test('Tokyo, metric: local times, local today first, numbers as served', async () => {
    const weather = service();
    const place = await weather.resolvePlace('Tokyo', null);
    expect(place).toMatchObject({
      name: 'Tokyo',
      region: 'Tokyo',
      country: 'Japan',
      countryCode: 'JP',
      timezone: 'Asia/Tokyo',
      utcOffsetSeconds: 32400,
    });
    const report = await weather.forecast(place, 'metric');
    const raw = await lastRawForecast();

    expect(report.provider).toBe('open-meteo');
    expect(report.units).toBe('metric');
    expect(report.place).toMatchObject({ name: 'Tokyo', timezone: 'Asia/Tokyo', utcOffsetSeconds: 32400 });
    expect(report.current.time).toBe('2026-11-26T05:00');
    expect(report.daily[0].date).toBe('2026-11-26');
    expect(report.daily).toHaveLength(16);
    expect(report.hourly).toHaveLength(16 * 24);
    expect(report.hourly[0].time).toBe('2026-11-26T00:00');

    expect(raw.hourly_units).toMatchObject({
      temperature_2m: '°C',
      wind_speed_10m: 'km/h',
      precipitation: 'mm',
      snowfall: 'cm',
    });
    expect(report.current).toMatchObject({
      temperature: raw.current.temperature_2m,
      feelsLike: raw.current.apparent_temperature,
      humidity: raw.current.relative_humidity_2m,
      windSpeed: raw.current.wind_speed_10m,
      windGust: raw.current.wind_gusts_10m,
      windDirection: raw.current.wind_direction_10m,
      uvIndex: raw.current.uv_index,
      isDay: false,
      condition: conditionFromWmo(raw.current.weather_code),
    });
    const hour = report.hourly[37];
    expect(hour).toMatchObject({
      time: raw.hourly.time[37],
      temperature: raw.hourly.temperature_2m[37],
      precipitationProbability: raw.hourly.precipitation_probability[37],
      snowfall: raw.hourly.snowfall[37],
      windGust: raw.hourly.wind_gusts_10m[37],
    });
    const day = report.daily[3];
    expect(day).toMatchObject({
      date: '2026-11-29',
      temperatureMax: raw.daily.temperature_2m_max[3],
      temperatureMin: raw.daily.temperature_2m_min[3],
      feelsLikeMax: raw.daily.apparent_temperature_max[3],
      precipitationSum: raw.daily.precipitation_sum[3],
      precipitationProbability: raw.daily.precipitation_probability_max[3],
      windGustMax: raw.daily.wind_gusts_10m_max[3],
      windDirection: raw.daily.wind_direction_10m_dominant[3],
      uvIndexMax: raw.daily.uv_index_max[3],
      sunrise: raw.daily.sunrise[3],
      sunset: raw.daily.sunset[3],
      condition: conditionFromWmo(raw.daily.weather_code[3]),
    });
    expect(day.sunrise).toMatch(/^2026-11-29T0[5-7]:\d\d$/);
    const humidities: number[] = raw.hourly.relative_humidity_2m.slice(72, 96);
    expect(day.humidityMean).toBe(Math.round(humidities.reduce((a, b) => a + b, 0) / 24));
    expect(day.temperatureMax).toBeGreaterThanOrEqual(day.temperatureMin);
  });

  test('the request is the documented one, with the units asked for', async () => {
    const weather = service();
    const place = await weather.resolvePlace('Paris', 'TX');
    await weather.forecast(place, 'imperial');
    const geocoding = emulator.requests.find((r) => r.path === '/v1/search')!;
    expect(geocoding.query).toEqual({ name: 'Paris', count: '10', language: 'en', format: 'json' });
    const forecast = emulator.requests.find((r) => r.path === '/v1/forecast')!;
    expect(forecast.query).toMatchObject({
      latitude: '33.66094',
      longitude: '-95.55551',
      timezone: 'auto',
      forecast_days: '16',
      temperature_unit: 'fahrenheit',
      wind_speed_unit: 'mph',
      precipitation_unit: 'inch',
    });
    expect(forecast.query.daily.split(',')).toEqual(
      expect.arrayContaining([
        'sunrise',
        'sunset',
        'uv_index_max',
        'wind_gusts_10m_max',
        'snowfall_sum',
        'precipitation_probability_max',
      ]),
    );
    expect(forecast.query.hourly.split(',')).toEqual(
      expect.arrayContaining(['apparent_temperature', 'relative_humidity_2m', 'precipitation_probability', 'snowfall']),
    );
  });

  test('Paris, Texas in imperial: °F, mph, inches; local today is still the 25th', async () => {
    const weather = service();
    const report = await weather.forecast(await weather.resolvePlace('Paris', 'Texas'), 'imperial');
    const raw = await lastRawForecast();
    expect(raw.hourly_units).toMatchObject({
      temperature_2m: '°F',
      wind_speed_10m: 'mp/h',
      precipitation: 'inch',
      snowfall: 'inch',
    });
    expect(report.place).toMatchObject({ region: 'Texas', timezone: 'America/Chicago', utcOffsetSeconds: -6 * 3600 });
    expect(report.current.time).toBe('2026-11-25T14:00');
    expect(report.daily[0].date).toBe('2026-11-25');
    expect(report.current.temperature).toBe(raw.current.temperature_2m);
    expect(report.hourly[14].windSpeed).toBe(raw.hourly.wind_speed_10m[14]);
    expect(report.daily.map((d) => d.precipitationSum)).toEqual(raw.daily.precipitation_sum);
    // 30–70 °F is November in north Texas; a Celsius number here would be a unit mix-up.
    expect(report.current.temperature).toBeGreaterThan(25);
    expect(report.current.temperature).toBeLessThan(80);
  });
});

describe('Open-Meteo places', () => {
  test.each([
    ['Paris', null, 'France', 'Île-de-France'],
    ['Paris', 'TX', 'United States', 'Texas'],
    ['Paris', 'Tennessee', 'United States', 'Tennessee'],
    ['Paris', 'KY', 'United States', 'Kentucky'],
    ['Paris', 'France', 'France', 'Île-de-France'],
    ['Paris', 'Ontario', 'Canada', 'Ontario'],
    ['London', null, 'United Kingdom', 'England'],
    ['London', 'UK', 'United Kingdom', 'England'],
    ['London', 'ON', 'Canada', 'Ontario'],
    ['London', 'Kentucky', 'United States', 'Kentucky'],
    ['New York', null, 'United States', 'New York'],
    ['Sao Paulo', null, 'Brazil', 'São Paulo'],
    ['tokyo', 'JP', 'Japan', 'Tokyo'],
    ['Sydney', 'NSW', 'Australia', 'New South Wales'],
  ])('%s (%s) is in %s, %s', async (name, region, country, admin1) => {
    const place = await service().resolvePlace(name, region);
    expect(place).toMatchObject({ country, region: admin1 });
  });

  test('"Paris, TX" in one string is read as place and region', async () => {
    expect(await service().resolvePlace('Paris, TX', null)).toMatchObject({
      region: 'Texas',
      latitude: 33.66094,
      longitude: -95.55551,
    });
  });

  test('unknown places and regions with no such place are place-not-found', async () => {
    const weather = service();
    expect((await failure(weather.resolvePlace('Atlantis', null))).kind).toBe('place-not-found');
    expect((await failure(weather.resolvePlace('Paris', 'Japan'))).kind).toBe('place-not-found');
    expect((await failure(weather.resolvePlace('  ', null))).kind).toBe('place-not-found');
  });
});

describe('Open-Meteo outages', () => {
  async function parisTexas(weather: WeatherService) {
    const place = await weather.resolvePlace('Paris', 'TX');
    emulator.requests.length = 0;
    return place;
  }

  test('a 500 then success is retried and answered', async () => {
    const weather = service();
    const place = await parisTexas(weather);
    emulator.failNext('http-500', 1, '/v1/forecast');
    const report = await weather.forecast(place, 'metric');
    expect(report.daily.length).toBe(16);
    expect(emulator.requestCount('/v1/forecast')).toBe(2);
  });

  test('backoff doubles each retry, jittered within its upper half', async () => {
    const waits: number[] = [];
    const jitter = [0, 0.5, 1];
    const weather = service({
      retries: 3,
      backoffMs: 100,
      random: () => jitter[waits.length],
      sleep: async (ms) => void waits.push(ms),
    });
    const place = await parisTexas(weather);
    emulator.failNext('http-500', 3, '/v1/forecast');
    await weather.forecast(place, 'metric');
    expect(waits).toEqual([50, 150, 400]);
    expect(emulator.requestCount('/v1/forecast')).toBe(4);
  });

  test('429 is retried too', async () => {
    const weather = service();
    emulator.failNext('http-429', 2, '/v1/search');
    expect((await weather.resolvePlace('Tokyo', null)).countryCode).toBe('JP');
    expect(emulator.requestCount('/v1/search')).toBe(3);
  });

  test('a persistent 500 is provider-down after 1 + retries attempts', async () => {
    const weather = service({ retries: 2 });
    const place = await parisTexas(weather);
    emulator.failNext('http-500', 3, '/v1/forecast');
    const error = await failure(weather.forecast(place, 'metric'));
    expect(error.kind).toBe('provider-down');
    expect(error.message).toMatch(/3 times.*HTTP 500/);
    expect(emulator.requestCount('/v1/forecast')).toBe(3);
  });

  test('a 400 is not retried', async () => {
    const weather = service({ retries: 3 });
    const error = await failure(weather.forecast({ ...(await parisTexas(weather)), latitude: 91 }, 'metric'));
    expect(error.kind).toBe('provider-down');
    expect(error.message).toContain('Latitude must be in range of -90 to 90');
    expect(emulator.requestCount('/v1/forecast')).toBe(1);
  });

  test('a hanging server times out into provider-down within the configured time', async () => {
    const weather = service({ timeoutMs: 150, retries: 1, backoffMs: 10 });
    const place = await parisTexas(weather);
    emulator.failNext('hang', 2, '/v1/forecast');
    const started = Date.now();
    const error = await failure(weather.forecast(place, 'metric'));
    const elapsed = Date.now() - started;
    expect(error.kind).toBe('provider-down');
    expect(error.message).toMatch(/no answer within 150 ms/);
    expect(elapsed).toBeGreaterThanOrEqual(300);
    expect(elapsed).toBeLessThan(3000); // far below a hang
    expect(emulator.requestCount('/v1/forecast')).toBe(2);
  });

  test('a hang then an answer: the retry succeeds', async () => {
    const weather = service({ timeoutMs: 150, retries: 1 });
    const place = await parisTexas(weather);
    emulator.failNext('hang', 1, '/v1/forecast');
    expect((await weather.forecast(place, 'metric')).daily).toHaveLength(16);
  });

  test('malformed JSON is bad-response and not retried', async () => {
    const weather = service();
    const place = await parisTexas(weather);
    emulator.failNext('malformed', 1, '/v1/forecast');
    const error = await failure(weather.forecast(place, 'metric'));
    expect(error.kind).toBe('bad-response');
    expect(emulator.requestCount('/v1/forecast')).toBe(1);
  });

  test('a partial forecast or geocoding payload is bad-response, never a TypeError', async () => {
    const weather = service();
    const place = await parisTexas(weather);
    emulator.failNext('partial', 1, '/v1/forecast');
    expect((await failure(weather.forecast(place, 'metric'))).kind).toBe('bad-response');
    emulator.failNext('partial', 1, '/v1/search');
    expect((await failure(weather.resolvePlace('London', null))).kind).toBe('bad-response');
  });

  test('an unreachable server is provider-down', async () => {
    const dead = await startOpenMeteoEmulator();
    await dead.close();
    const weather = new WeatherService(new OpenMeteoProvider({ geocodingUrl: dead.geocodingUrl }), {
      retries: 1,
      backoffMs: 1,
    });
    const error = await failure(weather.resolvePlace('Paris', null));
    expect(error.kind).toBe('provider-down');
    expect(error.message).toMatch(/unreachable: ECONNREFUSED/);
  });
});

describe('Open-Meteo caching and coalescing', () => {
  test('a second ask within the TTL makes no upstream request; after it, one more', async () => {
    let clock = 1_000_000;
    const weather = service({ ttlMs: 60_000, now: () => clock });
    const place = await weather.resolvePlace('London', 'UK');
    await weather.resolvePlace('london', 'GB');
    expect(emulator.requestCount('/v1/search')).toBe(1);

    const first = await weather.forecast(place, 'metric');
    clock += 59_000;
    expect(await weather.forecast(place, 'metric')).toBe(first);
    expect(emulator.requestCount('/v1/forecast')).toBe(1);

    await weather.forecast(place, 'imperial');
    expect(emulator.requestCount('/v1/forecast')).toBe(2);

    clock += 2_000;
    await weather.forecast(place, 'metric');
    expect(emulator.requestCount('/v1/forecast')).toBe(3);
  });

  test('five concurrent identical asks make one upstream request', async () => {
    const weather = service();
    const places = await Promise.all(Array.from({ length: 5 }, () => weather.resolvePlace('New York', 'NY')));
    expect(emulator.requestCount('/v1/search')).toBe(1);
    const reports = await Promise.all(places.map((place) => weather.forecast(place, 'imperial')));
    expect(emulator.requestCount('/v1/forecast')).toBe(1);
    expect(new Set(reports).size).toBe(1);
  });

  test('concurrent asks share a failure too, and a failure is not cached', async () => {
    const weather = service({ retries: 0 });
    const place = await weather.resolvePlace('Tokyo', null);
    emulator.requests.length = 0;
    emulator.failNext('http-500', 1, '/v1/forecast');
    const results = await Promise.allSettled(Array.from({ length: 5 }, () => weather.forecast(place, 'metric')));
    expect(results.every((r) => r.status === 'rejected')).toBe(true);
    expect(emulator.requestCount('/v1/forecast')).toBe(1);
    expect((await weather.forecast(place, 'metric')).place.name).toBe('Tokyo');
    expect(emulator.requestCount('/v1/forecast')).toBe(2);
  });
});

describe('Open-Meteo places not found', () => {
  test('"no such place" is remembered for a few minutes only', async () => {
    let clock = 1_000_000;
    const weather = service({ now: () => clock });
    expect((await failure(weather.resolvePlace('Atlantis', null))).kind).toBe('place-not-found');
    clock += NOT_FOUND_TTL_MS - 1000;
    expect((await failure(weather.resolvePlace('Atlantis', null))).kind).toBe('place-not-found');
    expect(emulator.requestCount('/v1/search')).toBe(1);
    clock += 2000;
    await failure(weather.resolvePlace('Atlantis', null));
    expect(emulator.requestCount('/v1/search')).toBe(2);
    expect(NOT_FOUND_TTL_MS).toBeLessThanOrEqual(10 * 60_000);
  });

  test('a malformed geocoding answer ({}) is bad-response, never "not found": the place is found once it recovers', async () => {
    // The geocoder answers {} once, then as Open-Meteo does.
    let broken = true;
    const flaky = createServer((request, response) => {
      const body = broken
        ? Promise.resolve('{}')
        : fetch(`${emulator.url}${request.url!.slice(1)}`).then((r) => r.text());
      broken = false;
      void body.then((text) => response.writeHead(200, { 'content-type': 'application/json' }).end(text));
    });
    await new Promise<void>((resolve) => flaky.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = flaky.address() as AddressInfo;
      const provider = new OpenMeteoProvider({
        geocodingUrl: `http://127.0.0.1:${port}/v1/search`,
        forecastUrl: emulator.forecastUrl,
      });
      const weather = new WeatherService(provider, { backoffMs: 5, retries: 0 });
      expect((await failure(weather.resolvePlace('London', null))).kind).toBe('bad-response');
      expect((await weather.resolvePlace('London', null)).name).toBe('London');
    } finally {
      await new Promise((resolve) => flaky.close(resolve));
    }
  });
});

test.each<UnitSystem>(['metric', 'imperial'])(
  'every %s report field is a finite number where a number is due',
  async (units) => {
    const weather = service();
    const report = await weather.forecast(await weather.resolvePlace('Sao Paulo', null), units);
    for (const hour of report.hourly) {
      for (const value of [
        hour.temperature,
        hour.feelsLike,
        hour.humidity,
        hour.precipitation,
        hour.windSpeed,
        hour.windDirection,
      ]) {
        expect(Number.isFinite(value)).toBe(true);
      }
    }
    for (const day of report.daily) expect(day.temperatureMax).toBeGreaterThanOrEqual(day.temperatureMin);
  },
);
