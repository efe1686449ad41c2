import { userInfo } from 'node:os';
import { createInterface } from 'node:readline';
import type { Assistant } from '../assistant/assistant';
import type { Author } from '../assistant/message';

export interface TerminalOptions {
  input?: NodeJS.ReadableStream;
  output?: NodeJS.WritableStream;
  /** Whoever runs the bot on their own terminal owns it: admin and moderator by default. */
  author?: Author;
  /** Printed once after the banner (e.g. how to get the model). */
  notice?: string;
}

const BANNER = [
  'WeatherBot — terminal chat. Ask about the weather anywhere, e.g. “Will it rain in Paris tomorrow?”',
  'Moderate the last answer with /approve, /reject or /correct <better answer>. /help lists commands; /quit leaves.',
];

/** Platform I/O only: lines in, the assistant's replies out. Resolves when the input ends or on /quit. */
export async function runTerminal(assistant: Assistant, options: TerminalOptions = {}): Promise<void> {
  const input = options.input ?? process.stdin;
  const output = options.output ?? process.stdout;
  const name = userInfo().username;
  const author = options.author ?? { id: name, name, roles: ['admin', 'moderator'] };
  const interactive = 'isTTY' in output && Boolean(output.isTTY);
  const lines = createInterface({ input, output, terminal: interactive, prompt: 'you › ' });
  const say = (text: string) => output.write(`bot › ${text.split('\n').join('\n      ')}\n`);

  output.write(BANNER.join('\n') + '\n');
  for (const notice of [assistant.notice, options.notice]) if (notice) output.write(notice + '\n');
  lines.prompt();
  for await (const line of lines) {
    const text = line.trim();
    if (text === '/quit' || text === '/exit') break;
    if (text) {
      const reply = await assistant.handle({ platform: 'terminal', channelId: 'terminal', author, text });
      say(reply.text);
    }
    lines.prompt();
  }
  lines.close();
}
