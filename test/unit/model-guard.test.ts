import { isUnderstanding, type WeatherFacts, type WeatherQuery } from '../../bot/core/domain';
import { grammarMatches } from '../../bot/core/grammar';
import { answerProblem, guardQuery, MAX_ANSWER_CHARS, queryGrammar, readQuery } from '../../bot/core/guard';
import {
  earnedSay,
  NO_SAY,
  SAY_MIN_SAMPLES,
  sayMetrics,
  UNMEASURED_SAY,
  type EarnedSay,
  type SayField,
} from '../../bot/core/say';
import { understandByRules } from '../../bot/understanding/rules';
import { NICKNAMES } from '../../bot/understanding/places';

const query = (fields: Partial<WeatherQuery> = {}): WeatherQuery => ({
  weather: true,
  location: 'Paris',
  region: null,
  when: 'tomorrow',
  aspect: 'rain',
  units: null,
  ...fields,
});
const json = (value: unknown) => JSON.stringify(value);

/**
 * The guard with the real rules' reading of the message, and the say the model earned (unless given, that of a version
 * evaluated before the say was measured: time and aspect).
 */
const guard = (message: string, written: string, say: EarnedSay = UNMEASURED_SAY) =>
  guardQuery(message, written, understandByRules(message), NICKNAMES, say);

describe('queryGrammar: what the model may write for a message', () => {
  const accepts = (message: string, written: unknown) =>
    grammarMatches(queryGrammar(message, understandByRules(message), NICKNAMES), json(written));

  test('not weather, or a query whose place is a run of the message words as typed, capitalised or in capitals', () => {
    expect(accepts('hello there', { weather: false })).toBe(true);
    const message = 'is it raining in ho chi minh city, vn?';
    expect(accepts(message, query({ location: 'Ho Chi Minh City', region: 'VN' }))).toBe(true);
    expect(accepts(message, query({ location: 'ho chi minh city', region: 'vn' }))).toBe(true);
    expect(accepts(message, query({ location: 'Minh', region: null, when: '+14d', aspect: 'sun' }))).toBe(true);
    expect(accepts(message, query({ location: null, units: 'fahrenheit' }))).toBe(true);
    expect(accepts("rain in St. John's?", query({ location: "St. John's" }))).toBe(true);
  });

  test("a nickname's place and the rules' reading (lessons included) may be written too", () => {
    expect(accepts('rain in philly tomorrow', query({ location: 'Philadelphia' }))).toBe(true);
    const taught = { ...query({ location: 'Dallas', region: 'TX' }) };
    const grammar = queryGrammar('how cold is it in the Big D', taught, NICKNAMES);
    expect(grammarMatches(grammar, json(taught))).toBe(true);
    expect(grammarMatches(grammar, json({ ...taught, location: 'Houston' }))).toBe(false);
  });

  test('refuses a place or region the message does not hold, unknown values, other keys, order or spacing', () => {
    const message = 'will it rain in Paris tomorrow?';
    expect(accepts(message, query())).toBe(true);
    expect(accepts(message, query({ location: 'London' }))).toBe(false);
    expect(accepts(message, query({ region: 'France' }))).toBe(false);
    expect(accepts(message, query({ location: 'Paris tomorrow? extra' }))).toBe(false);
    expect(accepts(message, query({ when: '+1000d' as WeatherQuery['when'] }))).toBe(false);
    expect(accepts(message, query({ aspect: 'fog' as WeatherQuery['aspect'] }))).toBe(false);
    expect(accepts(message, { ...query(), extra: 1 })).toBe(false);
    const { location, ...rest } = query();
    expect(accepts(message, { location, ...rest })).toBe(false);
    const grammar = queryGrammar(message, understandByRules(message), NICKNAMES);
    expect(grammarMatches(grammar, JSON.stringify(query(), null, 1))).toBe(false);
    expect(grammarMatches(grammar, json(query()).slice(0, -1))).toBe(false);
  });
});

describe('isUnderstanding: exactly the query JSON', () => {
  test('accepts both shapes, refuses extra or missing keys and wrong types', () => {
    expect(isUnderstanding({ weather: false })).toBe(true);
    expect(isUnderstanding(query())).toBe(true);
    expect(isUnderstanding(query({ when: '+3d', units: 'fahrenheit', region: 'TX' }))).toBe(true);
    expect(isUnderstanding({ weather: false, location: null })).toBe(false);
    expect(isUnderstanding({ ...query(), extra: 1 })).toBe(false);
    const { units: _units, ...missing } = query();
    expect(isUnderstanding(missing)).toBe(false);
    expect(isUnderstanding(query({ when: 'yesterday' as never }))).toBe(false);
    // Days past the forecast are a question all the same (answered with the horizon); nonsense counts are not.
    expect(isUnderstanding(query({ when: '+20d' }))).toBe(true);
    expect(isUnderstanding(query({ when: '+0d' }))).toBe(false);
    expect(isUnderstanding(query({ when: '+1000d' }))).toBe(false);
    expect(isUnderstanding(query({ aspect: 'fog' as never }))).toBe(false);
    expect(isUnderstanding(query({ units: 'kelvin' as never }))).toBe(false);
    expect(isUnderstanding(query({ location: '' }))).toBe(false);
    expect(isUnderstanding(query({ location: 3 as never }))).toBe(false);
    expect(isUnderstanding([query()])).toBe(false);
    expect(isUnderstanding({ weather: 'true' })).toBe(false);
  });

  test('readQuery takes one JSON object and nothing around it', () => {
    expect(readQuery(` ${json(query())}\n`)).toEqual(query());
    expect(readQuery(`${json(query())} Sure!`)).toBeNull();
    expect(readQuery('{"weather":maybe')).toBeNull();
    expect(readQuery('')).toBeNull();
  });
});

describe('guardQuery: the rules guard the model', () => {
  test('a valid query the message supports is used as written, when and aspect included', () => {
    const message = 'weather in Paris tomorrow?';
    expect(understandByRules(message)).toMatchObject({ aspect: 'general' });
    expect(guard(message, json(query()))).toEqual({ query: query(), by: 'model', fallback: null, corrections: [] });
  });

  test('junk or an invalid query -> the rules', () => {
    const message = 'weather in Paris tomorrow?';
    for (const written of [
      '{"weather":maybe',
      'Paris',
      json({ ...query(), extra: true }),
      json(query({ aspect: 'fog' as never })),
    ]) {
      expect(guard(message, written)).toEqual({
        query: understandByRules(message),
        by: 'rules',
        fallback: 'invalid',
        corrections: [],
      });
    }
  });

  test('the model does not decide on its own whether a message is about the weather', () => {
    expect(guard('thanks, you are great', json(query()))).toEqual({
      query: { weather: false },
      by: 'rules',
      fallback: 'intent',
      corrections: [],
    });
    expect(guard('will it rain in Paris tomorrow?', json({ weather: false }))).toMatchObject({
      query: { location: 'Paris' },
      by: 'rules',
      fallback: 'intent',
    });
    expect(guard('hello there', json({ weather: false }))).toEqual({
      query: { weather: false },
      by: 'model',
      fallback: null,
      corrections: [],
    });
  });

  test("a place the message does not name is replaced by the rules' place", () => {
    const message = 'is it raining in Lyon tomorrow?';
    expect(guard(message, json(query({ location: 'Berlin' })))).toEqual({
      query: query({ location: 'Lyon' }),
      by: 'model',
      fallback: null,
      corrections: ['place'],
    });
    expect(guard(message, json(query({ location: 'Lyon', region: 'Bavaria' })))).toMatchObject({
      query: { location: 'Lyon', region: null },
      corrections: ['place'],
    });
    expect(guard(message, json(query({ location: null })))).toMatchObject({
      query: { location: 'Lyon' },
      corrections: ['place'],
    });
  });

  test("supported places: in the text (any case, accents, dots), a nickname's city, or what the rules read", () => {
    expect(guard('rain in sao paulo tomorrow?', json(query({ location: 'São Paulo' })))).toMatchObject({
      query: { location: 'São Paulo' },
      corrections: [],
    });
    expect(guard('rain in st louis, mo tomorrow', json(query({ location: 'St. Louis', region: 'MO' })))).toMatchObject({
      query: { location: 'St. Louis', region: 'MO' },
      corrections: [],
    });
    expect(guard('will it rain in philly tomorrow', json(query({ location: 'Philadelphia' })))).toMatchObject({
      query: { location: 'Philadelphia' },
      corrections: [],
    });
    expect(guard('will it rain in Paris, TX tomorrow', json(query({ location: 'Paris', region: 'TX' })))).toMatchObject(
      { corrections: [] },
    );
    // "Parisian" holds "paris" but not as a word.
    expect(guard('how is the Parisian weather tomorrow', json(query({ location: 'Paris' })))).toMatchObject({
      corrections: ['place'],
    });
  });

  test("units the message does not ask for are the rules' units", () => {
    expect(guard('rain in Paris tomorrow?', json(query({ units: 'fahrenheit' })))).toMatchObject({
      query: { units: null },
      by: 'model',
      corrections: ['units'],
    });
    expect(guard('rain in Paris tomorrow in fahrenheit?', json(query({ units: 'fahrenheit' })))).toMatchObject({
      query: { units: 'fahrenheit' },
      corrections: [],
    });
  });
});

/** A version's metrics for one field: the model's accuracy, the rules', and the examples measured. */
const measured = (field: SayField, model: number, rules: number, samples = SAY_MIN_SAMPLES) => {
  const names = sayMetrics(field);
  return { [names.model]: model, [names.rules]: rules, [names.samples]: samples };
};

describe('earnedSay: where the evaluation measured the model reading better than the rules', () => {
  test('names the fields and counts as the evaluation records them', () => {
    expect(sayMetrics('weather')).toEqual({ model: 'modelWeather', rules: 'rulesWeather', samples: 'weatherSamples' });
    expect(sayMetrics('location')).toEqual({
      model: 'modelLocation',
      rules: 'rulesLocation',
      samples: 'locationSamples',
    });
  });

  test('a field is earned by beating the rules by more than the margin, on enough examples', () => {
    const metrics = {
      ...measured('weather', 0.95, 0.8),
      ...measured('location', 0.9, 0.89),
      ...measured('region', 1, 0.5, SAY_MIN_SAMPLES - 1),
      ...measured('aspect', 0.7, 0.9),
      parseMean: 0.99,
    };
    expect([...earnedSay(metrics)]).toEqual(['weather']);
    expect([...earnedSay({ ...metrics, ...measured('location', 0.93, 0.89) })]).toEqual(['weather', 'location']);
  });

  test('versions evaluated before the say was measured keep the say the guard always gave: time and aspect', () => {
    expect(earnedSay({})).toBe(UNMEASURED_SAY);
    expect([...UNMEASURED_SAY].sort()).toEqual(['aspect', 'when']);
    expect(earnedSay({ parseWeather: 1, rulesParseMean: 0.5, validationLoss: 1.2 })).toBe(UNMEASURED_SAY);
    expect(earnedSay({ modelWeather: 1, rulesWeather: 0.5 })).toBe(UNMEASURED_SAY);
    // Measured, and earned nowhere: no say at all.
    expect(earnedSay({ modelWhen: 0.5, rulesWhen: 0.9, whenSamples: 40 }).size).toBe(0);
  });
});

describe('guardQuery with the say the model earned', () => {
  test("time and aspect are the rules' unless the model earned its say on them; a field earned is the model's", () => {
    const message = 'will it rain in Paris tomorrow?';
    const rules = understandByRules(message);
    expect(rules).toMatchObject({ when: 'tomorrow', aspect: 'rain' });
    const misread = json(query({ when: 'today', aspect: 'wind' }));
    expect(guard(message, misread, NO_SAY)).toEqual({
      query: query({ when: 'tomorrow', aspect: 'rain' }),
      by: 'model',
      fallback: null,
      corrections: ['when', 'aspect'],
    });
    expect(guard(message, misread, new Set(['aspect']))).toMatchObject({
      query: { when: 'tomorrow', aspect: 'wind' },
      corrections: ['when'],
    });
    expect(guard(message, json(query({ aspect: 'rain' })), NO_SAY)).toMatchObject({ corrections: [] });
  });

  test("another place the message supports than the rules' stands only with `location` earned, or from old versions", () => {
    const message = 'rain in Paris, TX tomorrow?';
    expect(understandByRules(message)).toMatchObject({ location: 'Paris', region: 'TX' });
    const other = json(query({ location: 'TX', region: null, aspect: 'rain' }));
    expect(guard(message, other, NO_SAY)).toMatchObject({
      query: { location: 'Paris', region: 'TX' },
      corrections: ['place'],
    });
    expect(guard(message, other, new Set(['location']))).toMatchObject({ query: { location: 'TX' }, corrections: [] });
    expect(guard(message, other)).toMatchObject({ query: { location: 'TX' }, corrections: [] });
    // A place where the rules found none is another place too.
    expect(understandByRules('rain on fri?')).toMatchObject({ location: null });
    expect(
      guard('rain on fri?', json(query({ location: 'Fri', aspect: 'rain', when: 'friday' })), NO_SAY),
    ).toMatchObject({
      query: { location: null },
      corrections: ['place'],
    });
    // The same place written otherwise is no other place.
    const same = json(query({ location: 'paris', region: 'tx', aspect: 'rain' }));
    expect(guard(message, same, NO_SAY)).toMatchObject({ query: { location: 'paris' }, corrections: [] });
  });

  const weatherSay: EarnedSay = new Set(['weather']);
  const placeSay: EarnedSay = new Set(['location']);

  test("with `weather` earned, the model's weather question stands where the rules read none, if the message names its place", () => {
    expect(understandByRules('Paris tomorrow?')).toEqual({ weather: false });
    expect(guard('Paris tomorrow?', json(query()), weatherSay)).toEqual({
      query: query(),
      by: 'model',
      fallback: null,
      corrections: [],
    });
    expect(understandByRules('philly tomorrow?')).toEqual({ weather: false });
    expect(guard('philly tomorrow?', json(query({ location: 'Philadelphia' })), weatherSay)).toMatchObject({
      query: { location: 'Philadelphia' },
      by: 'model',
    });
    // Unearned, or earned on another field: the rules decide, as before.
    for (const say of [NO_SAY, placeSay]) {
      expect(guard('Paris tomorrow?', json(query()), say)).toMatchObject({ by: 'rules', fallback: 'intent' });
    }
  });

  test('an earned say never keeps a place the message does not support, nor units it does not ask for', () => {
    const refused = { query: { weather: false }, by: 'rules', fallback: 'intent', corrections: [] };
    expect(guard('Paris tomorrow?', json(query({ location: 'Berlin' })), weatherSay)).toEqual(refused);
    expect(guard('Paris tomorrow?', json(query({ region: 'TX' })), weatherSay)).toEqual(refused);
    expect(guard('thanks, you are great', json(query({ location: null })), weatherSay)).toEqual(refused);
    expect(guard('Paris tomorrow?', json(query({ units: 'fahrenheit' })), weatherSay)).toEqual({
      query: query({ units: null }),
      by: 'model',
      fallback: null,
      corrections: ['units'],
    });
    const everything: EarnedSay = new Set(['weather', 'location', 'region', 'when', 'aspect', 'units']);
    expect(guard('is it raining in Lyon tomorrow?', json(query({ location: 'Berlin' })), everything)).toMatchObject({
      query: { location: 'Lyon' },
      corrections: ['place'],
    });
  });

  test('the model\'s "not weather" does not overrule the rules\' weather question, earned or not', () => {
    expect(guard('will it rain in Paris tomorrow?', json({ weather: false }), weatherSay)).toMatchObject({
      query: { location: 'Paris' },
      by: 'rules',
      fallback: 'intent',
    });
  });

  test('with `location` earned, the model may read no place where the rules found one', () => {
    const message = 'will it rain in Paris tomorrow?';
    expect(guard(message, json(query({ location: null })), placeSay)).toEqual({
      query: query({ location: null }),
      by: 'model',
      fallback: null,
      corrections: [],
    });
    expect(guard(message, json(query({ location: null }))).query).toMatchObject({ location: 'Paris' });
    expect(guard(message, json(query({ location: null, region: 'TX' })), placeSay)).toMatchObject({
      query: { location: 'Paris', region: null },
      corrections: ['place'],
    });
  });
});

describe("answerProblem: the fact guard on the model's answer", () => {
  const facts: WeatherFacts = {
    place: 'Paris, Île-de-France, FR',
    when: 'tomorrow',
    period: 'tomorrow (Thu 26 Nov)',
    aspect: 'rain',
    units: { temperature: '°C', speed: 'km/h', precipitation: 'mm', snowfall: 'cm' },
    periods: [{ label: 'Thu 26 Nov', condition: 'light rain', precipitationChance: 70, precipitation: 2.4 }],
  };

  test('a grounded, finished, short answer passes', () => {
    expect(answerProblem('A 70% chance of rain in Paris tomorrow, about 2.4 mm.', 'stop', facts)).toBeNull();
    expect(answerProblem('Take an umbrella in Paris.', 'stop', facts)).toBeNull();
  });

  test('empty, cut short, too long, or a number the facts lack -> the template', () => {
    expect(answerProblem('  ', 'stop', facts)).toBe('empty');
    expect(answerProblem('A 70% chance of', 'length', facts)).toBe('cut-short');
    expect(answerProblem('Rain. '.repeat(MAX_ANSWER_CHARS / 5), 'stop', facts)).toBe('too-long');
    expect(answerProblem('An 80% chance of rain in Paris tomorrow.', 'stop', facts)).toBe('ungrounded');
  });
});
