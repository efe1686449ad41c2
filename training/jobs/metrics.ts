/**
 * The scores of the evaluate step (evaluate.ts) and `cli evaluate`: parse accuracy per field, fact consistency, chrF.
 */
import { isGrounded } from '../../bot/core/fact-guard';
import type { Understanding, WeatherFacts } from '../../bot/core/domain';

export const QUERY_FIELDS = ['weather', 'location', 'region', 'when', 'aspect', 'units'] as const;
export type QueryField = (typeof QUERY_FIELDS)[number];

/**
 * Per-field parse accuracy. `weather` is scored on every example; the other fields on the
 * examples whose expected query is a weather question (a wrong `weather` counts as a miss).
 */
export function parseAccuracy(
  pairs: readonly { expected: Understanding; predicted: Understanding | null }[],
): Record<QueryField, number> {
  const hits = Object.fromEntries(QUERY_FIELDS.map((f) => [f, 0])) as Record<QueryField, number>;
  const totals = { ...hits };
  for (const { expected, predicted } of pairs) {
    totals.weather++;
    if (predicted?.weather === expected.weather) hits.weather++;
    if (!expected.weather) continue;
    for (const field of QUERY_FIELDS.slice(1) as Exclude<QueryField, 'weather'>[]) {
      totals[field]++;
      if (predicted?.weather && predicted[field] === expected[field]) hits[field]++;
    }
  }
  return Object.fromEntries(QUERY_FIELDS.map((f) => [f, totals[f] ? hits[f] / totals[f] : 1])) as Record<
    QueryField,
    number
  >;
}

/** How many examples scored each field in parseAccuracy: `weather` every one, the rest the weather questions. */
export function parseSamples(pairs: readonly { expected: Understanding }[]): Record<QueryField, number> {
  const questions = pairs.filter((pair) => pair.expected.weather).length;
  return Object.fromEntries(QUERY_FIELDS.map((f) => [f, f === 'weather' ? pairs.length : questions])) as Record<
    QueryField,
    number
  >;
}

/** Share of answers that say something and whose every number comes from their facts (an empty answer is no answer). */
export function factConsistency(answers: readonly { answer: string; facts: WeatherFacts }[]): number {
  if (answers.length === 0) return 1;
  return (
    answers.filter(({ answer, facts }) => answer.trim() !== '' && isGrounded(answer, facts)).length / answers.length
  );
}

function charNgrams(text: string, n: number): Map<string, number> {
  const chars = [...text.replace(/\s+/g, '')];
  const grams = new Map<string, number>();
  for (let i = 0; i + n <= chars.length; i++) {
    const gram = chars.slice(i, i + n).join('');
    grams.set(gram, (grams.get(gram) ?? 0) + 1);
  }
  return grams;
}

/**
 * chrF (Popović 2015) as sacreBLEU computes it by default: character n-grams of order 1..6,
 * whitespace removed, precision and recall averaged over orders, F-beta with beta = 2; 0..100.
 */
export function chrF(hypothesis: string, reference: string, maxOrder = 6, beta = 2): number {
  let precision = 0;
  let recall = 0;
  let orders = 0;
  for (let n = 1; n <= maxOrder; n++) {
    const hyp = charNgrams(hypothesis, n);
    const ref = charNgrams(reference, n);
    const hypTotal = [...hyp.values()].reduce((a, b) => a + b, 0);
    const refTotal = [...ref.values()].reduce((a, b) => a + b, 0);
    if (hypTotal === 0 || refTotal === 0) continue;
    let overlap = 0;
    for (const [gram, count] of hyp) overlap += Math.min(count, ref.get(gram) ?? 0);
    precision += overlap / hypTotal;
    recall += overlap / refTotal;
    orders++;
  }
  if (orders === 0) return hypothesis.trim() === reference.trim() ? 100 : 0;
  precision /= orders;
  recall /= orders;
  if (precision + recall === 0) return 0;
  const b2 = beta * beta;
  return (100 * (1 + b2) * precision * recall) / (b2 * precision + recall);
}
