import type { Condition, DailyForecast, HourlyForecast, Place, UnitSystem, WeatherReport } from '../../bot/core/domain';

/**
 * A deterministic WeatherReport for unit tests of the answer side: 8 days from `today`, hourly for
 * the first 48 hours, values that differ by day and hour so a wrong pick shows.
 */
export function makeReport(
  options: { today?: string; hour?: number; units?: UnitSystem; place?: Partial<Place>; condition?: Condition } = {},
): WeatherReport {
  const today = options.today ?? '2026-11-25';
  const hour = options.hour ?? 14;
  const units = options.units ?? 'metric';
  const condition = options.condition ?? { code: 'partly-cloudy', text: 'partly cloudy' };
  const rain: Condition = { code: 'rain', text: 'moderate rain' };
  const base = new Date(`${today}T00:00:00Z`).getTime();
  const date = (offset: number) => new Date(base + offset * 86_400_000).toISOString().slice(0, 10);
  const pad = (n: number) => String(n).padStart(2, '0');
  const daily: DailyForecast[] = Array.from({ length: 8 }, (_, d) => ({
    date: date(d),
    temperatureMax: 14.4 + d,
    temperatureMin: 6.2 + d,
    feelsLikeMax: 12.6 + d,
    feelsLikeMin: 3.1 + d,
    precipitationProbability: d === 1 ? 80 : 10 + d,
    precipitationSum: d === 1 ? 6.44 : 0,
    snowfallSum: 0,
    windSpeedMax: 20 + d,
    windGustMax: 41 + d,
    windDirection: 225,
    humidityMean: 70 + d,
    condition: d === 1 ? rain : condition,
    sunrise: `${date(d)}T07:4${d}`,
    sunset: `${date(d)}T16:5${d}`,
    uvIndexMax: 2 + d,
  }));
  const hourly: HourlyForecast[] = Array.from({ length: 48 }, (_, h) => ({
    time: `${date(Math.floor(h / 24))}T${pad(h % 24)}:00`,
    temperature: 10 - (h % 24 >= 18 ? (h % 24) - 17 : 0) + (h >= 24 ? 3 : 0),
    feelsLike: 8 - (h % 24 >= 18 ? (h % 24) - 17 : 0),
    humidity: 60 + (h % 24),
    precipitationProbability: h % 24 >= 20 ? 55 : 5,
    precipitation: h % 24 >= 20 ? 0.4 : 0,
    snowfall: 0,
    windSpeed: 10 + (h % 7),
    windGust: 25 + (h % 7),
    windDirection: 180 + h,
    condition: h % 24 >= 20 ? rain : condition,
    uvIndex: h % 24 >= 10 && h % 24 <= 15 ? 2 : 0,
  }));
  return {
    provider: 'open-meteo',
    place: {
      name: 'Paris',
      region: 'Île-de-France',
      country: 'France',
      countryCode: 'FR',
      latitude: 48.85,
      longitude: 2.35,
      timezone: 'Europe/Paris',
      utcOffsetSeconds: 3600,
      ...options.place,
    },
    units,
    current: {
      time: `${today}T${pad(hour)}:00`,
      temperature: 11.6,
      feelsLike: 9.4,
      humidity: 77,
      precipitation: 0,
      windSpeed: 14.8,
      windGust: 30.2,
      windDirection: 250,
      condition,
      uvIndex: 1.2,
      isDay: true,
    },
    hourly,
    daily,
    fetchedAt: `${today}T13:00:00Z`,
  };
}
