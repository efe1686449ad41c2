import { buildFacts } from '../../bot/answers/facts';
import { renderAnswer } from '../../bot/answers/templates';
import { unsupportedNumbers } from '../../bot/core/fact-guard';
import type { Condition, WeatherQuery, WeatherReport } from '../../bot/core/domain';
import { understandByRules } from '../../bot/understanding/rules';
import { makeReport } from '../helpers/report';

/** A question read by the rules and answered from the report, as the assistant does without a model. */
function ask(message: string, report: WeatherReport) {
  const query = understandByRules(message);
  expect([message, query.weather]).toEqual([message, true]);
  const facts = buildFacts(report, query as WeatherQuery);
  const text = renderAnswer(facts);
  expect([message, unsupportedNumbers(text, facts)]).toEqual([message, []]);
  return { query: query as WeatherQuery, facts, text };
}

/** The test report, every temperature moved by `by` degrees. */
function warmer(by: number, condition?: Condition): WeatherReport {
  const report = makeReport({ condition });
  report.current.temperature += by;
  report.current.feelsLike += by;
  for (const hour of report.hourly)
    Object.assign(hour, { temperature: hour.temperature + by, feelsLike: hour.feelsLike + by });
  for (const day of report.daily)
    Object.assign(day, {
      temperatureMax: day.temperatureMax + by,
      temperatureMin: day.temperatureMin + by,
      feelsLikeMax: day.feelsLikeMax! + by,
      feelsLikeMin: day.feelsLikeMin! + by,
    });
  return report;
}

const CLEAR: Condition = { code: 'clear', text: 'clear sky' };

describe('sky questions answer with the sky', () => {
  test.each([
    'is it sunny in Phoenix this weekend?',
    'will it be cloudy in Oslo this weekend?',
    'any sunshine in Dublin this weekend?',
    'grey skies in Leeds this weekend?',
  ])('%s', (message) => {
    const report = makeReport({ condition: CLEAR });
    const { text, facts } = ask(message, report);
    const lines = text.split('\n');
    expect(lines).toHaveLength(facts.periods.length);
    lines.forEach((line, i) => expect(line).toContain(facts.periods[i].condition));
    expect(text).not.toMatch(/sun rises|sets at|UV/);
  });

  test('the sun’s times are still there for the questions that ask for them', () => {
    const report = makeReport({ condition: CLEAR });
    expect(ask('when is sunrise in Oslo tomorrow?', report).text).toContain(
      `the sun rises at ${report.daily[1].sunrise!.slice(11, 16)}`,
    );
  });
});

describe('what to wear is answered from the temperature, rain and wind of the period', () => {
  test('cold: a coat', () => {
    const { text } = ask('do I need a coat in Oslo tomorrow', warmer(-12));
    expect(text).toMatch(/coat/);
    expect(text).not.toMatch(/T-shirt/);
  });

  test('warm: a T-shirt, not a coat', () => {
    const { text } = ask('what should I wear in Rome today', warmer(10));
    expect(text).toMatch(/T-shirt/);
    expect(text).not.toMatch(/coat|jacket/);
  });

  test('hot: light clothes', () => {
    const { text } = ask('shorts weather in Miami tomorrow?', warmer(18));
    expect(text).toMatch(/hot — light clothes/);
  });

  test('rain likely: something waterproof', () => {
    // Tomorrow in the test report is the wet day (80%).
    const { text, facts } = ask('jacket or t-shirt in Rome tomorrow?', warmer(10));
    expect(facts.periods[0].precipitationChance).toBeGreaterThanOrEqual(50);
    expect(text).toMatch(/waterproof|umbrella/);
  });

  test('dry: nothing waterproof', () => {
    const { text, facts } = ask('should I bring a sweater to Madrid on saturday?', warmer(0));
    expect(facts.periods[0].precipitationChance).toBeLessThan(30);
    expect(text).not.toMatch(/waterproof|umbrella/);
  });

  test('right now: the hour and the rest of the day, and what to wear for both', () => {
    const { query, text } = ask('should I bring a sweater', warmer(-12));
    expect(query.when).toBe('now');
    expect(text.split('\n')).toHaveLength(2);
    expect(text).toMatch(/Wrap up warm/);
  });
});
