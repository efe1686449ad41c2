import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { message, startTestBot, type TestBot } from '../helpers/bot';

let bot: TestBot;
beforeEach(async () => {
  bot = await startTestBot();
});
afterEach(async () => {
  await bot.stop();
});

const ask = (text: string, options?: Parameters<typeof message>[1]) => bot.assistant.handle(message(text, options));
const moderator = { roles: ['moderator' as const], user: 'mod-1' };

async function allStoredText(): Promise<string> {
  const dir = join(bot.dataDir, 'store', 'exchanges');
  const files = await readdir(dir);
  return (await Promise.all(files.map((f) => readFile(join(dir, f), 'utf8')))).join('\n');
}

describe('the assistant, end to end on the real store and a local Open-Meteo', () => {
  test('answers a weather question with live data and captures the exchange as pending', async () => {
    const reply = await ask('will it rain in Paris tomorrow?');
    expect(reply.kind).toBe('weather');
    expect(reply.text).toMatch(/tomorrow \(\w{3} \d+ \w{3}\) in Paris, Île-de-France, FR/);
    expect(reply.text).toMatch(/\d+% chance of rain/);
    const stored = await bot.store.get(reply.exchangeId!);
    expect(stored).toMatchObject({
      question: 'will it rain in Paris tomorrow?',
      query: { weather: true, location: 'Paris', when: 'tomorrow', aspect: 'rain' },
      source: { understanding: 'rules', answer: 'template' },
      answer: reply.text,
      error: null,
      moderation: { status: 'pending' },
    });
    expect(stored!.facts!.periods[0]).toHaveProperty('precipitationChance');
    expect(bot.emulator.requestCount('/v1/forecast')).toBe(1);
  });

  test('region qualifiers pick the right place, and units follow the country, the user and the message', async () => {
    expect((await ask('temperature in Paris, TX')).text).toMatch(/\d+°F in Paris, Texas, US/);
    expect((await ask('temperature in Paris, TX in celsius')).text).toMatch(/°C/);
    expect((await ask('/units c')).text).toMatch(/°C, km\/h and mm/);
    expect((await ask('temperature in Paris, TX')).text).toMatch(/°C/);
    expect((await ask('temperature in Paris, TX', { user: 'someone-else' })).text).toMatch(/°F/);
  });

  test('no place named: asks, then uses the saved location', async () => {
    expect((await ask('is it windy?')).kind).toBe('clarify');
    expect((await ask('/setlocation Tokyo')).text).toBe(
      'Saved your location: Tokyo, JP. Now just ask “will it rain tomorrow?”.',
    );
    const reply = await ask('is it windy?');
    expect(reply.kind).toBe('weather');
    expect(reply.text).toMatch(/Tokyo, JP: wind \d+ km\/h/);
  });

  test('an unknown place, an outage and small talk get short friendly replies', async () => {
    const unknown = await ask('weather in Xyzzyville tomorrow');
    expect(unknown.text).toBe(
      "I couldn't find “Xyzzyville”. Check the spelling, or add the region or country — e.g. “Paris, TX”.",
    );
    expect((await bot.store.get(unknown.exchangeId!))!.error).toBe('place-not-found');

    bot.emulator.failNext('http-500', 10);
    const down = await ask('weather in London');
    expect(down.kind).toBe('error');
    expect(down.text).toMatch(/weather service isn't answering/);
    expect((await bot.store.get(down.exchangeId!))!.error).toBe('provider-down');

    const before = bot.emulator.requests.length;
    const joke = await ask('tell me a joke about Paris');
    expect(joke.kind).toBe('smalltalk');
    expect(bot.emulator.requests.length).toBe(before);
  });

  test('a day past the forecast is answered with how far it reaches, never with today', async () => {
    for (const question of ['weather in Paris in 40 days', 'will it rain in Tokyo in 3 weeks?']) {
      const reply = await ask(question);
      expect(reply.text).toMatch(/^I can only see \d+ days ahead/);
      expect((await bot.store.get(reply.exchangeId!))!.error).toBe('beyond-horizon');
    }
  });

  test('only moderators moderate; approvals, rejections and corrections are stored with who and when', async () => {
    const answer = await ask('weather in Tokyo');
    expect((await ask('/approve')).kind).toBe('refused');
    expect((await bot.store.get(answer.exchangeId!))!.moderation.status).toBe('pending');
    expect(bot.logs.some((line) => line.includes('command refused'))).toBe(true);

    expect((await ask('/approve', moderator)).text).toBe(`Approved ✅ — exchange ${answer.exchangeId}.`);
    const approved = await bot.store.get(answer.exchangeId!);
    expect(approved!.moderation).toMatchObject({ status: 'approved', correction: null });
    expect(approved!.moderation.by).toMatch(/^test:[0-9a-f]{16}$/);
    expect(Date.parse(approved!.moderation.at!)).toBeGreaterThan(Date.now() - 60_000);

    await ask('/correct Tokyo is mild and dry today.', moderator);
    expect((await bot.store.get(answer.exchangeId!))!.moderation).toMatchObject({
      status: 'corrected',
      correction: 'Tokyo is mild and dry today.',
    });

    const other = await ask('wind in London');
    await ask(`/reject ${answer.exchangeId}`, moderator);
    expect((await bot.store.get(answer.exchangeId!))!.moderation.status).toBe('rejected');
    expect((await bot.store.get(other.exchangeId!))!.moderation.status).toBe('pending');
  });

  test('a malformed or unknown exchange id is refused with a clear reply and changes nothing', async () => {
    const answer = await ask('weather in Tokyo');
    const wrong = ['/approve ../../etc/passwd', '/reject 42', '/approve 00001-0003', '/approve 999999-9999'];
    for (const command of wrong) {
      const reply = await ask(command, moderator);
      expect(reply.text).toMatch(/exchange/);
      expect(reply.text).not.toMatch(/^(Approved|Rejected)/);
    }
    const correction = await ask('/correct 00001-0003 Chicago stays dry all day.', moderator);
    expect(correction.text).toMatch(
      /^\/correct: exchange must be an exchange id such as 000042-0137, not “00001-0003”/,
    );
    expect(await bot.store.countByStatus()).toMatchObject({ approved: 0, rejected: 0, corrected: 0 });
    expect((await bot.store.get(answer.exchangeId!))!.moderation.status).toBe('pending');
  });

  test('control and escape characters are stripped before anything is stored or echoed; echoes are cut short', async () => {
    const clearScreen = '\x1b[2J\x1b[H';
    const saved = await ask(`/setlocation ${clearScreen}Tokyo\u0007\u202e`);
    expect(saved.text).toBe('Saved your location: Tokyo, JP. Now just ask “will it rain tomorrow?”.');
    const question = await ask(`weather in\u0000 Tokyo${clearScreen} tomorrow\u0085`);
    const stored = (await bot.store.get(question.exchangeId!))!;
    expect(stored.question).toBe('weather in Tokyo tomorrow');
    expect(await allStoredText()).not.toMatch(/\\u00(0[0-8]|1[b-f])|\\u001b|\\u0085|\\u202e/i);

    const unknown = await ask(`weather in ${'Q'.repeat(480)}`);
    expect(unknown.text.length).toBeLessThan(160);
    expect(unknown.text).toMatch(/q…”/i);
  });

  test('text inside a message never triggers a command', async () => {
    const answer = await ask('weather in Tokyo');
    await ask('please /approve this one', moderator);
    expect((await bot.store.get(answer.exchangeId!))!.moderation.status).toBe('pending');
  });

  test('raw user and channel ids never reach the disk', async () => {
    await ask('weather in Tokyo', { user: 'discord-user-8812', channel: 'channel-secret-77' });
    const text = await allStoredText();
    expect(text).not.toContain('discord-user-8812');
    expect(text).not.toContain('channel-secret-77');
  });

  test('input guards: length cap and per-user rate limit', async () => {
    expect((await ask('x'.repeat(501))).text).toMatch(/too long/);
    const replies = [];
    for (let i = 0; i < 14; i++) replies.push(await ask('hello', { user: 'chatty' }));
    expect(replies.slice(0, 11).every((r) => r.kind === 'smalltalk')).toBe(true);
    expect(replies.at(-1)!.kind).toBe('limited');
    expect((await ask('hello', { user: 'calm' })).kind).toBe('smalltalk');
  });

  test('/help lists commands by role', async () => {
    const member = (await ask('/help')).text;
    expect(member).toContain('/weather <place> [when]');
    expect(member).not.toContain('/approve');
    expect((await ask('/help', moderator)).text).toContain('/approve');
    expect((await ask('/frobnicate')).text).toBe(
      "I don't know the command /frobnicate. Type /help to see what I can do.",
    );
  });

  test('/weather takes a place and a time', async () => {
    const reply = await ask('/weather São Paulo tomorrow');
    expect(reply.text).toMatch(/^Tomorrow \(.*\) in São Paulo, BR/);
    expect((await bot.store.get(reply.exchangeId!))!.source.understanding).toBe('command');
  });

  test('/weather without a place answers for the saved one; options typed wrong are answered with what to type', async () => {
    await ask('/setlocation Tokyo');
    expect((await ask('/weather')).text).toMatch(/Tokyo, JP/);
    expect((await ask('/units kelvin')).text).toBe('Use /units c (°C, km/h, mm) or /units f (°F, mph, in).');
    expect((await ask('/approve that one', moderator)).text).toBe(
      '/approve: exchange must be an exchange id such as 000042-0137, not “that”. Usage: /approve [exchange-id]',
    );
    expect(await ask('/setlocation channel London')).toEqual({
      kind: 'refused',
      text: 'Only moderators can set the channel location.',
    });
    expect((await ask('/setlocation server London', moderator)).text).toMatch(
      /^Saved this channel's location: London, /,
    );
  });
});

describe('platform slash commands', () => {
  let bot: TestBot;
  beforeEach(async () => {
    bot = await startTestBot();
  });
  afterEach(async () => {
    await bot.stop();
  });

  test('a command without arguments runs', async () => {
    const reply = await bot.assistant.command(message(''), { name: 'help', options: {} });
    expect(reply.text).toMatch(/^Ask me about the weather in plain words/);
  });

  test('moderators are not rate-limited while clearing a backlog', async () => {
    const answer = await bot.assistant.handle(message('weather in Tokyo'));
    const replies = [];
    for (let i = 0; i < 20; i++)
      replies.push(
        await bot.assistant.command(message('', { roles: ['moderator'], user: 'mod' }), {
          name: 'approve',
          options: { exchange: answer.exchangeId! },
        }),
      );
    expect(replies.every((r) => r.kind === 'command')).toBe(true);
  });
});
