import { cleanEnv, makeValidator, str, url, EnvMissingError, type Spec } from 'envalid';
import { existsSync } from 'node:fs';
import cron from 'node-cron';
import type { UnitSystem } from './core/domain';
import { MODEL_DTYPES, type ModelDtype } from './core/generation';
import type { LogLevel } from './core/log';

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

const decimal = (min: number, max: number) =>
  makeValidator<number>((raw) => {
    const value = Number(raw);
    if (!/^\d*\.?\d+$/.test(raw.trim()) || value < min || value > max) throw new Error('not in range');
    return value;
  });

/** Variables whose values must never be echoed, even in a config error. */
export const SECRET_VARIABLES = [
  'OPENWEATHER_API_KEY',
  'STORE_SALT',
  'DISCORD_TOKEN',
  'SLACK_BOT_TOKEN',
  'SLACK_APP_TOKEN',
  'SLACK_SIGNING_SECRET',
] as const;

const cronExpression = makeValidator<string>((raw) => {
  if (!cron.validate(raw.trim())) throw new Error('not a cron expression');
  return raw.trim();
});

const idList = makeValidator<string[]>((raw) => {
  const ids = raw
    .split(',')
    .map((id) => id.trim())
    .filter(Boolean);
  if (ids.some((id) => !/^[\w-]+$/.test(id))) throw new Error('not an id list');
  return ids;
});

const specs = {
  DATA_DIR: str({ default: 'data', desc: 'a folder for runtime state (dataset, preferences, models)' }),
  STORE_SALT: str({
    default: '',
    desc: 'a secret string of at least 16 characters used to hash user and channel ids (default: generated into DATA_DIR/store/.salt)',
  }),
  WEATHER_PROVIDER: str({
    choices: ['auto', 'openmeteo', 'openweather'],
    default: 'auto',
    desc: 'one of auto, openmeteo, openweather',
  }),
  OPENWEATHER_API_KEY: str({
    default: '',
    desc: 'an OpenWeather API key (required when WEATHER_PROVIDER=openweather)',
  }),
  OPENWEATHER_BASE_URL: url({
    default: 'https://api.openweathermap.org/',
    desc: 'an http(s) URL of the OpenWeather API',
  }),
  OPEN_METEO_GEOCODING_URL: url({
    default: 'https://geocoding-api.open-meteo.com/v1/search',
    desc: 'an http(s) URL of an Open-Meteo geocoding search endpoint',
  }),
  OPEN_METEO_FORECAST_URL: url({
    default: 'https://api.open-meteo.com/v1/forecast',
    desc: 'an http(s) URL of an Open-Meteo forecast endpoint',
  }),
  WEATHER_TIMEOUT_MS: integer(
    100,
    120_000,
  )({ default: 5000, desc: 'a whole number of milliseconds from 100 to 120000' }),
  WEATHER_RETRIES: integer(0, 5)({ default: 2, desc: 'a whole number from 0 to 5' }),
  WEATHER_CACHE_TTL_SECONDS: integer(0, 86_400)({ default: 600, desc: 'a whole number of seconds from 0 to 86400' }),
  DEFAULT_UNITS: str({
    choices: ['auto', 'metric', 'imperial'],
    default: 'auto',
    desc: 'one of auto (by country), metric, imperial',
  }),
  RATE_LIMIT_PER_MINUTE: integer(
    1,
    10_000,
  )({ default: 12, desc: 'a whole number of messages per user per minute, from 1 to 10000' }),
  MAX_MESSAGE_LENGTH: integer(20, 4000)({ default: 500, desc: 'a whole number of characters from 20 to 4000' }),
  LOG_LEVEL: str({
    choices: ['debug', 'info', 'warn', 'error', 'silent'],
    default: 'info',
    desc: 'one of debug, info, warn, error, silent',
  }),

  MODEL: str({
    choices: ['auto', 'off'],
    default: 'auto',
    desc: 'one of auto (use the active model when there is one), off (rules and templates only)',
  }),
  MODEL_DTYPE: str({
    choices: [...MODEL_DTYPES],
    default: 'q8',
    desc: 'one of q8 (int8 weights: faster, less memory), fp32 (the weights as trained)',
  }),
  MODEL_MAX_NEW_TOKENS: integer(8, 512)({ default: 96, desc: 'a whole number of tokens from 8 to 512' }),
  MODEL_TIMEOUT_MS: integer(
    100,
    60_000,
  )({ default: 4000, desc: 'a whole number of milliseconds from 100 to 60000 (per generation step)' }),
  BASE_MODEL: str({
    default: 'HuggingFaceTB/SmolLM2-135M-Instruct',
    desc: 'a hub repo id, a local HF model folder, or tiny',
  }),
  RETRAIN_CRON: cronExpression({
    default: '0 3 * * *',
    desc: 'a cron expression (minute hour day month weekday), e.g. 0 3 * * * for 03:00 nightly',
  }),
  RETRAIN_MIN_NEW: integer(
    0,
    1_000_000,
  )({ default: 20, desc: 'a whole number of new approved or corrected exchanges needed before a scheduled retrain' }),
  RETRAIN_EVERYDAY_TOLERANCE: decimal(
    0,
    1,
  )({
    default: 0.005,
    desc: 'a number from 0 to 1: how much worse than now a retrained model may read everyday messages when it reads what moderators taught better (e.g. 0.005)',
  }),

  DISCORD_TOKEN: str({ default: '', desc: 'a Discord bot token (Developer Portal > your app > Bot > Reset Token)' }),
  DISCORD_APPLICATION_ID: str({
    default: '',
    desc: 'the Discord application id (Developer Portal > General Information), needed to deploy slash commands',
  }),
  DISCORD_GUILD_ID: str({
    default: '',
    desc: 'a Discord server id to deploy slash commands to (empty: global commands)',
  }),
  DISCORD_MODERATOR_ROLE: str({
    default: '',
    desc: 'a Discord role id or name whose members may approve and correct answers (Manage Messages also works)',
  }),
  DISCORD_ADMIN_ROLE: str({
    default: '',
    desc: 'a Discord role id or name whose members may retrain and manage models (Administrator also works)',
  }),
  DISCORD_API_URL: url({
    default: 'https://discord.com/api',
    desc: 'an http(s) URL of the Discord REST API (change only for a proxy or a local emulator)',
  }),

  SLACK_BOT_TOKEN: str({ default: '', desc: 'a Slack bot token starting with xoxb- (OAuth & Permissions)' }),
  SLACK_APP_TOKEN: str({
    default: '',
    desc: 'a Slack app-level token starting with xapp- with connections:write (needed for Socket Mode)',
  }),
  SLACK_SIGNING_SECRET: str({
    default: '',
    desc: 'the Slack signing secret (Basic Information), needed for HTTP mode',
  }),
  SLACK_MODE: str({ choices: ['socket', 'http'], default: 'socket', desc: 'one of socket, http' }),
  SLACK_PORT: integer(1, 65_535)({ default: 3000, desc: 'a TCP port from 1 to 65535 for Slack HTTP mode' }),
  SLACK_MODERATORS: idList({
    default: [],
    desc: 'a comma-separated list of Slack user ids (U…) who may approve and correct answers',
  }),
  SLACK_MODERATOR_GROUP: str({
    default: '',
    desc: 'a Slack user group id (S…) whose members may approve and correct answers',
  }),
  SLACK_ADMINS: idList({
    default: [],
    desc: 'a comma-separated list of Slack user ids (U…) who may retrain and manage models',
  }),
  SLACK_API_URL: url({
    default: 'https://slack.com/api/',
    desc: 'an http(s) URL of the Slack Web API (change only for a proxy or a local emulator)',
  }),
};

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
  model: {
    enabled: boolean;
    /** The weights served, evaluated and gated (a folder without int8 weights serves fp32). */
    dtype: ModelDtype;
    maxNewTokens: number;
    timeoutMs: number;
    /** What /retrain fine-tunes: a hub repo, a local folder, or "tiny". */
    base: string;
  };
  retrain: {
    cron: string;
    minNew: number;
    /** The gate's everydayTolerance (training/jobs/gate.ts). */
    everydayTolerance: number;
  };
  /** Null when DISCORD_TOKEN is not set. */
  discord: {
    token: string;
    applicationId: string | null;
    guildId: string | null;
    moderatorRole: string | null;
    adminRole: string | null;
    apiUrl: string;
  } | null;
  /** Null when SLACK_BOT_TOKEN is not set. */
  slack: {
    botToken: string;
    appToken: string | null;
    signingSecret: string | null;
    mode: 'socket' | 'http';
    port: number;
    moderators: string[];
    moderatorGroup: string | null;
    admins: string[];
    apiUrl: string;
  } | null;
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
      throw new ConfigError(
        error instanceof EnvMissingError ? `${name} is required: ${spec.desc}` : describe(name, spec, env),
      );
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
  const orNull = (value: string) => value.trim() || null;
  const slackBotToken = orNull(clean.SLACK_BOT_TOKEN);
  if (slackBotToken && !slackBotToken.startsWith('xoxb-'))
    throw new ConfigError(`SLACK_BOT_TOKEN must be ${specs.SLACK_BOT_TOKEN.desc}`);
  if (slackBotToken && clean.SLACK_MODE === 'socket' && !clean.SLACK_APP_TOKEN.startsWith('xapp-')) {
    throw new ConfigError(`SLACK_APP_TOKEN is required when SLACK_MODE=socket: ${specs.SLACK_APP_TOKEN.desc}`);
  }
  if (slackBotToken && clean.SLACK_MODE === 'http' && !clean.SLACK_SIGNING_SECRET) {
    throw new ConfigError(`SLACK_SIGNING_SECRET is required when SLACK_MODE=http: ${specs.SLACK_SIGNING_SECRET.desc}`);
  }
  const discordToken = orNull(clean.DISCORD_TOKEN);

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
    model: {
      enabled: clean.MODEL === 'auto',
      dtype: clean.MODEL_DTYPE as ModelDtype,
      maxNewTokens: clean.MODEL_MAX_NEW_TOKENS,
      timeoutMs: clean.MODEL_TIMEOUT_MS,
      base: clean.BASE_MODEL,
    },
    retrain: {
      cron: clean.RETRAIN_CRON,
      minNew: clean.RETRAIN_MIN_NEW,
      everydayTolerance: clean.RETRAIN_EVERYDAY_TOLERANCE,
    },
    discord: discordToken
      ? {
          token: discordToken,
          applicationId: orNull(clean.DISCORD_APPLICATION_ID),
          guildId: orNull(clean.DISCORD_GUILD_ID),
          moderatorRole: orNull(clean.DISCORD_MODERATOR_ROLE),
          adminRole: orNull(clean.DISCORD_ADMIN_ROLE),
          apiUrl: clean.DISCORD_API_URL,
        }
      : null,
    slack: slackBotToken
      ? {
          botToken: slackBotToken,
          appToken: orNull(clean.SLACK_APP_TOKEN),
          signingSecret: orNull(clean.SLACK_SIGNING_SECRET),
          mode: clean.SLACK_MODE,
          port: clean.SLACK_PORT,
          moderators: clean.SLACK_MODERATORS,
          moderatorGroup: orNull(clean.SLACK_MODERATOR_GROUP),
          admins: clean.SLACK_ADMINS,
          apiUrl: clean.SLACK_API_URL,
        }
      : null,
    secrets: [
      apiKey,
      salt,
      discordToken,
      slackBotToken,
      orNull(clean.SLACK_APP_TOKEN),
      orNull(clean.SLACK_SIGNING_SECRET),
    ].filter((s): s is string => Boolean(s)),
  };
}

/** Reads `.env` from the working directory when present; variables already set win. */
export function loadDotEnv(path = '.env'): void {
  if (existsSync(path)) process.loadEnvFile(path);
}
