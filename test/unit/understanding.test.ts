import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ASPECTS, isRange, isWhen, type Understanding, type WeatherQuery } from '../../bot/core/domain';
import { understandByRules } from '../../bot/understanding/rules';

interface Labelled {
  message: string;
  expected: Understanding;
}

const FIXTURE = fileURLToPath(new URL('../fixtures/understanding/labelled.jsonl', import.meta.url));
const labelled: Labelled[] = readFileSync(FIXTURE, 'utf8')
  .split('\n')
  .filter((line) => line.trim())
  .map((line) => JSON.parse(line) as Labelled);

const FIELDS = ['weather', 'location', 'region', 'when', 'aspect', 'units'] as const;
type Field = (typeof FIELDS)[number];

/** Per field: share of messages right. `weather` counts every message; the others count weather questions. */
function scoreFields(): Record<Field, { accuracy: number; misses: string[] }> {
  const result = {} as Record<Field, { accuracy: number; misses: string[] }>;
  for (const field of FIELDS) {
    const relevant = field === 'weather' ? labelled : labelled.filter((l) => l.expected.weather);
    const misses: string[] = [];
    for (const { message, expected } of relevant) {
      const actual = understandByRules(message);
      const want = (expected as Partial<WeatherQuery>)[field] ?? (field === 'weather' ? false : null);
      const got =
        actual.weather || field === 'weather'
          ? ((actual as Partial<WeatherQuery>)[field] ?? (field === 'weather' ? false : null))
          : '(not weather)';
      if (want !== got)
        misses.push(`${JSON.stringify(message)}: expected ${JSON.stringify(want)}, got ${JSON.stringify(got)}`);
    }
    result[field] = { accuracy: 1 - misses.length / relevant.length, misses };
  }
  return result;
}

describe('understandByRules on the labelled set', () => {
  const scores = scoreFields();

  beforeAll(() => {
    const lines = FIELDS.map((field) => {
      const { accuracy, misses } = scores[field];
      const shown = misses
        .slice(0, 8)
        .map((m) => `      - ${m}`)
        .join('\n');
      return `  ${field.padEnd(8)} ${(accuracy * 100).toFixed(1)}%  (${misses.length} missed)${shown ? `\n${shown}` : ''}`;
    });
    console.log(`understanding accuracy on ${labelled.length} labelled messages:\n${lines.join('\n')}`);
  });

  it('has a varied labelled set', () => {
    const weather = labelled.filter((l) => l.expected.weather) as { expected: WeatherQuery }[];
    expect(labelled.length).toBeGreaterThanOrEqual(350);
    expect(labelled.length - weather.length).toBeGreaterThanOrEqual(60);
    const whens = new Set(
      weather.map((l) =>
        l.expected.when.startsWith('+') ? '+Nd' : isRange(l.expected.when) ? 'range' : l.expected.when,
      ),
    );
    expect([...whens].sort()).toEqual([
      '+Nd',
      'friday',
      'monday',
      'now',
      'range',
      'saturday',
      'sunday',
      'thursday',
      'today',
      'tomorrow',
      'tonight',
      'tuesday',
      'wednesday',
      'weekend',
    ]);
    expect(new Set(weather.map((l) => l.expected.aspect)).size).toBe(7);
  });

  it.each(FIELDS)('gets %s right on at least 95% of messages', (field) => {
    expect(scores[field].accuracy).toBeGreaterThanOrEqual(0.95);
  });
});

describe('understandByRules', () => {
  it('returns exactly the query keys, in order', () => {
    const parsed = understandByRules('Will it rain in Philly tomorrow?');
    expect(Object.keys(parsed)).toEqual(['weather', 'location', 'region', 'when', 'aspect', 'units']);
    expect(parsed).toEqual({
      weather: true,
      location: 'Philadelphia',
      region: null,
      when: 'tomorrow',
      aspect: 'rain',
      units: null,
    });
    expect(Object.keys(understandByRules('thanks!'))).toEqual(['weather']);
  });

  it('finds unknown places from context and title-cases them', () => {
    expect(understandByRules('weather in tbilisi')).toMatchObject({ location: 'Tbilisi' });
    expect(understandByRules('is it snowing in ouagadougou rn')).toMatchObject({
      location: 'Ouagadougou',
      when: 'now',
      aspect: 'snow',
    });
    expect(understandByRules('Zyxborough weather tomorrow')).toMatchObject({
      location: 'Zyxborough',
      when: 'tomorrow',
    });
    expect(understandByRules('forecast for santa cruz de la sierra')).toMatchObject({
      location: 'Santa Cruz de la Sierra',
    });
  });

  it('keeps spelling typed with capitals and diacritics', () => {
    expect(understandByRules('weather in São Paulo')).toMatchObject({ location: 'São Paulo' });
    expect(understandByRules('Is it cold in Frankfurt am Main?')).toMatchObject({
      location: 'Frankfurt am Main',
      aspect: 'temperature',
    });
  });

  it('separates a region qualifier from the place', () => {
    expect(understandByRules('weather paris, tx')).toMatchObject({ location: 'Paris', region: 'TX' });
    expect(understandByRules('rain in portland maine tomorrow?')).toMatchObject({
      location: 'Portland',
      region: 'Maine',
    });
    expect(understandByRules('Springfield IL forecast')).toMatchObject({ location: 'Springfield', region: 'IL' });
    expect(understandByRules('weather in Ciudad de México')).toMatchObject({
      location: 'Ciudad de México',
      region: null,
    });
    expect(understandByRules('weather in Georgia')).toMatchObject({ location: 'Georgia', region: null });
  });

  it('tells region codes from nicknames', () => {
    expect(understandByRules('weather in LA')).toMatchObject({ location: 'Los Angeles', region: null });
    expect(understandByRules('weather in Baton Rouge, LA')).toMatchObject({ location: 'Baton Rouge', region: 'LA' });
    expect(understandByRules('is it humid in DC')).toMatchObject({ location: 'Washington', region: null });
    expect(understandByRules('Washington, DC rain tomorrow?')).toMatchObject({ location: 'Washington', region: 'DC' });
  });

  it('never reads a time or unit phrase as a place', () => {
    expect(understandByRules('weather in 3 days')).toMatchObject({ location: null, when: '+3d' });
    expect(understandByRules('temp in F please')).toMatchObject({ location: null, units: 'fahrenheit' });
    expect(understandByRules('rain in the morning?')).toMatchObject({ location: null });
    expect(understandByRules('weather near me at the moment')).toMatchObject({ location: null, when: 'now' });
  });

  it('takes the first specific aspect and the first definite time', () => {
    expect(understandByRules('is it windy and cold in Boston?')).toMatchObject({ aspect: 'wind' });
    expect(understandByRules('freezing rain tonight?')).toMatchObject({ aspect: 'rain', when: 'tonight' });
    expect(understandByRules('my flight lands at 6, will it rain in Lisbon tonight?')).toMatchObject({
      when: 'tonight',
    });
    expect(understandByRules('what about the weather now and tomorrow in Oslo')).toMatchObject({ when: 'tomorrow' });
  });

  it('tolerates typos in keywords but not in real words', () => {
    expect(understandByRules('wether in berlin tommorow')).toMatchObject({
      weather: true,
      location: 'Berlin',
      when: 'tomorrow',
    });
    expect(understandByRules('humidty in miami?')).toMatchObject({ aspect: 'humidity' });
    expect(understandByRules('is the leather jacket on sale in Boston?')).toEqual({ weather: false });
  });

  it('reads through mentions, links, emoji and shouting', () => {
    expect(understandByRules('<@U123ABC> ☔ in London tmrw?')).toMatchObject({
      location: 'London',
      when: 'tomorrow',
      aspect: 'rain',
    });
    expect(understandByRules('WILL IT SNOW IN MINNEAPOLIS TOMORROW')).toMatchObject({
      location: 'Minneapolis',
      aspect: 'snow',
    });
    expect(understandByRules('@WeatherBot see https://example.com/x weather Lisbon')).toMatchObject({
      location: 'Lisbon',
    });
  });

  it('reads the time expressions of the table', () => {
    const cases: [string, string][] = [
      ['rain this evening?', 'tonight'],
      ['rain later tonight?', 'tonight'],
      ['rain tonite?', 'tonight'],
      ['rain this afternoon?', 'today'],
      ['rain this morning?', 'today'],
      ['rain later today?', 'today'],
      ['rain next Monday?', 'monday'],
      ['rain on monday?', 'monday'],
      ['weather mon', 'monday'],
      ['rain tmr?', 'tomorrow'],
      ['rain tomorow?', 'tomorrow'],
      ['rain 2morrow?', 'tomorrow'],
      ['rain tomorrow night?', 'tomorrow'],
      ['rain this weekend?', 'weekend'],
      ['rain sat and sun?', 'weekend'],
      ['rain day after tomorrow?', '+2d'],
      ['rain in 3 days?', '+3d'],
      ['rain in fifteen days?', '+15d'],
      ['is it raining currently?', 'now'],
      ['rain at the moment?', 'now'],
      ['is it raining?', 'now'],
    ];
    for (const [message, when] of cases)
      expect([message, understandByRules(message)]).toMatchObject([message, { when }]);
  });

  it('reads the aspect words of the table', () => {
    const cases: [string, string][] = [
      ['need an umbrella today?', 'rain'],
      ['storms tonight?', 'rain'],
      ['will it pour later?', 'rain'],
      ['do I need a jacket today?', 'temperature'],
      ['how many degrees is it?', 'temperature'],
      ['is it breezy today?', 'wind'],
      ['is it sticky out?', 'humidity'],
      ['when is sunrise?', 'sun'],
      ['UV today?', 'sun'],
      ['will it be sunny tomorrow?', 'general'],
      ['flurries tonight?', 'snow'],
      ["what's the weather?", 'general'],
      ['is it cloudy?', 'general'],
    ];
    for (const [message, aspect] of cases)
      expect([message, understandByRules(message)]).toMatchObject([message, { aspect }]);
  });

  it('reads sunshine and cloud as the sky (general), and keeps the sun’s times and UV as sun', () => {
    const sky = [
      'is it sunny in Phoenix this weekend?',
      'Will it be sunny in Cabo this weekend?',
      'any sunshine in Dublin on saturday?',
      'will the sun come out in Paris tomorrow?',
      'is it grey in London today?',
      'blue skies in Rome tomorrow?',
      'overcast in Leeds tonight?',
      'will it be clear tonight in Denver?',
      'is it gloomy in Glasgow?',
      'how much sun will we get in Nice this weekend?',
      'sunny spells tomorrow?',
    ];
    for (const message of sky)
      expect([message, understandByRules(message)]).toMatchObject([message, { weather: true, aspect: 'general' }]);
    const sun = [
      'when is sunrise in Oslo?',
      'what time does the sun set tomorrow?',
      'UV index in Sydney today?',
      'should I wear sunscreen in Cancun tomorrow?',
      'how many hours of daylight in Tromso today?',
      'how strong is the sun in Madrid today?',
    ];
    for (const message of sun)
      expect([message, understandByRules(message)]).toMatchObject([message, { weather: true, aspect: 'sun' }]);
  });

  it('reads what to wear as a question about the temperature, unless the garment names another aspect', () => {
    const wear = [
      'what should I wear in London today',
      'what to wear in Berlin tomorrow?',
      'do I need a coat in Oslo tomorrow',
      'jacket or t-shirt in Rome?',
      'should I bring a sweater',
      'shorts weather in Miami?',
      'how should I dress for Chicago tomorrow?',
      'sandals in Athens tomorrow?',
      'coat or no coat today in Boston?',
    ];
    for (const message of wear)
      expect([message, understandByRules(message)]).toMatchObject([message, { weather: true, aspect: 'temperature' }]);
    expect(understandByRules('what should I wear in Rome tomorrow?')).toMatchObject({
      location: 'Rome',
      when: 'tomorrow',
    });
    expect(understandByRules('should I wear a raincoat in Bergen tomorrow?')).toMatchObject({ aspect: 'rain' });
    expect(understandByRules('should I wear sunglasses today?')).toMatchObject({ aspect: 'sun' });
  });

  it('says no to wearing, dress and sky words that are not about the weather', () => {
    for (const message of [
      'I wear glasses',
      'what should I wear to the wedding?',
      "what's the dress code tomorrow?",
      'is the leather jacket on sale in Boston?',
      'look on the bright side',
      'can you clear up the confusion',
      'Earl Grey tea please',
      'what colour is the sky',
      "I'm wearing shorts today lol",
    ]) {
      expect([message, understandByRules(message)]).toEqual([message, { weather: false }]);
    }
  });

  it('never throws and always returns a well-formed answer', () => {
    const odd = [
      '',
      '   ',
      '???!!!',
      '<@123>',
      '👍🏽',
      'in in in in',
      '東京の天気は？',
      'x'.repeat(5000),
      'weather '.repeat(300),
      'St.',
      ', TX',
      'in the',
      'weather in ,',
      'rain in the day after',
      "it's",
      '°C',
      'in F',
      '-',
      "'s",
    ];
    for (const message of odd) {
      const parsed = understandByRules(message);
      if (!parsed.weather) continue;
      expect(isWhen(parsed.when)).toBe(true);
      expect(ASPECTS).toContain(parsed.aspect);
      expect(parsed.location === null || parsed.location.trim().length > 0).toBe(true);
    }
  });

  it('says no to messages about something else, even when they name a city or a weather word', () => {
    for (const message of [
      "what's the population of Tokyo",
      'I love Paris',
      'best pizza in NYC?',
      'hot dogs in Chicago?',
      'I have a cold',
      'tell me a joke about rain',
      '',
    ]) {
      expect(understandByRules(message)).toEqual({ weather: false });
    }
  });
});
