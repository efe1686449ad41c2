/**
 * A local OpenWeather (https://openweathermap.org/api): Geocoding `geo/1.0/direct`, Current
 * weather `data/2.5/weather`, the 5 day / 3 hour forecast `data/2.5/forecast` and One Call 3.0's
 * `data/3.0/onecall` (its alerts), in their documented JSON (with `cod`, and error bodies like
 * {"cod":401,"message":"Invalid API key..."}).
 * The sky is the Open-Meteo emulator's synthetic one, translated to OpenWeather's ids and units.
 */
import { readFileSync } from 'node:fs';
import {
  offsetOf,
  serveEmulator,
  sunTimes,
  syntheticHour,
  type Answer,
  type EmulatorControl,
  type SyntheticHour,
} from './openmeteo';

interface City {
  /** Exactly what geo/1.0/direct returns for it. */
  location: {
    name: string;
    local_names?: Record<string, string>;
    lat: number;
    lon: number;
    country: string;
    state?: string;
  };
  cityId: number;
  population: number;
  zone: string;
}

const CITIES: City[] = JSON.parse(
  readFileSync(new URL('../fixtures/openweather/cities.json', import.meta.url), 'utf8'),
);

/** Every place the emulator's geocoder knows, in OpenWeather's wire format. */
export const OPENWEATHER_LOCATIONS = CITIES.map((city) => city.location);

export const DEFAULT_OPENWEATHER_KEY = 'emulator-key-0123456789abcdef';

const INVALID_KEY = {
  cod: 401,
  message: 'Invalid API key. Please see https://openweathermap.org/faq#error401 for more info.',
};

/** WMO code to OpenWeather condition id, description and icon (without the d/n suffix). */
const CONDITIONS: Record<number, [number, string, string]> = {
  0: [800, 'clear sky', '01'],
  1: [801, 'few clouds', '02'],
  2: [802, 'scattered clouds', '03'],
  3: [804, 'overcast clouds', '04'],
  45: [741, 'fog', '50'],
  48: [741, 'fog', '50'],
  51: [300, 'light intensity drizzle', '09'],
  53: [301, 'drizzle', '09'],
  55: [302, 'heavy intensity drizzle', '09'],
  61: [500, 'light rain', '10'],
  63: [501, 'moderate rain', '10'],
  65: [502, 'heavy intensity rain', '10'],
  66: [511, 'freezing rain', '13'],
  67: [511, 'freezing rain', '13'],
  71: [600, 'light snow', '13'],
  73: [601, 'snow', '13'],
  75: [602, 'heavy snow', '13'],
  77: [600, 'light snow', '13'],
  80: [520, 'light intensity shower rain', '09'],
  81: [521, 'shower rain', '09'],
  82: [522, 'heavy intensity shower rain', '09'],
  85: [620, 'light shower snow', '13'],
  86: [622, 'heavy shower snow', '13'],
  95: [201, 'thunderstorm with rain', '11'],
  96: [202, 'thunderstorm with heavy rain', '11'],
  99: [202, 'thunderstorm with heavy rain', '11'],
};
const MAIN: Record<string, string> = { 2: 'Thunderstorm', 3: 'Drizzle', 5: 'Rain', 6: 'Snow', 7: 'Fog', 8: 'Clouds' };

const round = (value: number, digits: number) => Math.round(value * 10 ** digits) / 10 ** digits;

function normalizeName(text: string): string {
  return text.normalize('NFD').replace(/\p{M}/gu, '').trim().toLowerCase();
}

/** OpenWeather's units: standard is kelvin and m/s, metric °C and m/s, imperial °F and mph. */
function unitsOf(query: URLSearchParams) {
  const units = query.get('units');
  const temperature = (c: number) =>
    units === 'metric' ? round(c, 2) : units === 'imperial' ? round((c * 9) / 5 + 32, 2) : round(c + 273.15, 2);
  const speed = (kmh: number) => (units === 'imperial' ? round(kmh / 1.609344, 2) : round(kmh / 3.6, 2));
  return { temperature, speed };
}

function weatherOf(hour: SyntheticHour, isDay: boolean) {
  const [id, description, icon] = CONDITIONS[hour.weatherCode];
  return [{ id, main: id === 800 ? 'Clear' : MAIN[String(id)[0]], description, icon: `${icon}${isDay ? 'd' : 'n'}` }];
}

class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    super(JSON.stringify(body));
  }
}

export interface OpenWeatherEmulatorOptions {
  /** The only appid accepted; anything else gets 401. */
  apiKey?: string;
  /** The emulator's clock (ms). */
  now?: () => number;
}

/** One alert as One Call 3.0 gives it (https://openweathermap.org/api/one-call-3#hist_parameter). */
export interface OneCallAlert {
  sender_name: string;
  event: string;
  /** Unix seconds, UTC. */
  start: number;
  end: number;
  description: string;
  tags: string[];
}

export interface OpenWeatherEmulator extends EmulatorControl {
  apiKey: string;
  /** Issues these alerts for a city of the emulator's (by its name), replacing those it had. */
  setAlerts(city: string, alerts: OneCallAlert[]): void;
}

/** Starts the emulator; point OpenWeatherProvider's `baseUrl` at `url`. */
export async function startOpenWeatherEmulator(options: OpenWeatherEmulatorOptions = {}): Promise<OpenWeatherEmulator> {
  const apiKey = options.apiKey ?? DEFAULT_OPENWEATHER_KEY;
  const now = options.now ?? Date.now;

  const coordinates = (query: URLSearchParams) => {
    const lat = query.get('lat');
    const lon = query.get('lon');
    if (lat === null || lon === null) throw new ApiError(400, { cod: '400', message: 'Nothing to geocode' });
    const latitude = Number(lat);
    const longitude = Number(lon);
    if (!Number.isFinite(latitude) || Math.abs(latitude) > 90)
      throw new ApiError(400, { cod: '400', message: 'wrong latitude' });
    if (!Number.isFinite(longitude) || Math.abs(longitude) > 180)
      throw new ApiError(400, { cod: '400', message: 'wrong longitude' });
    return { latitude, longitude };
  };

  /** The nearest known city stands for the coordinates, as OpenWeather's own lookup does. */
  const cityAt = (latitude: number, longitude: number, at: number) => {
    const nearest = CITIES.map((city) => ({
      city,
      distance: Math.hypot(city.location.lat - latitude, city.location.lon - longitude),
    })).sort((a, b) => a.distance - b.distance)[0];
    const city = nearest && nearest.distance < 0.5 ? nearest.city : null;
    const timezone = city ? offsetOf(city.zone, at) : Math.round(longitude / 15) * 3600;
    const { sunrise, sunset } = sunTimes(latitude, longitude, at + timezone * 1000);
    return {
      id: city?.cityId ?? 0,
      name: city?.location.name ?? '',
      country: city?.location.country ?? '',
      population: city?.population ?? 0,
      timezone,
      sunrise: Math.round(sunrise / 1000),
      sunset: Math.round(sunset / 1000),
    };
  };

  const direct = (query: URLSearchParams): unknown => {
    const q = query.get('q');
    if (!q) throw new ApiError(400, { cod: '400', message: 'Nothing to geocode' });
    const limit = Math.min(5, Math.max(1, Number(query.get('limit') ?? '5') || 5));
    // q is "{city name},{state code},{country code}"; the emulator honours the name and a country code.
    const [name, ...rest] = q.split(',').map((part) => part.trim());
    const country = rest.length ? rest[rest.length - 1].toUpperCase() : null;
    const wanted = normalizeName(name);
    return CITIES.filter(({ location }) => {
      const names = [location.name, ...Object.values(location.local_names ?? {})].map(normalizeName);
      return names.includes(wanted) && (country === null || country.length !== 2 || location.country === country);
    })
      .slice(0, limit)
      .map((city) => city.location);
  };

  const current = (query: URLSearchParams): unknown => {
    const { latitude, longitude } = coordinates(query);
    const units = unitsOf(query);
    const dt = Math.floor(now() / 600_000) * 600;
    const hour = syntheticHour(latitude, longitude, dt * 1000);
    const city = cityAt(latitude, longitude, dt * 1000);
    const isDay = dt >= city.sunrise && dt < city.sunset;
    const body: Record<string, unknown> = {
      coord: { lon: round(longitude, 4), lat: round(latitude, 4) },
      weather: weatherOf(hour, isDay),
      base: 'stations',
      main: {
        temp: units.temperature(hour.temperature),
        feels_like: units.temperature(hour.apparentTemperature),
        temp_min: units.temperature(hour.temperature - 0.8),
        temp_max: units.temperature(hour.temperature + 0.6),
        pressure: Math.round(hour.pressure),
        humidity: hour.humidity,
        sea_level: Math.round(hour.pressure),
        grnd_level: Math.round(hour.pressure) - 6,
      },
      visibility: hour.weatherCode === 45 ? 800 : 10000,
      wind: { speed: units.speed(hour.windSpeed), deg: hour.windDirection, gust: units.speed(hour.windGusts) },
      clouds: { all: hour.cloudCover },
      dt,
      sys: {
        type: 2,
        id: 2000000 + (city.id % 100000),
        country: city.country,
        sunrise: city.sunrise,
        sunset: city.sunset,
      },
      timezone: city.timezone,
      id: city.id,
      name: city.name,
      cod: 200,
    };
    if (hour.precipitation > 0) body[hour.snowfall > 0 ? 'snow' : 'rain'] = { '1h': round(hour.precipitation, 2) };
    return body;
  };

  const forecast = (query: URLSearchParams): unknown => {
    const { latitude, longitude } = coordinates(query);
    const units = unitsOf(query);
    const count = Math.min(40, Math.max(1, Number(query.get('cnt') ?? '40') || 40));
    const first = (Math.floor(now() / 10_800_000) + 1) * 10_800;
    const city = cityAt(latitude, longitude, now());
    const list = Array.from({ length: count }, (_, i) => {
      const dt = first + i * 10_800;
      const hours = [2, 1, 0].map((back) => syntheticHour(latitude, longitude, (dt - back * 3600) * 1000));
      const hour = hours[2];
      const { sunrise, sunset } = sunTimes(latitude, longitude, dt * 1000 + city.timezone * 1000);
      const isDay = dt * 1000 >= sunrise && dt * 1000 < sunset;
      const precipitation = round(
        hours.reduce((total, h) => total + h.precipitation, 0),
        2,
      );
      const worst = hours.reduce((a, b) => (b.weatherCode > a.weatherCode ? b : a));
      const item: Record<string, unknown> = {
        dt,
        main: {
          temp: units.temperature(hour.temperature),
          feels_like: units.temperature(hour.apparentTemperature),
          temp_min: units.temperature(Math.min(...hours.map((h) => h.temperature))),
          temp_max: units.temperature(Math.max(...hours.map((h) => h.temperature))),
          pressure: Math.round(hour.pressure),
          sea_level: Math.round(hour.pressure),
          grnd_level: Math.round(hour.pressure) - 6,
          humidity: hour.humidity,
          temp_kf: 0,
        },
        weather: weatherOf(worst, isDay),
        clouds: { all: hour.cloudCover },
        wind: { speed: units.speed(hour.windSpeed), deg: hour.windDirection, gust: units.speed(hour.windGusts) },
        visibility: worst.weatherCode === 45 ? 800 : 10000,
        pop: round(Math.max(...hours.map((h) => h.precipitationProbability)) / 100, 2),
        sys: { pod: isDay ? 'd' : 'n' },
        dt_txt: new Date(dt * 1000).toISOString().replace('T', ' ').slice(0, 19),
      };
      if (precipitation > 0) item[hours.some((h) => h.snowfall > 0) ? 'snow' : 'rain'] = { '3h': precipitation };
      return item;
    });
    return {
      cod: '200',
      message: 0,
      cnt: list.length,
      list,
      city: {
        id: city.id,
        name: city.name,
        coord: { lat: round(latitude, 4), lon: round(longitude, 4) },
        country: city.country,
        population: city.population,
        timezone: city.timezone,
        sunrise: city.sunrise,
        sunset: city.sunset,
      },
    };
  };

  const alerts = new Map<string, OneCallAlert[]>();
  /** One Call 3.0 with everything but the alerts excluded, as the client asks for them. */
  const oneCall = (query: URLSearchParams): unknown => {
    const { latitude, longitude } = coordinates(query);
    const city = cityAt(latitude, longitude, now());
    const zone = CITIES.find((known) => known.location.name === city.name)?.zone ?? 'UTC';
    const issued = alerts.get(city.name) ?? [];
    return {
      lat: round(latitude, 4),
      lon: round(longitude, 4),
      timezone: zone,
      timezone_offset: city.timezone,
      // One Call leaves the key out when nothing is issued.
      ...(issued.length > 0 && { alerts: issued }),
    };
  };

  const control = await serveEmulator({
    answer(path, query): Answer {
      try {
        if (query.get('appid') !== apiKey) throw new ApiError(401, INVALID_KEY);
        if (path === '/geo/1.0/direct') return { status: 200, body: direct(query) };
        if (path === '/data/2.5/weather') return { status: 200, body: current(query) };
        if (path === '/data/2.5/forecast') return { status: 200, body: forecast(query) };
        if (path === '/data/3.0/onecall') return { status: 200, body: oneCall(query) };
        return { status: 404, body: { cod: '404', message: 'Internal error' } };
      } catch (error) {
        if (error instanceof ApiError) return { status: error.status, body: error.body };
        throw error;
      }
    },
    errorBody: (status) =>
      status === 429
        ? {
            cod: 429,
            message:
              'Your account is temporary blocked due to exceeding of requests limitation of your subscription type. Please choose the proper subscription https://openweathermap.org/price',
          }
        : { cod: status, message: 'Internal error' },
    partial(path, body) {
      const copy = structuredClone(body) as any;
      if (path === '/geo/1.0/direct' && Array.isArray(copy))
        return copy.map(({ lat: _lat, ...rest }: Record<string, unknown>) => rest);
      if (path === '/data/2.5/weather') delete copy.main;
      if (path === '/data/2.5/forecast') delete copy.list;
      return copy;
    },
  });
  return { ...control, apiKey, setAlerts: (city, issued) => alerts.set(city, issued) };
}
