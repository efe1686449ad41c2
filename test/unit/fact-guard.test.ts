import { buildFacts } from '../../bot/answers/facts';
import { isGrounded, numbersIn, unsupportedNumbers } from '../../bot/core/fact-guard';
import { makeReport } from '../helpers/report';

const facts = buildFacts(makeReport(), { when: 'tomorrow', aspect: 'general' });

describe('fact guard', () => {
  test('reads numbers as written, including times and minus signs', () => {
    expect(numbersIn('High 15°C, low −2°C, sunrise 07:42, 6.4 mm')).toEqual([15, -2, 7, 42, 6.4]);
  });

  test('every number of a template answer is supported', () => {
    expect(
      isGrounded(
        'Tomorrow (Thu 26 Nov) in Paris: moderate rain, high 15°C, low 7°C, 80% chance of precipitation (6.4 mm).',
        facts,
      ),
    ).toBe(true);
  });

  test('a rounded fact is still the fact', () => {
    expect(isGrounded('About 6 mm of rain and an 80% chance.', facts)).toBe(true);
  });

  test('an invented number is caught', () => {
    expect(unsupportedNumbers('High 19°C with a 80% chance of rain.', facts)).toEqual([19]);
    expect(isGrounded('Wind up to 95 km/h.', facts)).toBe(false);
  });
});
