import { join } from 'node:path';
import { SHIPPED_SEED_DIR } from '../training/dataset/seed';
import { JobRunner } from '../training/jobs/runner';
import { openRegistry, registryPath, type ModelRegistry } from '../training/registry';
import { Assistant } from './assistant/assistant';
import type { Config } from './config';
import type { Logger } from './core/log';
import { ModelRuntime } from './model/runtime';
import { fileAudit, type Operations } from './operations';
import { openStore } from './store/lowdb-store';
import type { Store } from './core/store';
import { understandByRules } from './understanding/rules';
import { createWeatherProvider } from './weather/factory';
import { WeatherService } from './weather/service';
import { storeLessons, TRAINING_JOB_ENTRY } from './training';

export interface App {
  assistant: Assistant;
  store: Store;
  /** The model runtime; null when the model is switched off (MODEL=off). */
  models: ModelRuntime | null;
  /** Training jobs and the registry; absent for read-only runs. */
  operations?: Operations;
  close(): Promise<void>;
}

export interface AppOptions {
  /**
   * One-off runs (the `ask` CLI) read preferences but capture nothing, take no store lock and do not follow the
   * registry.
   */
  readOnly?: boolean;
}

/** Wires config into the shared parts every adapter uses: store, weather, the model, assistant. */
export async function createApp(config: Config, log: Logger, options: AppOptions = {}): Promise<App> {
  const store = await openStore({
    dir: join(config.dataDir, 'store'),
    salt: config.storeSalt ?? undefined,
    readOnly: options.readOnly,
  });
  const weather = new WeatherService(createWeatherProvider(config.weather), {
    timeoutMs: config.weather.timeoutMs,
    retries: config.weather.retries,
    ttlMs: config.weather.cacheTtlMs,
  });
  const registry = await openRegistry(registryPath(config.dataDir));
  const models = config.model.enabled
    ? await ModelRuntime.start(registry, { log, watch: !options.readOnly, dtype: config.model.dtype })
    : null;
  const operations = options.readOnly ? undefined : createOperations(config, registry, log);
  const assistant = new Assistant({
    store,
    weather,
    understand: understandByRules,
    lessons: await storeLessons(store, log),
    model: models && { models, limits: { maxNewTokens: config.model.maxNewTokens, timeoutMs: config.model.timeoutMs } },
    log,
    rateLimitPerMinute: config.rateLimitPerMinute,
    maxMessageLength: config.maxMessageLength,
    defaultUnits: config.defaultUnits,
    capture: !options.readOnly,
    operations,
  });
  const notice = assistant.notice;
  if (notice) log.info(notice);
  return {
    assistant,
    store,
    models,
    operations,
    close: async () => {
      await operations?.jobs.close();
      await models?.close();
      await store.close();
    },
  };
}

function createOperations(config: Config, registry: ModelRegistry, log: Logger): Operations {
  return {
    jobs: new JobRunner({ dataDir: config.dataDir, entry: TRAINING_JOB_ENTRY, log }),
    registry,
    retrain: {
      base: config.model.base,
      storeSalt: config.storeSalt ?? undefined,
      gate: { everydayTolerance: config.retrain.everydayTolerance },
      dtype: config.model.dtype,
    },
    seedDir: SHIPPED_SEED_DIR,
    audit: fileAudit(join(config.dataDir, 'audit.jsonl')),
  };
}
