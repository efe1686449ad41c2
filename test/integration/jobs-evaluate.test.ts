/** @jest-environment ./test/env/typed-arrays.js */
/**
 * The generation metrics of an exported model on validation conversations: a tiny model taught
 * the conversations scores full marks on them, an untrained one scores in range but low.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { conversation } from '../../bot/core/protocol';
import type { PreparedExample } from '../../training/dataset';
import { loadSeed, type SeedExample } from '../../training/dataset/seed';
import { median, metricsOf } from '../../training/jobs/evaluate';
import { parseAccuracy, QUERY_FIELDS } from '../../training/jobs/metrics';
import { sayMetrics } from '../../bot/core/say';
import { understandByRules } from '../../bot/understanding/rules';
import { repoRoot } from '../helpers/registry-fixtures';
import { taughtModel, untrainedModel } from '../helpers/model-fixtures';
import { trainingServices } from '../../bot/training';

const PARSE = ['parseWeather', 'parseLocation', 'parseRegion', 'parseWhen', 'parseAspect', 'parseUnits', 'parseMean'];

function validationExample(seed: SeedExample): PreparedExample {
  return {
    id: seed.id,
    source: 'seed',
    split: 'validation',
    slice: 'everyday',
    key: seed.message,
    query: seed.query,
    chat: { messages: conversation(seed.message, seed.query, seed.facts, seed.answer) },
  };
}

let work: string;
let examples: PreparedExample[];

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'weatherbot-evaluate-'));
  const test = await loadSeed(join(repoRoot, 'data/seed'), 'test');
  const answered = test.filter((e) => e.answer !== null && e.answer.length < 90).slice(0, 2);
  const other = test.find((e) => !e.query.weather)!;
  examples = [...answered, other].map(validationExample);
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

test('a model taught the validation conversations parses them all and repeats the reference answers', async () => {
  const source = await taughtModel(
    join(work, 'taught'),
    examples.map((e) => e.chat),
    { epochs: 200 },
  );
  const metrics = await metricsOf(join(source, 'model'), {
    services: trainingServices,
    validation: { batches: [], examples },
    threads: 1,
  });
  for (const name of PARSE) expect(metrics[name]).toBe(1);
  expect(metrics.guardedParseMean).toBe(1);
  const rules = parseAccuracy(
    examples.map((e) => ({ expected: e.query, predicted: understandByRules(e.chat.messages[1].content) })),
  );
  expect(metrics.rulesParseMean).toBeCloseTo(Object.values(rules).reduce((a, b) => a + b, 0) / 6, 10);
  // Per field, the model's reading beside the rules' on everything scored: what its say over the rules is earned by.
  for (const field of QUERY_FIELDS) {
    const names = sayMetrics(field);
    expect(metrics[names.model]).toBe(1);
    expect(metrics[names.rules]).toBe(rules[field]);
    expect(metrics[names.samples]).toBe(field === 'weather' ? 3 : 2);
  }
  expect(metrics.factConsistency).toBe(1);
  expect(metrics.answerUsable).toBe(1);
  expect(metrics.chrF).toBeCloseTo(100, 5);
  expect(metrics.generationSamples).toBe(3);
  expect(metrics.latencyMsP50).toBeGreaterThan(0);
}, 120_000);

test('an untrained model scores in range, on at most generationSamples conversations', async () => {
  const source = await untrainedModel(join(work, 'untrained'));
  const metrics = await metricsOf(join(source, 'model'), {
    services: trainingServices,
    validation: { batches: [], examples },
    threads: 1,
    generationSamples: 2,
  });
  expect(metrics.generationSamples).toBe(2);
  for (const name of [...PARSE, 'guardedParseMean', 'rulesParseMean', 'factConsistency', 'answerUsable']) {
    expect(metrics[name]).toBeGreaterThanOrEqual(0);
    expect(metrics[name]).toBeLessThanOrEqual(1);
  }
  expect(metrics.parseMean).toBeLessThan(1);
  expect(metrics.chrF).toBeGreaterThanOrEqual(0);
  expect(metrics.chrF).toBeLessThan(50);
  expect(metrics.latencyMsP50).toBeGreaterThan(0);
}, 60_000);

test('no conversation to generate for gives no generation metrics', async () => {
  expect(
    await metricsOf(join(work, 'nowhere'), { services: trainingServices, validation: { batches: [], examples: [] } }),
  ).toEqual({});
});

test('median', () => {
  expect(median([])).toBeNull();
  expect(median([5, 1, 3])).toBe(3);
  expect(median([4, 1, 3, 2])).toBe(2.5);
});
