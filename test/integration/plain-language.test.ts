/**
 * Every reply a user can see is in plain user language: no file paths, no function names, no
 * library or JavaScript jargon. Scanned in the reply catalogue and, on the real app, in what every
 * command answers to arguments that go wrong (paths, calls, unknown ids, junk), for an admin and a
 * member.
 */
import { replies } from '../../bot/chat/replies';
import { commands } from '../../bot/commands';
import { message, startTestBot, type TestBot } from '../helpers/bot';

/** What a user should never read: a path of two or more parts, a call, a source file, JS values, error names. */
const DEVELOPER_LANGUAGE =
  /(?:^|[\s(“"'])\.{0,2}\/[\w.-]+\/[\w./-]*|\b\w+\(\)|\.(?:ts|js|mjs|json|jsonl|lock)\b|\b(?:readOnly|undefined|null|NaN|ENOENT|EACCES|EEXIST|ECONNREFUSED|TypeError|RangeError|Error:|at Object|\[object)\b/;

/** Every catalogue entry, its functions called with a sample argument. */
function catalogue(): [string, string][] {
  return Object.entries(replies).map(([name, entry]) => [
    name,
    typeof entry === 'function' ? (entry as (...args: unknown[]) => string)('Paris', 'moderator') : entry,
  ]);
}

test('DEVELOPER_LANGUAGE finds what it is meant to find', () => {
  const found = [
    'see ../../../etc/model.onnx',
    'Could not activate: see history()',
    'readers open it with readOnly',
    'TypeError: x is undefined',
    'the file store.lock is held',
    'at /work/data/models/v3',
  ];
  for (const text of found) expect(text).toMatch(DEVELOPER_LANGUAGE);
  const plain = ['Use /units c (°C, km/h, mm).', 'See /model history.', 'It is 12°C in Paris, TX.', 'and/or'];
  for (const text of plain) expect(text).not.toMatch(DEVELOPER_LANGUAGE);
});

test('the reply catalogue is in plain words', () => {
  const entries = catalogue();
  expect(entries.length).toBeGreaterThan(5);
  for (const [name, text] of entries)
    expect({ name, text }).toEqual({ name, text: expect.not.stringMatching(DEVELOPER_LANGUAGE) });
});

describe('what every command answers when its arguments go wrong', () => {
  let bot: TestBot;
  beforeAll(async () => {
    bot = await startTestBot({ MODEL: 'off' });
    await bot.assistant.handle(message('weather in Tokyo'));
  });
  afterAll(() => bot.stop());

  const WRONG = [
    '../../../etc',
    '/etc/passwd',
    'history()',
    '999999-9999',
    'v9999-20260101T0000Z',
    'null',
    '-1',
    'x'.repeat(300),
  ];
  const subcommands: Record<string, string[]> = {
    model: ['', 'status', 'history', 'rollback', 'activate', 'activate ../../../etc', 'rollback ../../../etc'],
    dataset: ['', 'stats', 'export ../../../etc'],
  };
  const senders = { admin: { roles: ['admin' as const], user: 'ada' }, member: { user: 'mem' } };

  test.each(Object.keys(senders))('for %s', async (sender) => {
    const from = senders[sender as keyof typeof senders];
    for (const command of commands) {
      // A bare /retrain starts a training run: its replies are checked by the retrain tests.
      const args = [...WRONG, ...(subcommands[command.name] ?? []), ...(command.name === 'retrain' ? [] : [''])];
      for (const arg of args) {
        const text = `/${command.name} ${arg}`.trim();
        const reply = await bot.assistant.handle(message(text, from));
        // What the user typed comes back in “quotes”; that is their language, not the bot's.
        const own = reply.text.replace(/“[^”]*”/g, '“…”');
        expect({ text, reply: own }).toEqual({ text, reply: expect.not.stringMatching(DEVELOPER_LANGUAGE) });
      }
    }
  });
});
