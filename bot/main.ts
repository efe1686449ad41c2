import { createWriteStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Adapter } from './adapters/adapter';
import { createDiscordAdapter } from './adapters/discord/adapter';
import { createSlackAdapter } from './adapters/slack/adapter';
import { postInto, runTerminal } from './adapters/terminal';
import { createApp } from './app';
import { ConfigError, loadConfig, loadDotEnv, type Config } from './config';
import { createLogger, type Logger } from './core/log';
import { ForecastSchedule, type PostForecast } from './forecasts';
import { startSchedule } from './schedule';

function platformAdapters(config: Config, app: Awaited<ReturnType<typeof createApp>>, log: Logger): Adapter[] {
  const adapters: Adapter[] = [];
  if (config.discord) adapters.push(createDiscordAdapter(app.assistant, config.discord, log));
  if (config.slack) adapters.push(createSlackAdapter(app.assistant, config.slack, log));
  return adapters;
}

/** `npm start`: every platform whose tokens are set; the terminal chat when none are. */
async function main(): Promise<void> {
  loadDotEnv();
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`Configuration error: ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const terminal = !config.discord && !config.slack;
  // The terminal chat owns the screen, so its logs go to a file beside the data.
  mkdirSync(config.dataDir, { recursive: true });
  const logFile = join(config.dataDir, 'weatherbot.log');
  const logStream = terminal ? createWriteStream(logFile, { flags: 'a' }) : null;
  const log = createLogger(
    config.logLevel,
    config.secrets,
    logStream ? (line) => void logStream.write(line + '\n') : undefined,
  );
  const app = await createApp(config, log);
  const adapters = platformAdapters(config, app, log);
  const schedule =
    app.operations &&
    startSchedule({
      cron: config.retrain.cron,
      minNew: config.retrain.minNew,
      runner: app.operations.jobs,
      store: app.store,
      registry: app.operations.registry,
      log,
      retrain: app.operations.retrain,
    });
  const posters: Record<string, PostForecast> = terminal
    ? { terminal: async (_, reply) => postInto(process.stdout)(reply) }
    : Object.fromEntries(adapters.map((adapter) => [adapter.name, (s, reply) => adapter.post(s.channelId, reply)]));
  const forecasts = new ForecastSchedule({
    store: app.store,
    forecast: (subscription) => app.assistant.forecast(subscription),
    alerts: (subscription) => app.assistant.alerts(subscription),
    posters,
    log,
  });

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await forecasts.stop();
    await schedule?.stop();
    await Promise.allSettled(adapters.map((adapter) => adapter.stop()));
    await app.close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);

  if (terminal) {
    log.info('starting the terminal chat', { provider: config.weather.provider });
    forecasts.start();
    await runTerminal(app.assistant, { notice: `(logs: ${logFile})`, pictureDir: join(config.dataDir, 'pictures') });
    await stop();
    return;
  }
  for (const adapter of adapters) {
    await adapter.start();
    log.info(`${adapter.name} connected`, { provider: config.weather.provider });
  }
  forecasts.start();
}

main().catch((error) => {
  process.stderr.write(`WeatherBot stopped: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
