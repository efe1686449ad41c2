/**
 * Structured corrections, end to end on the real app (store, weather service, a local Open-Meteo):
 * a moderator corrects what the bot understood and/or its answer; the weather is looked up again
 * and answered at once; the exchange keeps the original reading and the gold; undo takes it back;
 * training prepares the gold.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { prepareDataset } from '../../training/dataset/prepare';
import { message, startTestBot, type TestBot } from '../helpers/bot';

let bot: TestBot;
beforeEach(async () => {
  bot = await startTestBot({ MODEL: 'off' });
});
afterEach(() => bot.stop());

const moderator = { roles: ['moderator' as const], user: 'mo' };
const ask = (text: string, from: Parameters<typeof message>[1] = {}) => bot.assistant.handle(message(text, from));
const audit = async () =>
  (await readFile(join(bot.dataDir, 'audit.jsonl'), 'utf-8'))
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line));

test('a misread place is corrected: the asker gets the right weather now, the exchange keeps both readings', async () => {
  const question = await ask('how cold is it in the Big D right now');
  expect(question.kind).toBe('clarify');

  const fixed = await ask('/correct place=Dallas region=TX', moderator);
  expect(fixed.kind).toBe('weather');
  expect(fixed.text).toMatch(
    new RegExp(
      `^Correction saved ✏️ — exchange ${question.exchangeId}, read as Dallas, TX · now · temperature\\. ` +
        'Learned: “big d” means Dallas, TX\\.\\n',
    ),
  );
  expect(fixed.text).toMatch(/-?\d+°F in Dallas, Texas, US right now/);
  expect(fixed.facts!.place).toBe('Dallas, Texas, US');

  const stored = (await bot.store.get(question.exchangeId!))!;
  expect(stored.query).toMatchObject({ location: null, aspect: 'temperature' });
  expect(stored.moderation).toMatchObject({
    status: 'corrected',
    reading: { weather: true, location: 'Dallas', region: 'TX', when: 'now', aspect: 'temperature', units: null },
    facts: { place: 'Dallas, Texas, US', when: 'now' },
    correction: fixed.text.split('\n').slice(1).join('\n'),
  });
  expect(await audit()).toContainEqual(expect.objectContaining({ action: 'correct', target: question.exchangeId }));
});

test('fields combine with the original reading; quoted places; any order; the answer text after them', async () => {
  const question = await ask('will it rain in Paris tomorrow?');
  const fixed = await ask(`/correct ${question.exchangeId} aspect=wind place="New York" It will be breezy.`, moderator);
  expect(fixed.text).toMatch(/read as New York · tomorrow · wind\.\nIt will be breezy\.$/);
  expect((await bot.store.get(question.exchangeId!))!.moderation).toMatchObject({
    reading: { location: 'New York', region: null, when: 'tomorrow', aspect: 'wind' },
    correction: 'It will be breezy.',
  });
});

test('refusals change nothing: unknown field, unknown place, numbers the weather does not hold, nothing to correct', async () => {
  const question = await ask('weather in Tokyo');
  const refusals: [string, RegExp][] = [
    ['/correct colour=blue', /there is no option “colour=”; use weather=, place=, region=, when=, aspect= or units=/],
    ['/correct place=Xyzzyville', /^Not saved: I couldn't find “Xyzzyville”/],
    ['/correct when=tomorrow It will be 99 degrees.', /^Not saved: 99 is not in the weather for Tokyo, JP/],
    ['/correct It will be 99 degrees.', /^Not saved: 99 is not in the weather the answer was given/],
    ['/correct when=someday', /when must be now, today, tonight/],
    ['/correct', /^Say what to correct/],
  ];
  for (const [command, reply] of refusals) expect((await ask(command, moderator)).text).toMatch(reply);
  expect((await bot.store.get(question.exchangeId!))!.moderation.status).toBe('pending');
  expect((await ask('/correct place=Dallas')).kind).toBe('refused');
});

test('not a weather question: weather=no keeps no facts', async () => {
  const question = await ask('what is the weather like in your opinion of jazz');
  await ask('/correct weather=no', moderator);
  expect((await bot.store.get(question.exchangeId!))!.moderation).toMatchObject({
    status: 'corrected',
    reading: { weather: false },
    facts: null,
  });
});

test('/undo takes back one moderation at a time, audited', async () => {
  const question = await ask('weather in Tokyo');
  await ask('/approve', moderator);
  await ask('/correct place=Dallas', moderator);
  expect((await ask('/undo', moderator)).text).toBe(`Undone ↩️ — exchange ${question.exchangeId} is approved again.`);
  const restored = (await bot.store.get(question.exchangeId!))!.moderation;
  expect(restored.status).toBe('approved');
  expect(restored.reading).toBeUndefined();
  expect((await ask('/undo', moderator)).text).toMatch(/is pending again\.$/);
  expect((await ask('/undo', moderator)).text).toBe(`Exchange ${question.exchangeId} is not moderated.`);
  expect((await audit()).filter((entry) => entry.action === 'undo')).toHaveLength(2);
});

test('training takes the corrected reading, its facts and the grounded answer as the gold', async () => {
  const question = await ask('how cold is it in the Big D right now');
  await ask('/correct place=Dallas', moderator);
  const prepared = await prepareDataset({ store: bot.store, validationFraction: 0 });
  const gold =
    prepared.examples.find((example) => example.chat.messages[0]?.content.includes('Big D')) ??
    prepared.examples.find((example) => JSON.stringify(example.chat).includes('Big D'));
  expect(gold).toBeDefined();
  const [, , query, tool, answer] = gold!.chat.messages;
  expect(JSON.parse(query.content)).toMatchObject({ location: 'Dallas', when: 'now', aspect: 'temperature' });
  expect(JSON.parse(tool.content)).toMatchObject({ place: 'Dallas, Texas, US' });
  expect(answer.content).toMatch(/in Dallas, Texas, US right now/);
  expect(prepared.report.bySource.store).toBe(1);
  expect(question.exchangeId).toBeDefined();
});

describe('lessons: what a correction teaches is read into the next messages, with no retrain', () => {
  test('a nickname: "the Big D" corrected to Dallas reads as Dallas from then on, in other questions too', async () => {
    await ask('how cold is it in the Big D right now');
    await ask('/correct place=Dallas region=TX', moderator);
    const next = await ask('will it rain in Big D tomorrow?', { user: 'someone-else' });
    expect(next.kind).toBe('weather');
    expect(next.text).toMatch(/tomorrow \(.*\) in Dallas, Texas, US/i);
    expect((await bot.store.get(next.exchangeId!))!.query).toMatchObject({ location: 'Dallas', region: 'TX' });
  });

  test('a place the geocoder did not know, corrected, is a nickname; a found place replaced is not', async () => {
    await ask('rain in Cowtown tomorrow?');
    await ask('/correct place="Fort Worth"', moderator);
    expect((await ask('is it windy in cowtown')).text).toMatch(/Fort Worth, Texas, US/);
    await ask('weather in Paris');
    await ask('/correct place=Tokyo', moderator);
    expect((await ask('weather in Paris tomorrow')).text).toMatch(/Paris, Île-de-France, FR/);
  });

  test('words of another language: taught once, read in a message never seen; not in unrelated chat', async () => {
    const german = await ask('wird es morgen in Paris regnen?');
    expect(german.kind).toBe('smalltalk');
    const taught = await ask('/correct weather=yes place=Paris when=tomorrow aspect=rain', moderator);
    expect(taught.text).toMatch(/Learned: wird, es, morgen, regnen point to the weather, tomorrow, rain\./);
    const unseen = await ask('regnet es morgen in Tokyo?', { user: 'anna' });
    expect(unseen.kind).toBe('weather');
    expect((await bot.store.get(unseen.exchangeId!))!.query).toMatchObject({
      location: 'Tokyo',
      when: 'tomorrow',
      aspect: 'rain',
    });
    expect((await ask('guten Abend, wie geht es dir?', { user: 'anna' })).kind).toBe('smalltalk');
  });

  test('/dataset lessons lists them; /forget stops one, keeps the gold, and says so; lessons survive a restart', async () => {
    const question = await ask('how cold is it in the Big D right now');
    await ask('/correct place=Dallas region=TX', moderator);
    const admin = { roles: ['admin' as const, 'moderator' as const], user: 'ada' };
    expect((await ask('/model status', admin)).text).toMatch(
      /Lessons: 1 in use; no model trained on them yet \(\/dataset lessons\)\.$/,
    );
    expect((await ask('/dataset stats', moderator)).text).toMatch(/\nLessons: 1 in use; no model trained/);
    const listed = (await ask('/dataset lessons', moderator)).text;
    expect(listed).toContain(
      `${question.exchangeId} “how cold is it in the Big D right now” — “big d” means Dallas, TX`,
    );

    // A second app on the same data folder reads the lessons from the store.
    const { env } = bot;
    await bot.close();
    const reopened = await startTestBot({ ...env });
    try {
      expect((await reopened.assistant.handle(message('rain in big d tomorrow'))).text).toMatch(/Dallas/);
      expect((await reopened.assistant.handle(message(`/forget ${question.exchangeId}`, moderator))).text).toBe(
        'Forgotten: “big d” means Dallas, TX. The corrected exchange stays training data.',
      );
      expect((await reopened.assistant.handle(message('rain in big d tomorrow'))).text).not.toMatch(/Dallas/);
      const kept = (await reopened.store.get(question.exchangeId!))!.moderation;
      expect(kept).toMatchObject({ status: 'corrected', forgotten: true, reading: { location: 'Dallas' } });
    } finally {
      await reopened.stop();
    }
  });
});
