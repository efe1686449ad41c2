import { OpenMeteoProvider } from './openmeteo';
import { OpenWeatherProvider } from './openweather';
import type { WeatherProvider } from './provider';

export interface WeatherProviderOptions {
  provider?: 'openmeteo' | 'openweather';
  openWeatherApiKey?: string | null;
  openWeatherBaseUrl?: string;
  openMeteoGeocodingUrl?: string;
  openMeteoForecastUrl?: string;
}

/** OpenWeather when asked for or when a key is given, else Open-Meteo (no key needed). */
export function createWeatherProvider(options: WeatherProviderOptions = {}): WeatherProvider {
  const apiKey = options.openWeatherApiKey?.trim();
  if (options.provider === 'openweather' || (options.provider === undefined && apiKey)) {
    if (!apiKey) throw new Error('The OpenWeather provider needs an API key (OPENWEATHER_API_KEY)');
    return new OpenWeatherProvider({ apiKey, baseUrl: options.openWeatherBaseUrl });
  }
  return new OpenMeteoProvider({
    geocodingUrl: options.openMeteoGeocodingUrl,
    forecastUrl: options.openMeteoForecastUrl,
  });
}
