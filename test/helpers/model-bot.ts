/**
 * The bot with a model: a temp data folder with its registry, a local Open-Meteo on a fixed
 * clock (so the facts a model is taught are the facts the bot will see), and the scripted
 * conversations a tiny model is taught for the model-path tests.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp, type App } from '../../bot/app';
import { buildFacts } from '../../bot/answers/facts';
import { loadConfig, type Config } from '../../bot/config';
import type { WeatherFacts, WeatherQuery } from '../../bot/core/domain';
import { createLogger } from '../../bot/core/log';
import { answerPrompt, queryPrompt, queryText } from '../../bot/core/protocol';
import { understandByRules } from '../../bot/understanding/rules';
import { createWeatherProvider } from '../../bot/weather/factory';
import { WeatherService } from '../../bot/weather/service';
import type { ChatExample } from '../../training/encoding';
import { openRegistry, registryPath, type ModelRegistry } from '../../training/registry';
import { startOpenMeteoEmulator, type OpenMeteoEmulator } from '../emulators/openmeteo';

/** The emulator's clock: a Wednesday afternoon in Paris. */
export const FIXED_NOW = Date.parse('2026-11-25T15:00:00Z');

export interface ModelWorld {
  emulator: OpenMeteoEmulator;
  dataDir: string;
  registry: ModelRegistry;
  /** The variables the bot runs with (a child process gets these too). */
  env: Record<string, string>;
  /** What the bot will see for a query (metric: every scripted place is outside the US). */
  factsFor(query: WeatherQuery): Promise<WeatherFacts>;
  close(): Promise<void>;
}

export async function createModelWorld(): Promise<ModelWorld> {
  const emulator = await startOpenMeteoEmulator({ now: () => FIXED_NOW });
  const dataDir = await mkdtemp(join(tmpdir(), 'weatherbot-model-'));
  const env = {
    DATA_DIR: dataDir,
    OPEN_METEO_GEOCODING_URL: emulator.geocodingUrl,
    OPEN_METEO_FORECAST_URL: emulator.forecastUrl,
    WEATHER_TIMEOUT_MS: '2000',
    WEATHER_RETRIES: '0',
    RATE_LIMIT_PER_MINUTE: '10000',
    LOG_LEVEL: 'debug',
    MODEL_TIMEOUT_MS: '30000',
  };
  const registry = await openRegistry(registryPath(dataDir), { fsync: false });
  const config = loadConfig(env);
  const weather = new WeatherService(createWeatherProvider(config.weather), { timeoutMs: 2000, retries: 0, ttlMs: 0 });
  return {
    emulator,
    dataDir,
    registry,
    env,
    async factsFor(query) {
      const place = await weather.resolvePlace(query.location!, query.region);
      return buildFacts(await weather.forecast(place, 'metric'), query);
    },
    async close() {
      await emulator.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export interface RunningApp extends App {
  config: Config;
  /** Every log line, in order. */
  logs: string[];
}

/** The real app wiring on the world's data folder; `env` adds or overrides variables. */
export async function startApp(world: ModelWorld, env: Record<string, string> = {}): Promise<RunningApp> {
  const config = loadConfig({ ...world.env, ...env });
  const logs: string[] = [];
  const app = await createApp(
    config,
    createLogger(config.logLevel, config.secrets, (line) => void logs.push(line)),
  );
  return { ...app, config, logs };
}

/** A scripted case: what the model is taught to write for a message. */
export interface ScriptedCase {
  message: string;
  /** The model's text for step 1: a query's JSON, or junk. */
  written: string;
  /** The query step 2 is prompted with (the one the guard lets through). */
  query: WeatherQuery;
  answer: string;
}

const weatherQuery = (message: string): WeatherQuery => {
  const rules = understandByRules(message);
  if (!rules.weather) throw new Error(`the rules do not read "${message}" as a weather question`);
  return rules;
};

/**
 * Three cases, one per path:
 * - `used`: a valid query (its aspect differs from the rules' reading, so whose query was used shows) and a grounded
 * answer;
 * - `ungrounded`: a valid query and an answer with a number no fact holds;
 * - `junk`: taught text that is no JSON query — decoded under the query grammar it comes out `{"weather":false}`, so
 * the rules' query stands in — then a grounded answer.
 */
export function scriptedCases(
  answers: { used: string } = { used: 'Take a coat in Paris.' },
): Record<'used' | 'ungrounded' | 'junk', ScriptedCase> {
  const used = { ...weatherQuery('weather in Paris tomorrow?'), aspect: 'rain' as const };
  const ungrounded = weatherQuery('weather in Tokyo this weekend');
  const junk = weatherQuery('is it windy in London');
  return {
    used: { message: 'weather in Paris tomorrow?', written: queryText(used), query: used, answer: answers.used },
    ungrounded: {
      message: 'weather in Tokyo this weekend',
      written: queryText(ungrounded),
      query: ungrounded,
      answer: 'Tokyo will be 987 degrees.',
    },
    junk: { message: 'is it windy in London', written: '{"weather":maybe', query: junk, answer: 'London is breezy.' },
  };
}

/** Both turns of every case as training conversations, with the facts the bot will see. */
export async function scriptedExamples(world: ModelWorld, cases: ScriptedCase[]): Promise<ChatExample[]> {
  const examples: ChatExample[] = [];
  for (const c of cases) {
    examples.push({ messages: [...queryPrompt(c.message), { role: 'assistant', content: c.written }] });
    examples.push({
      messages: [
        ...answerPrompt(c.message, c.query, await world.factsFor(c.query)),
        { role: 'assistant', content: c.answer },
      ],
    });
  }
  return examples;
}
