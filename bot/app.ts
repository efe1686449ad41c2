import { join } from 'node:path';
import { Assistant } from './assistant/assistant';
import type { Config } from './config';
import type { Logger } from './log';
import { openStore } from './store/lowdb-store';
import type { Store } from './store/store';
import { understandByRules } from './understanding/rules';
import { createWeatherProvider } from './weather/factory';
import { WeatherService } from './weather/service';

export interface App {
  assistant: Assistant;
  store: Store;
  close(): Promise<void>;
}

export interface AppOptions {
  /** One-off runs (the `ask` CLI) read preferences but capture nothing and take no store lock. */
  readOnly?: boolean;
}

/** Wires config into the shared parts every adapter uses: store, weather, assistant. */
export async function createApp(config: Config, log: Logger, options: AppOptions = {}): Promise<App> {
  const store = await openStore({ dir: join(config.dataDir, 'store'), salt: config.storeSalt ?? undefined, readOnly: options.readOnly });
  const weather = new WeatherService(createWeatherProvider(config.weather), {
    timeoutMs: config.weather.timeoutMs,
    retries: config.weather.retries,
    ttlMs: config.weather.cacheTtlMs,
  });
  const assistant = new Assistant({
    store,
    weather,
    understand: understandByRules,
    log,
    rateLimitPerMinute: config.rateLimitPerMinute,
    maxMessageLength: config.maxMessageLength,
    defaultUnits: config.defaultUnits,
    capture: !options.readOnly,
  });
  return { assistant, store, close: () => store.close() };
}
