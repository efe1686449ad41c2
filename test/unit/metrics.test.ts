import { buildFacts } from '../../bot/answers/facts';
import { chrF, factConsistency, parseAccuracy } from '../../training/jobs/metrics';
import { makeReport } from '../helpers/report';

describe('evaluation metrics', () => {
  test('chrF: identical is 100, disjoint is 0, partial in between, recall weighs more', () => {
    expect(chrF('rain tomorrow', 'rain tomorrow')).toBeCloseTo(100);
    expect(chrF('xyz', 'abc')).toBe(0);
    const partial = chrF('rain tomorrow in Paris', 'rain tomorrow');
    expect(partial).toBeGreaterThan(50);
    expect(partial).toBeLessThan(100);
    // beta = 2: missing reference text costs more than extra text.
    expect(chrF('rain', 'rain tomorrow')).toBeLessThan(chrF('rain tomorrow and more', 'rain tomorrow'));
  });

  test('chrF matches a hand computation for unigram-only order', () => {
    // "ab" vs "abb" at order 1: overlap 2, precision 2/2, recall 2/3 -> F2 = 5*1*(2/3)/(4*1+2/3) = 0.714...
    expect(chrF('ab', 'abb', 1)).toBeCloseTo(71.43, 1);
  });

  test('parse accuracy per field', () => {
    const paris = {
      weather: true as const,
      location: 'Paris',
      region: null,
      when: 'now' as const,
      aspect: 'rain' as const,
      units: null,
    };
    const accuracy = parseAccuracy([
      { expected: paris, predicted: paris },
      { expected: paris, predicted: { ...paris, when: 'tomorrow' } },
      { expected: { weather: false }, predicted: { weather: false } },
      { expected: paris, predicted: null },
    ]);
    expect(accuracy.weather).toBe(0.75);
    expect(accuracy.location).toBeCloseTo(2 / 3);
    expect(accuracy.when).toBeCloseTo(1 / 3);
  });

  test('fact consistency counts grounded answers', () => {
    const facts = buildFacts(makeReport(), { when: 'tomorrow', aspect: 'rain' });
    expect(
      factConsistency([
        { answer: '80% chance of rain', facts },
        { answer: '95% chance of rain', facts },
      ]),
    ).toBe(0.5);
    expect(
      factConsistency([
        { answer: '80% chance of rain', facts },
        { answer: '  ', facts },
      ]),
    ).toBe(0.5);
  });
});
