import { createWriteStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { runTerminal } from './adapters/terminal';
import { createApp } from './app';
import { ConfigError, loadConfig, loadDotEnv, type Config } from './config';
import { createLogger } from './log';

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
  // The terminal chat owns the screen, so its logs go to a file beside the data.
  mkdirSync(config.dataDir, { recursive: true });
  const logFile = join(config.dataDir, 'weatherbot.log');
  const logStream = createWriteStream(logFile, { flags: 'a' });
  const log = createLogger(config.logLevel, config.secrets, (line) => void logStream.write(line + '\n'));
  const app = await createApp(config, log);
  const shutdown = async () => {
    await app.close();
    process.exit(0);
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);

  log.info('starting the terminal chat', { provider: config.weather.provider });
  await runTerminal(app.assistant, { notice: `(logs: ${logFile})` });
  await app.close();
}

main().catch((error) => {
  process.stderr.write(`WeatherBot stopped: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
