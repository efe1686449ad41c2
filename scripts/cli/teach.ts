import { createInterface } from 'node:readline';
import { createApp } from '../../bot/app';
import type { IncomingMessage } from '../../bot/chat/message';
import { loadConfig, loadDotEnv } from '../../bot/config';
import { isUnderstanding } from '../../bot/core/domain';
import { createLogger } from '../../bot/core/log';
import { correctionOptions } from '../../bot/commands/moderation';

/** Where taught messages are asked, and by whom: an ordinary user, then the operator as moderator. */
const CHANNEL = 'cli-teach';
const asker = (text: string): IncomingMessage => ({
  platform: 'cli',
  channelId: CHANNEL,
  author: { id: 'cli-user', roles: [] },
  text,
});
const operator: IncomingMessage = {
  platform: 'cli',
  channelId: CHANNEL,
  author: { id: 'cli-operator', name: 'operator', roles: ['moderator'] },
  text: '/correct',
};

/**
 * JSONL on stdin, one lesson a line: `{"message": "...", "reading": {...}}`. Each message is asked as an ordinary
 * user's chat message, then corrected by a moderator to the reading through the path a chat correction takes; one
 * JSON line per lesson on stdout: the exchange, whether it was saved, the moderator's confirmation (with what was
 * learned) and the new answer. Takes the data folder's lock: stop the bot first.
 */
export async function run(args: string[]): Promise<number> {
  if (args.length > 0) return 2;
  loadDotEnv();
  const config = loadConfig();
  const log = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel, config.secrets);
  const app = await createApp(config, log);
  let failed = 0;
  try {
    const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
    for await (const line of lines) {
      if (!line.trim()) continue;
      const result = await teach(line, app.assistant);
      if (!result.saved) failed += 1;
      process.stdout.write(`${JSON.stringify(result)}\n`);
    }
  } finally {
    await app.close();
  }
  return failed > 0 ? 1 : 0;
}

type Assistant = Awaited<ReturnType<typeof createApp>>['assistant'];

async function teach(line: string, assistant: Assistant) {
  let lesson: { message?: unknown; reading?: unknown };
  try {
    lesson = JSON.parse(line) as typeof lesson;
  } catch {
    return { saved: false, error: 'not JSON' };
  }
  const { message, reading } = lesson;
  if (typeof message !== 'string' || !message.trim()) return { saved: false, error: 'message must be a text' };
  if (!isUnderstanding(reading)) return { message, saved: false, error: 'reading must be a query as parse prints it' };
  const asked = await assistant.handle(asker(message));
  if (!asked.exchangeId) return { message, saved: false, error: asked.text };
  const options = { exchange: asked.exchangeId, ...correctionOptions(reading) };
  const corrected = await assistant.command(operator, { name: 'correct', options });
  const saved = corrected.corrected !== undefined;
  const [said] = corrected.text.split('\n');
  return {
    message,
    exchange: asked.exchangeId,
    saved,
    ...(saved ? { confirmation: said, answer: corrected.corrected } : { error: said }),
  };
}
