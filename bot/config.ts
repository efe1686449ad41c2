import { cleanEnv, makeValidator, str, url, EnvMissingError, type Spec } from 'envalid';
import { existsSync } from 'node:fs';
import type { UnitSystem } from './domain';

/** Start-up stops with one line naming the variable and what it expects. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

const integer = (min: number, max: number) =>
  makeValidator<number>((raw) => {
    const value = Number(raw);
    if (!/^-?\d+$/.test(raw.trim()) || value < min || value > max) throw new Error('not in range');
    return value;
  });

/** Variables whose values must never be echoed, even in a config error. */
export const SECRET_VARIABLES = ['OPENWEATHER_API_KEY', 'STORE_SALT'] as const;

const specs = {
  DATA_DIR: str({ default: 'data', desc: 'a folder for runtime state (dataset, preferences, models)' }),
  STORE_SALT: str({ default: '', desc: 'a secret string of at least 16 characters used to hash user and channel ids (default: generated into DATA_DIR/.salt)' }),
  WEATHER_PROVIDER: str({ choices: ['auto', 'openmeteo', 'openweather'], default: 'auto', desc: 'one of auto, openmeteo, openweather' }),
  OPENWEATHER_API_KEY: str({ default: '', desc: 'an OpenWeather API key (required when WEATHER_PROVIDER=openweather)' }),
  OPENWEATHER_BASE_URL: url({ default: 'https://api.openweathermap.org/', desc: 'an http(s) URL of the OpenWeather API' }),
  OPEN_METEO_GEOCODING_URL: url({ default: 'https://geocoding-api.open-meteo.com/v1/search', desc: 'an http(s) URL of an Open-Meteo geocoding search endpoint' }),
  OPEN_METEO_FORECAST_URL: url({ default: 'https://api.open-meteo.com/v1/forecast', desc: 'an http(s) URL of an Open-Meteo forecast endpoint' }),
  WEATHER_TIMEOUT_MS: integer(100, 120_000)({ default: 5000, desc: 'a whole number of milliseconds from 100 to 120000' }),
  WEATHER_RETRIES: integer(0, 5)({ default: 2, desc: 'a whole number from 0 to 5' }),
  WEATHER_CACHE_TTL_SECONDS: integer(0, 86_400)({ default: 600, desc: 'a whole number of seconds from 0 to 86400' }),
  DEFAULT_UNITS: str({ choices: ['auto', 'metric', 'imperial'], default: 'auto', desc: 'one of auto (by country), metric, imperial' }),
  RATE_LIMIT_PER_MINUTE: integer(1, 10_000)({ default: 12, desc: 'a whole number of messages per user per minute, from 1 to 10000' }),
  MAX_MESSAGE_LENGTH: integer(20, 4000)({ default: 500, desc: 'a whole number of characters from 20 to 4000' }),
  LOG_LEVEL: str({ choices: ['debug', 'info', 'warn', 'error', 'silent'], default: 'info', desc: 'one of debug, info, warn, error, silent' }),
};

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

export interface Config {
  dataDir: string;
  storeSalt: string | null;
  weather: {
    provider: 'openmeteo' | 'openweather';
    openWeatherApiKey: string | null;
    openWeatherBaseUrl: string;
    openMeteoGeocodingUrl: string;
    openMeteoForecastUrl: string;
    timeoutMs: number;
    retries: number;
    cacheTtlMs: number;
  };
  defaultUnits: UnitSystem | null;
  rateLimitPerMinute: number;
  maxMessageLength: number;
  logLevel: LogLevel;
  /** Values to scrub from anything logged. */
  secrets: string[];
}

function describe(name: string, spec: Spec<unknown>, env: Record<string, string | undefined>): string {
  const expects = spec.desc ?? 'a valid value';
  const raw = env[name];
  const secret = (SECRET_VARIABLES as readonly string[]).includes(name);
  const got = raw === undefined || secret ? '' : ` (got "${raw}")`;
  return `${name} must be ${expects}${got}`;
}

/** Validates the environment into a Config, or throws ConfigError naming the first bad variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const clean = cleanEnv(env, specs, {
    reporter: ({ errors }) => {
      const [name, error] = Object.entries(errors)[0] ?? [];
      if (!name) return;
      const spec = specs[name as keyof typeof specs] as Spec<unknown>;
      throw new ConfigError(error instanceof EnvMissingError ? `${name} is required: ${spec.desc}` : describe(name, spec, env));
    },
  });

  const apiKey = clean.OPENWEATHER_API_KEY.trim() || null;
  if (clean.WEATHER_PROVIDER === 'openweather' && !apiKey) {
    throw new ConfigError('OPENWEATHER_API_KEY is required when WEATHER_PROVIDER=openweather: an OpenWeather API key');
  }
  const salt = clean.STORE_SALT || null;
  if (salt !== null && salt.length < 16) {
    throw new ConfigError(`STORE_SALT must be ${specs.STORE_SALT.desc}`);
  }
  const provider = clean.WEATHER_PROVIDER === 'auto' ? (apiKey ? 'openweather' : 'openmeteo') : clean.WEATHER_PROVIDER;

  return {
    dataDir: clean.DATA_DIR,
    storeSalt: salt,
    weather: {
      provider,
      openWeatherApiKey: apiKey,
      openWeatherBaseUrl: clean.OPENWEATHER_BASE_URL,
      openMeteoGeocodingUrl: clean.OPEN_METEO_GEOCODING_URL,
      openMeteoForecastUrl: clean.OPEN_METEO_FORECAST_URL,
      timeoutMs: clean.WEATHER_TIMEOUT_MS,
      retries: clean.WEATHER_RETRIES,
      cacheTtlMs: clean.WEATHER_CACHE_TTL_SECONDS * 1000,
    },
    defaultUnits: clean.DEFAULT_UNITS === 'auto' ? null : clean.DEFAULT_UNITS,
    rateLimitPerMinute: clean.RATE_LIMIT_PER_MINUTE,
    maxMessageLength: clean.MAX_MESSAGE_LENGTH,
    logLevel: clean.LOG_LEVEL,
    secrets: [apiKey, salt].filter((s): s is string => Boolean(s)),
  };
}

/** Reads `.env` from the working directory when present; variables already set win. */
export function loadDotEnv(path = '.env'): void {
  if (existsSync(path)) process.loadEnvFile(path);
}
