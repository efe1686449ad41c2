import { renderReply as discordReply } from '../../bot/adapters/discord/render';
import { renderReply as slackReply } from '../../bot/adapters/slack/blocks';
import { dayLabel } from '../../bot/answers/facts';
import { unsupportedNumbers } from '../../bot/core/fact-guard';
import { guardQuery } from '../../bot/core/guard';
import { understandByRules } from '../../bot/understanding/rules';
import { NICKNAMES } from '../../bot/understanding/places';
import { message, startTestBot, type TestBot } from '../helpers/bot';

let bot: TestBot;
beforeAll(async () => {
  bot = await startTestBot();
});
afterAll(() => bot.stop());

const ask = (text: string) => bot.assistant.handle(message(text, { user: `ranges-${text}` }));

describe('ranges: the days or hours ahead, period by period', () => {
  test('"this week": seven days in a few lines, each day its own high and low, with the chart', async () => {
    const reply = await ask('weather in Berlin this week');
    expect(reply.kind).toBe('weather');
    const { facts, report } = reply;
    expect(facts?.when).toBe('7d');
    expect(facts?.periods).toHaveLength(7);
    const lines = reply.text.split('\n');
    expect(lines[0]).toBe('This week in Berlin, DE:');
    expect(lines).toHaveLength(8);
    report!.daily.slice(0, 7).forEach((day, i) => {
      expect(lines[i + 1]).toContain(dayLabel(day.date));
      expect(lines[i + 1]).toContain(`${Math.round(day.temperatureMax)}°C / ${Math.round(day.temperatureMin)}°C`);
    });
    expect(unsupportedNumbers(reply.text, facts!)).toEqual([]);
    expect(reply.image).toMatchObject({ name: 'forecast.png' });
  });

  test('hours: each hour up to half a day, then steps of three, labelled in the place’s time and the user’s units', async () => {
    const hours = await ask('will it rain in Denver in the next few hours?');
    expect(hours.facts?.when).toBe('6h');
    const from = hours.report!.hourly.findIndex((h) => h.time >= hours.report!.current.time.slice(0, 13));
    const expected = hours.report!.hourly.slice(from, from + 6).map((h) => {
      const hour = Number(h.time.slice(11, 13));
      return `${hour % 12 === 0 ? 12 : hour % 12}:00 ${hour < 12 ? 'AM' : 'PM'}`;
    });
    expect(hours.facts?.periods.map((p) => p.label)).toEqual(expected);
    expect(unsupportedNumbers(hours.text, hours.facts!)).toEqual([]);

    const day = await ask('temperature in Paris next 24 hours');
    expect(day.facts?.periods).toHaveLength(8);
    expect(day.facts?.periods[0].label).toMatch(/^\d\d:00–\d\d:00$/);
    expect(day.text.split('\n')).toHaveLength(1 + 8 + 1); // heading, a line a step, what to wear
    expect(unsupportedNumbers(day.text, day.facts!)).toEqual([]);
  });

  test('tonight and tomorrow, and a range past the forecast’s reach answered as far as it goes', async () => {
    const both = await ask('snow in Reykjavik tonight and tomorrow?');
    expect(both.facts?.periods.map((p) => p.label)).toEqual([
      'tonight',
      expect.stringMatching(/^tomorrow \(\w{3} \d+ \w{3}\)$/),
    ]);
    const far = await ask('weather in Berlin over the next 16 days');
    expect(far.facts?.periods).toHaveLength(far.report!.daily.length);
  });

  test('Discord and Slack lay a range out as a small table: a cell a period', async () => {
    const reply = await ask('weather in Tokyo next 3 days');
    const { embeds } = discordReply(reply);
    expect(embeds[0].description).toBe('The next 3 days in Tokyo, JP:');
    const cells = embeds[0].fields!.filter((field) => field.name !== 'Place');
    expect(cells.map((field) => field.name)).toEqual(reply.facts!.periods.map((p) => p.label));
    expect(cells.every((field) => field.inline)).toBe(true);
    expect(cells[1].value).toContain(`${reply.facts!.periods[1].high}°C / ${reply.facts!.periods[1].low}°C`);

    const { blocks } = slackReply(reply);
    expect(JSON.stringify(blocks[0])).toContain('The next 3 days in Tokyo, JP:');
    const table = blocks.filter((block) => block.type === 'section' && 'fields' in block && block.fields);
    expect(table.flatMap((block) => ('fields' in block ? block.fields! : []))).toHaveLength(3);
  });

  test("the rules' range stands against a model's single time, even where the model earned its say on time", () => {
    const text = 'weather in Berlin this week';
    const written = JSON.stringify({ ...understandByRules(text), when: 'tomorrow' });
    const guarded = guardQuery(text, written, understandByRules(text), NICKNAMES, new Set(['when' as const]));
    expect(guarded.query).toMatchObject({ when: '7d' });
    expect(guarded.corrections).toContain('when');
  });
});
