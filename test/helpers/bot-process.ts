/**
 * Child process of the crash tests: the bot's own wiring (`createApp`, as `npm start` builds it:
 * config, the lowdb store in DATA_DIR, the weather service, the assistant and its commands) on a
 * local Open-Meteo, chatting in `lanes` channels at once until it is killed.
 *
 *   node --import tsx test/helpers/bot-process.ts <data dir> capture <lanes>
 *   node --import tsx test/helpers/bot-process.ts <data dir> moderate <lanes> [file of exchange ids]
 *
 * capture: each lane asks weather questions, one after another. moderate: each lane asks a
 * question, then moderates (/approve, /reject or /correct by id, as a moderator) the oldest
 * exchange not yet moderated — first those listed in the file (earlier runs' exchanges, in older
 * chunks), then this run's. Every id is moderated once at most.
 *
 * stdout, one JSON object a line: `{"ready":true}`, then `{"asking":n}` before a question and
 * `{"captured":id,"n","question","answer"}` once its reply is back (an acknowledged capture), and
 * `{"moderating":id,"status"}` before a moderation and `{"moderated":id,"status","correction"}` once
 * the command has replied (an acknowledged moderation).
 */
import { mkdir, readFile } from 'node:fs/promises';
import { createApp } from '../../bot/app';
import { loadConfig } from '../../bot/config';
import { createLogger } from '../../bot/core/log';
import { startOpenMeteoEmulator } from '../emulators/openmeteo';
import { message } from './bot';

const BOT_PROCESS_QUESTIONS = [
  'weather in Paris tomorrow',
  'will it rain in London tonight?',
  'how windy is it in Tokyo',
  'snow in Reykjavík this weekend?',
  'humidity in Sydney today',
  'is it hot in New York',
  'hello there',
] as const;

export type BotProcessEvent =
  | { ready: true }
  | { asking: number }
  | { captured: string; n: number; question: string; answer: string }
  | { moderating: string; status: ModerationStatus }
  | { moderated: string; status: ModerationStatus; correction: string | null };

type ModerationStatus = 'approved' | 'rejected' | 'corrected';

const COMMAND: Record<ModerationStatus, string> = { approved: 'approve', rejected: 'reject', corrected: 'correct' };
const DONE: Record<ModerationStatus, string> = {
  approved: 'Approved',
  rejected: 'Rejected',
  corrected: 'Correction saved',
};
const STATUSES: ModerationStatus[] = ['approved', 'rejected', 'corrected'];

async function main([dataDir, mode, lanes, backlogFile]: string[]): Promise<void> {
  if (mode !== 'capture' && mode !== 'moderate') throw new Error(`unknown mode ${mode}`);
  await mkdir(dataDir, { recursive: true });
  const emulator = await startOpenMeteoEmulator();
  const config = loadConfig({
    DATA_DIR: dataDir,
    OPEN_METEO_GEOCODING_URL: emulator.geocodingUrl,
    OPEN_METEO_FORECAST_URL: emulator.forecastUrl,
    RATE_LIMIT_PER_MINUTE: '10000',
    MODEL: 'off',
    LOG_LEVEL: 'warn',
  });
  const app = await createApp(
    config,
    createLogger(config.logLevel, config.secrets, (line) => void process.stderr.write(`${line}\n`)),
  );
  const say = (event: BotProcessEvent) => void process.stdout.write(`${JSON.stringify(event)}\n`);
  const backlog = backlogFile ? (await readFile(backlogFile, 'utf8')).split('\n').filter(Boolean) : [];
  let next = 0;
  let moderations = 0;

  const ask = async (lane: number) => {
    const n = next++;
    const question = BOT_PROCESS_QUESTIONS[n % BOT_PROCESS_QUESTIONS.length];
    say({ asking: n });
    const reply = await app.assistant.handle(message(question, { user: `user-${lane}`, channel: `lane-${lane}` }));
    if (!reply.exchangeId) throw new Error(`"${question}" was not captured: ${reply.text}`);
    say({ captured: reply.exchangeId, n, question, answer: reply.text });
    if (mode === 'moderate') backlog.push(reply.exchangeId);
  };

  const moderateOne = async (lane: number) => {
    const id = backlog.shift();
    if (!id) return;
    const status = STATUSES[moderations++ % STATUSES.length];
    // No digits: a corrected answer may hold only numbers its weather holds.
    const correction = status === 'corrected' ? `A better answer, by lane ${String.fromCharCode(97 + lane)}.` : null;
    say({ moderating: id, status });
    const reply = await app.assistant.handle(
      message(`/${COMMAND[status]} ${id}${correction ? ` ${correction}` : ''}`, {
        user: 'moderator-1',
        roles: ['moderator'],
        channel: `moderation-${lane}`,
      }),
    );
    if (!reply.text.startsWith(DONE[status])) throw new Error(`moderating ${id} failed: ${reply.text}`);
    say({ moderated: id, status, correction });
  };

  say({ ready: true });
  await Promise.all(
    Array.from({ length: Number(lanes) }, async (_, lane) => {
      for (;;) {
        await ask(lane);
        if (mode === 'moderate') await moderateOne(lane);
      }
    }),
  );
}

await main(process.argv.slice(2));
