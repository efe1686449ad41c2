import { buildFacts, compass, HorizonError } from '../../bot/answers/facts';
import { unsupportedNumbers } from '../../bot/core/fact-guard';
import { renderAnswer } from '../../bot/answers/templates';
import { ASPECTS, type Aspect, type When } from '../../bot/core/domain';
import { makeReport } from '../helpers/report';

const answer = (when: When, aspect: Aspect, options: Parameters<typeof makeReport>[0] = {}) =>
  renderAnswer(buildFacts(makeReport(options), { when, aspect }));

describe('facts', () => {
  test('now: current conditions, rounded as shown, with the place as resolved', () => {
    const facts = buildFacts(makeReport(), { when: 'now', aspect: 'general' });
    expect(facts.place).toBe('Paris, Île-de-France, FR');
    expect(facts.periods).toEqual([
      expect.objectContaining({
        label: 'right now',
        temperature: 12,
        feelsLike: 9,
        humidity: 77,
        windSpeed: 15,
        windDirection: 'WSW',
        high: 14,
        low: 6,
      }),
    ]);
  });

  test('day names resolve from the place’s local today', () => {
    const pick = (when: When) => buildFacts(makeReport(), { when, aspect: 'temperature' }).periods.map((p) => p.label);
    expect(pick('today')).toEqual(['today (Wed 25 Nov)']);
    expect(pick('tomorrow')).toEqual(['tomorrow (Thu 26 Nov)']);
    expect(pick('wednesday')).toEqual(['today (Wed 25 Nov)']);
    expect(pick('tuesday')).toEqual(['Tue 1 Dec']);
    expect(pick('weekend')).toEqual(['Sat 28 Nov', 'Sun 29 Nov']);
    expect(pick('+3d')).toEqual(['Sat 28 Nov']);
    expect(
      buildFacts(makeReport({ today: '2026-11-29' }), { when: 'weekend', aspect: 'general' }).periods.map(
        (p) => p.label,
      ),
    ).toEqual(['today (Sun 29 Nov)']);
  });

  test('tonight aggregates the evening and night hours', () => {
    const [night] = buildFacts(makeReport(), { when: 'tonight', aspect: 'general' }).periods;
    expect(night).toMatchObject({ label: 'tonight', low: 4, precipitationChance: 55, condition: 'moderate rain' });
  });

  test('a day beyond the forecast is a HorizonError', () => {
    expect(() => buildFacts(makeReport(), { when: '+9d', aspect: 'general' })).toThrow(HorizonError);
  });

  test('facts carry only the fields the aspect needs', () => {
    const [p] = buildFacts(makeReport(), { when: 'tomorrow', aspect: 'wind' }).periods;
    expect(Object.keys(p).sort()).toEqual(['condition', 'label', 'windDirection', 'windGust', 'windSpeed']);
  });

  test('compass points', () => {
    expect([0, 44, 90, 225, 350].map(compass)).toEqual(['N', 'NE', 'E', 'SW', 'N']);
  });
});

describe('template answers', () => {
  test('read naturally for each aspect', () => {
    expect(answer('now', 'general')).toBe(
      'Right now in Paris, Île-de-France, FR: partly cloudy, 12°C (feels like 9°C). Today high 14°C, low 6°C, 5% chance of precipitation, wind 15 km/h from the WSW, humidity 77%.',
    );
    expect(answer('tomorrow', 'rain')).toBe(
      "Yes — tomorrow (Thu 26 Nov) in Paris, Île-de-France, FR there's an 80% chance of rain, about 6.4 mm. Take an umbrella ☔",
    );
    expect(answer('today', 'rain')).toMatch(/^Probably not — only a 10% chance of rain today/);
    expect(answer('now', 'temperature')).toBe(
      "It's 12°C in Paris, Île-de-France, FR right now (feels like 9°C), between 6°C and 14°C today. A jacket is a good idea.",
    );
    expect(answer('tomorrow', 'wind')).toBe(
      'Tomorrow (Thu 26 Nov) in Paris, Île-de-France, FR: wind up to 21 km/h from the SW, gusts to 42 km/h.',
    );
    expect(answer('today', 'sun')).toBe(
      'Today (Wed 25 Nov) in Paris, Île-de-France, FR: the sun rises at 07:40 and sets at 16:50; the UV index reaches 2 (low).',
    );
    expect(answer('now', 'humidity')).toBe(
      'Humidity in Paris, Île-de-France, FR right now is 77% at 12°C (partly cloudy).',
    );
    expect(answer('tomorrow', 'snow')).toBe(
      'No snow expected tomorrow (Thu 26 Nov) in Paris, Île-de-France, FR — moderate rain (high 15°C, low 7°C).',
    );
    expect(answer('weekend', 'general').split('\n')).toHaveLength(2);
  });

  test('imperial reports read in °F, mph and 12-hour clock', () => {
    const text = answer('today', 'sun', {
      units: 'imperial',
      place: { name: 'Paris', region: 'Texas', countryCode: 'US', country: 'United States' },
    });
    expect(text).toBe(
      'Today (Wed 25 Nov) in Paris, Texas, US: the sun rises at 7:40 AM and sets at 4:50 PM; the UV index reaches 2 (low).',
    );
    expect(answer('now', 'wind', { units: 'imperial' })).toContain('15 mph');
  });

  test('every number in every answer comes from the facts', () => {
    const whens: When[] = ['now', 'today', 'tonight', 'tomorrow', 'weekend', 'friday', '+5d'];
    for (const when of whens) {
      for (const aspect of ASPECTS) {
        for (const units of ['metric', 'imperial'] as const) {
          const facts = buildFacts(makeReport({ units }), { when, aspect });
          expect({ when, aspect, units, unsupported: unsupportedNumbers(renderAnswer(facts), facts) }).toEqual({
            when,
            aspect,
            units,
            unsupported: [],
          });
        }
      }
    }
  });
});

test('sunset tonight answers with tonight’s sunset and the next sunrise', () => {
  expect(answer('tonight', 'sun')).toBe(
    'Tonight in Paris, Île-de-France, FR: the sun sets at 16:50 and rises again at 07:41.',
  );
});
