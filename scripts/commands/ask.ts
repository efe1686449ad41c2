import { createApp } from '../../bot/app';
import { loadConfig, loadDotEnv } from '../../bot/config';
import { createLogger } from '../../bot/log';

/** The reply the assistant would give, through the chat's pipeline; it reads preferences and captures nothing. */
export async function run(args: string[]): Promise<number> {
  if (args.length === 0) return 2;
  loadDotEnv();
  const config = loadConfig();
  const log = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel, config.secrets);
  const app = await createApp(config, log, { readOnly: true });
  try {
    const reply = await app.assistant.handle({ platform: 'cli', channelId: 'cli', author: { id: 'cli', roles: [] }, text: args.join(' ') });
    process.stdout.write(reply.text + '\n');
  } finally {
    await app.close();
  }
  return 0;
}
