import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ASPECTS, NAMED_WHENS, isWhen } from '../../bot/core/domain';
import { generateSeed, HELD_OUT_CITIES } from '../../scripts/seed/generate';
import { unsupportedNumbers } from '../../bot/core/fact-guard';
import { questionKey } from '../../training/dataset/question-key';
import { loadSeed, SeedFormatError, type SeedExample } from '../../training/dataset/seed';

const root = join(import.meta.dirname, '..', '..');
const seedDir = join(root, 'data', 'seed');

let train: SeedExample[];
let heldOut: SeedExample[];
beforeAll(async () => {
  [train, heldOut] = await Promise.all([loadSeed(seedDir, 'train'), loadSeed(seedDir, 'test')]);
});

const weatherOf = (examples: SeedExample[]) =>
  examples.flatMap((e) => (e.query.weather ? [{ ...e, query: e.query }] : []));

test('the seed holds at least 3,000 examples: about a tenth held out, about 15% not about the weather', () => {
  const all = [...train, ...heldOut];
  expect(all.length).toBeGreaterThanOrEqual(3000);
  expect(heldOut.length / all.length).toBeGreaterThan(0.07);
  expect(heldOut.length / all.length).toBeLessThan(0.15);
  const notWeather = all.filter((e) => !e.query.weather).length / all.length;
  expect(notWeather).toBeGreaterThan(0.12);
  expect(notWeather).toBeLessThan(0.18);
  expect(new Set(all.map((e) => e.id)).size).toBe(all.length);
});

test('every when and every aspect is in the training split, and every aspect in the test split', () => {
  const whens = new Set(weatherOf(train).map((e) => e.query.when));
  for (const when of NAMED_WHENS) expect(whens).toContain(when);
  expect([...whens].filter((w) => w.startsWith('+')).length).toBeGreaterThanOrEqual(8);
  for (const split of [train, heldOut]) {
    const aspects = new Set(weatherOf(split).map((e) => e.query.aspect));
    expect([...aspects].sort()).toEqual([...ASPECTS].sort());
  }
  const all = weatherOf([...train, ...heldOut]);
  expect(all.some((e) => e.query.units === 'celsius') && all.some((e) => e.query.units === 'fahrenheit')).toBe(true);
  expect(all.some((e) => e.query.region !== null) && all.some((e) => e.query.location === null)).toBe(true);
});

test('each weather example has the facts of its query and an answer whose every number is in the facts', () => {
  for (const example of [...train, ...heldOut]) {
    if (!example.query.weather) {
      expect(example.facts).toBeNull();
      expect(example.answer).toBeNull();
      continue;
    }
    const { facts, answer, query } = example;
    expect(isWhen(query.when)).toBe(true);
    expect(facts?.when).toBe(query.when);
    expect(facts?.aspect).toBe(query.aspect);
    expect(facts?.periods.length).toBeGreaterThan(0);
    expect(typeof answer).toBe('string');
    expect({ id: example.id, strays: unsupportedNumbers(answer as string, facts!) }).toEqual({
      id: example.id,
      strays: [],
    });
    if (query.units) expect(facts?.units.temperature).toBe(query.units === 'celsius' ? '°C' : '°F');
  }
});

test('no message appears twice, and no test message has the normalized form of a training one', () => {
  const trainKeys = train.map((e) => questionKey(e.message));
  const testKeys = heldOut.map((e) => questionKey(e.message));
  expect(new Set(trainKeys).size).toBe(train.length);
  expect(new Set(testKeys).size).toBe(heldOut.length);
  const seen = new Set(trainKeys);
  expect(testKeys.filter((k) => seen.has(k))).toEqual([]);
});

test('held-out cities appear in the test split only', () => {
  const cityOf = (e: SeedExample) => e.facts?.place.split(',')[0];
  const trainCities = new Set(train.map(cityOf));
  const testCities = new Set(heldOut.map(cityOf));
  for (const city of HELD_OUT_CITIES) {
    expect(trainCities).not.toContain(city);
    expect(testCities).toContain(city);
  }
});

test('the committed files are what `npx tsx scripts/seed/generate.ts` writes from its seed', async () => {
  const out = await mkdtemp(join(tmpdir(), 'seed-out-'));
  try {
    const tsx = join(root, 'node_modules', '.bin', 'tsx');
    await promisify(execFile)(tsx, [join(root, 'scripts', 'seed', 'generate.ts'), '--out', out], { cwd: root });
    for (const file of ['train.jsonl', 'test.jsonl', 'pretrain.jsonl', 'README.md']) {
      const [made, committed] = await Promise.all([
        readFile(join(out, file), 'utf-8'),
        readFile(join(seedDir, file), 'utf-8'),
      ]);
      expect({ file, same: made === committed }).toEqual({ file, same: true });
    }
  } finally {
    await rm(out, { recursive: true, force: true });
  }
  const text = await readFile(join(seedDir, 'README.md'), 'utf-8');
  expect(text).toContain(`\`train.jsonl\` — ${train.length} examples`);
  expect(text).toContain(`\`test.jsonl\` — ${heldOut.length} held-out examples`);
  expect(text).toMatch(/gives exactly the label for \d+\.\d% of the\s+4000 messages/);
});

test('the pretraining readings hold no held-out city and no test message, and teach reading only', async () => {
  const pretrain = await loadSeed(seedDir, 'pretrain');
  expect(pretrain.length).toBeGreaterThan(15_000);
  const testKeys = new Set(heldOut.map((e) => questionKey(e.message)));
  expect(pretrain.filter((e) => testKeys.has(questionKey(e.message)))).toEqual([]);
  const cities = new Set(weatherOf(pretrain).map((e) => (e.query.weather ? e.query.location : null)));
  for (const city of HELD_OUT_CITIES) expect(cities).not.toContain(city);
  expect(pretrain.every((e) => e.facts === null && e.answer === null)).toBe(true);
  expect(pretrain.some((e) => !e.query.weather)).toBe(true);
});

test('generation is deterministic from the seed, and another seed gives other messages', () => {
  const small = generateSeed({ seed: 7, count: 120 });
  expect(generateSeed({ seed: 7, count: 120 })).toEqual(small);
  expect(small.train.length + small.test.length).toBe(120);
  expect(generateSeed({ seed: 8, count: 120 }).train.map((e) => e.message)).not.toEqual(
    small.train.map((e) => e.message),
  );
});

test('the number guard finds a number the facts do not hold, and accepts their dates and clock times', () => {
  const example = weatherOf(train).find((e) => e.query.aspect === 'sun' && e.facts?.periods[0].sunrise)!;
  const { facts } = example;
  const period = facts!.periods[0];
  expect(unsupportedNumbers(`${period.label}: the sun rises at ${period.sunrise}.`, facts!)).toEqual([]);
  expect(unsupportedNumbers('It will be 123°C and -45°C.', facts!)).toEqual([123, -45]);
});

describe('loadSeed', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'seed-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  test('refuses a line whose query is not a weather query, naming the file and line', async () => {
    const good = JSON.stringify({
      id: 'seed-1',
      message: 'hi',
      query: { weather: false },
      facts: null,
      answer: null,
      source: 'seed',
    });
    const bad = JSON.stringify({
      id: 'seed-2',
      message: 'rain?',
      query: { weather: true, when: 'someday' },
      facts: null,
      answer: null,
      source: 'seed',
    });
    await writeFile(join(dir, 'train.jsonl'), `${good}\n${bad}\n`);
    await expect(loadSeed(dir, 'train')).rejects.toThrow(SeedFormatError);
    await expect(loadSeed(dir, 'train')).rejects.toThrow(/train\.jsonl:2: query/);
    await writeFile(join(dir, 'test.jsonl'), `${good}\n\n`);
    expect(await loadSeed(dir, 'test')).toHaveLength(1);
  });
});
