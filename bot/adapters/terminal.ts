import { mkdir, writeFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Assistant } from '../assistant/assistant';
import type { Author, Reply } from '../chat/message';

export interface TerminalOptions {
  input?: NodeJS.ReadableStream;
  output?: NodeJS.WritableStream;
  /** Whoever runs the bot on their own terminal owns it: admin and moderator by default. */
  author?: Author;
  /** Printed once after the banner (e.g. how to get the model). */
  notice?: string;
  /** A reply slower than this (a /retrain) arrives when ready while the chat goes on. */
  longReplyMs?: number;
  /** Where a reply's picture is saved, its path said, since a terminal cannot show it. Default: not saved. */
  pictureDir?: string;
}

const LONG_REPLY_MS = 5000;

const BANNER = [
  'WeatherBot — terminal chat. Ask about the weather anywhere, e.g. “Will it rain in Paris tomorrow?”',
  'Moderate the last answer with /approve or /reject; teach me what I misread with /correct place=… when=… aspect=…',
  '(or /correct <better answer>). /help lists commands; /quit leaves.',
];

/** Platform I/O only: lines in, the assistant's replies out. Resolves when the input ends or on /quit. */
export async function runTerminal(assistant: Assistant, options: TerminalOptions = {}): Promise<void> {
  const input = options.input ?? process.stdin;
  const output = options.output ?? process.stdout;
  const name = userInfo().username;
  const author = options.author ?? { id: name, name, roles: ['admin', 'moderator'] };
  const interactive = 'isTTY' in output && Boolean(output.isTTY);
  const lines = createInterface({ input, output, terminal: interactive, prompt: 'you › ' });
  const say = (text: string) => speak(output, text);

  output.write(BANNER.join('\n') + '\n');
  for (const notice of [assistant.notice, options.notice]) if (notice) output.write(notice + '\n');
  // Replies come in order; one that takes long stops holding the prompt, so the chat goes on.
  const inFlight = new Set<Promise<void>>();
  let quit = false;
  lines.prompt();
  for await (const line of lines) {
    const text = line.trim();
    quit = text === '/quit' || text === '/exit';
    if (quit) break;
    if (text) {
      const reply = assistant
        .handle({ platform: 'terminal', channelId: 'terminal', author, text, direct: true }, { onProgress: say })
        .then(
          async (r) => say(shown(r) + (await savedPicture(r, options.pictureDir))),
          () => say('Something went wrong on my side. Please try again.'),
        );
      inFlight.add(reply);
      void reply.finally(() => inFlight.delete(reply));
      await Promise.race([
        reply,
        new Promise((resolve) => setTimeout(resolve, options.longReplyMs ?? LONG_REPLY_MS).unref()),
      ]);
    }
    lines.prompt();
  }
  lines.close();
  // At the end of piped input, wait for the last replies; /quit leaves at once (a running job is cancelled).
  if (!quit) await Promise.all(inFlight);
}

/** Writes the bot's words into the chat, continued lines indented under the first. */
function speak(output: NodeJS.WritableStream, text: string): void {
  output.write(`bot › ${text.split('\n').join('\n      ')}\n`);
}

/** A reply's words: its text, and its note under it. */
const shown = (reply: Reply) => [reply.text, reply.note].filter(Boolean).join('\n');

/** Posts a reply nobody asked for just now (a subscribed forecast) into the chat on `output`. */
export function postInto(output: NodeJS.WritableStream = process.stdout): (reply: Reply) => void {
  return (reply) => speak(output, shown(reply));
}

/** Saves the reply's picture, if any, into `dir`; what to add to the reply's text about it. */
async function savedPicture({ image }: Reply, dir: string | undefined): Promise<string> {
  if (!image || !dir) return '';
  const file = join(dir, `${new Date().toISOString().replace(/[-:]/g, '').slice(0, 15)}-${image.name}`);
  try {
    await mkdir(dir, { recursive: true });
    await writeFile(file, image.png);
    return `\n(picture: ${file})`;
  } catch {
    return '\n(the picture could not be saved)';
  }
}
