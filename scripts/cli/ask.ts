import { createApp } from '../../bot/app';
import { loadConfig, loadDotEnv } from '../../bot/config';
import { createLogger } from '../../bot/core/log';

/**
 * The reply the assistant would give, through the chat's pipeline (the active model, when there
 * is one; `--rules` for rules and templates alone); it reads preferences and captures nothing.
 */
export async function run(args: string[]): Promise<number> {
  const rulesOnly = args.includes('--rules');
  const text = args.filter((arg) => arg !== '--rules').join(' ');
  if (!text.trim()) return 2;
  loadDotEnv();
  const loaded = loadConfig();
  const config = rulesOnly ? { ...loaded, model: { ...loaded.model, enabled: false } } : loaded;
  const log = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel, config.secrets);
  const app = await createApp(config, log, { readOnly: true });
  try {
    const reply = await app.assistant.handle({
      platform: 'cli',
      channelId: 'cli',
      author: { id: 'cli', roles: [] },
      text,
    });
    process.stdout.write(reply.text + '\n');
  } finally {
    await app.close();
  }
  return 0;
}
