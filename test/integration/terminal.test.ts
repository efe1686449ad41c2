import { PassThrough } from 'node:stream';
import { runTerminal } from '../../bot/adapters/terminal';
import { startTestBot, type TestBot } from '../helpers/bot';

let bot: TestBot;
beforeEach(async () => {
  bot = await startTestBot({ WEATHER_TIMEOUT_MS: '1500', WEATHER_RETRIES: '0' });
});
afterEach(async () => {
  await bot.stop();
});

/** Feeds lines one by one as a person would and collects what the chat prints. */
async function chat(lines: string[], longReplyMs: number): Promise<string[]> {
  const input = new PassThrough();
  const output = new PassThrough();
  let printed = '';
  output.on('data', (d) => (printed += d));
  const done = runTerminal(bot.assistant, {
    input,
    output,
    author: { id: 'owner', name: 'owner', roles: ['admin', 'moderator'] },
    longReplyMs,
  });
  for (const line of lines) {
    input.write(line + '\n');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  input.end();
  await done;
  // Without a TTY the prompt and the reply share a line: "you › bot › …".
  return printed
    .split('\n')
    .filter((line) => line.includes('bot › '))
    .map((line) => line.slice(line.indexOf('bot › ')));
}

test('a slow reply does not hold the chat: the next question is answered first, and the slow one still arrives', async () => {
  bot.emulator.failNext('hang', 1);
  const replies = await chat(['weather in Tokyo', 'weather in London'], 100);
  expect(replies).toHaveLength(2);
  expect(replies[0]).toMatch(/^bot › Right now in London/);
  expect(replies[1]).toMatch(/weather service isn't answering/);
});

test('fast replies keep their order, so moderation acts on the answer before it', async () => {
  const replies = await chat(['weather in Tokyo', '/approve'], 5000);
  expect(replies[0]).toMatch(/^bot › Right now in Tokyo/);
  expect(replies[1]).toMatch(/^bot › Approved ✅ — exchange \d{6}-\d{4}\.$/);
});
