import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IncomingMessage, Role } from '../../bot/chat/message';
import { createApp, type App } from '../../bot/app';
import { loadConfig } from '../../bot/config';
import { createLogger, type Logger } from '../../bot/core/log';
import { startOpenMeteoEmulator, type OpenMeteoEmulator } from '../emulators/openmeteo';

export interface TestBot extends App {
  emulator: OpenMeteoEmulator;
  dataDir: string;
  logs: string[];
  /** The variables the bot was configured with, for child processes. */
  env: Record<string, string>;
  stop(): Promise<void>;
}

/** The real app wiring (config -> store, weather, assistant) on a temp data dir and a local Open-Meteo emulator. */
export async function startTestBot(extraEnv: Record<string, string> = {}): Promise<TestBot> {
  const emulator = await startOpenMeteoEmulator();
  const dataDir = await mkdtemp(join(tmpdir(), 'weatherbot-test-'));
  const env = {
    DATA_DIR: dataDir,
    OPEN_METEO_GEOCODING_URL: emulator.geocodingUrl,
    OPEN_METEO_FORECAST_URL: emulator.forecastUrl,
    WEATHER_TIMEOUT_MS: '1000',
    WEATHER_RETRIES: '1',
    LOG_LEVEL: 'debug',
    ...extraEnv,
  };
  const config = loadConfig(env);
  const logs: string[] = [];
  const log: Logger = createLogger(config.logLevel, config.secrets, (line) => void logs.push(line));
  const app = await createApp(config, log);
  return {
    ...app,
    emulator,
    dataDir,
    logs,
    env,
    async stop() {
      await app.close();
      await emulator.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** A message from a user with the given roles in one test channel. */
export function message(
  text: string,
  options: { user?: string; roles?: Role[]; channel?: string; platform?: string } = {},
): IncomingMessage {
  const user = options.user ?? 'user-1';
  return {
    platform: options.platform ?? 'test',
    channelId: options.channel ?? 'channel-1',
    author: { id: user, name: user, roles: options.roles ?? [] },
    text,
  };
}
