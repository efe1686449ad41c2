import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildFacts } from '../../bot/answers/facts';
import { renderAnswer } from '../../bot/answers/templates';
import {
  ASPECTS,
  type NewExchange,
  type Understanding,
  type WeatherFacts,
  type WeatherQuery,
} from '../../bot/core/domain';
import { SYSTEM_PROMPT } from '../../bot/core/protocol';
import { openStore } from '../../bot/store/lowdb-store';
import type { ModerationChange, Store } from '../../bot/core/store';
import { datasetCommand } from '../../scripts/cli/dataset';
import { toJsonl, WEATHER_TOOL, type OpenAiRecord } from '../../training/dataset/jsonl';
import { prepareDataset, type PreparedDataset } from '../../training/dataset/prepare';
import { questionKey } from '../../training/dataset/question-key';
import type { SeedExample } from '../../training/dataset/seed';
import { makeReport } from '../helpers/report';

const realSeedDir = join(import.meta.dirname, '..', '..', 'data', 'seed');

let root: string;
let dataDir: string;
let storeDir: string;
let seedDir: string;

const query = (location: string | null, when: WeatherQuery['when'], aspect: WeatherQuery['aspect']): WeatherQuery => ({
  weather: true,
  location,
  region: null,
  when,
  aspect,
  units: null,
});
const factsOf = (q: WeatherQuery): WeatherFacts =>
  buildFacts(makeReport({ place: { name: q.location ?? 'Paris' } }), q);

/** A captured exchange as the assistant records it: the rules' query, the facts, the template answer. */
function exchange(question: string, q: Understanding | null, extra: Partial<NewExchange> = {}): NewExchange {
  const facts = q && q.weather && q.location ? factsOf(q) : null;
  return {
    platform: 'discord',
    channelId: '804120000000000001',
    userId: '193110000000000042',
    question,
    query: q,
    facts,
    answer: facts ? renderAnswer(facts) : "You're welcome! ☀️",
    source: { understanding: 'rules', answer: facts ? 'template' : 'smalltalk' },
    modelVersion: null,
    error: null,
    latencyMs: 12,
    ...extra,
  };
}

const seedExample = (id: string, message: string, q: Understanding): SeedExample => {
  const facts = q.weather ? factsOf(q) : null;
  return { id, message, query: q, facts, answer: facts ? renderAnswer(facts) : null, source: 'seed' };
};

const SEED_TRAIN = [
  seedExample('seed-1', "What's the weather in Paris tomorrow?", query('Paris', 'tomorrow', 'general')),
  seedExample('seed-2', 'will it rain in Lyon on friday', query('Lyon', 'friday', 'rain')),
  seedExample('seed-3', 'thanks!', { weather: false }),
];
const SEED_TEST = [seedExample('seed-4', 'is it windy in Bergen tonight', query('Bergen', 'tonight', 'wind'))];

const PII_QUESTION =
  '<@123456789012345678> hey <#C024BE7LR|general> will it rain in Lima tomorrow? mail jane.doe@example.com or call +1 (555) 123-4567, more at https://example.com/x — cc @alex, thanks Alice';
const PII_SCRUBBED =
  '@user hey #channel will it rain in Lima tomorrow? mail [email] or call [phone], more at [url] — cc @user, thanks [name]';

const moderator = { moderatorId: '555', platform: 'discord' };
const approve: ModerationChange = { status: 'approved', ...moderator };
const correct = (correction: string): ModerationChange => ({ status: 'corrected', correction, ...moderator });

/** Each case: the exchange and how it was moderated (none: pending). */
function cases(): { name: string; input: NewExchange; moderation?: ModerationChange }[] {
  const osloTonight = query('Oslo', 'tonight', 'temperature');
  const osloLow = factsOf(osloTonight).periods[0].low;
  const lima = query('Lima', 'tomorrow', 'rain');
  return [
    {
      name: 'approved',
      input: exchange('Will it rain in Osaka tomorrow?', query('Osaka', 'tomorrow', 'rain')),
      moderation: approve,
    },
    {
      name: 'corrected',
      input: exchange('how cold is it in Oslo tonight', osloTonight),
      moderation: correct(`Oslo gets down to ${osloLow}°C tonight.`),
    },
    {
      name: 'rejected',
      input: exchange('how windy is Denver today', query('Denver', 'today', 'wind')),
      moderation: { status: 'rejected', ...moderator },
    },
    { name: 'pending', input: exchange('humidity in Miami now', query('Miami', 'now', 'humidity')) },
    {
      name: 'errored',
      input: exchange('weather in Atlantis', query('Atlantis', 'now', 'general'), {
        facts: null,
        answer: 'I couldn’t find “Atlantis”.',
        error: 'place-not-found',
      }),
      moderation: approve,
    },
    { name: 'incomplete', input: exchange('uh what', null, { answer: '' }), moderation: approve },
    {
      name: 'invented number',
      input: exchange('how hot in Cairo today', query('Cairo', 'today', 'temperature')),
      moderation: correct('It will be 99°C in Cairo today.'),
    },
    {
      name: 'too long',
      input: exchange(`weather in Rome today ${'please '.repeat(600)}`, query('Rome', 'today', 'general')),
      moderation: approve,
    },
    { name: 'small talk', input: exchange('thanks a lot!', { weather: false }), moderation: approve },
    {
      name: 'clarify',
      input: exchange('will it snow tomorrow?', query(null, 'tomorrow', 'snow'), {
        answer: 'Which place do you mean?',
      }),
      moderation: approve,
    },
    {
      name: 'personal data',
      input: exchange(PII_QUESTION, lima),
      moderation: correct(`Alice: ${renderAnswer(factsOf(lima))}`),
    },
    {
      name: 'newer duplicate',
      input: exchange('will it rain in OSAKA tomorrow??? ☔', query('Osaka', 'tomorrow', 'rain')),
      moderation: approve,
    },
    {
      name: 'corrected duplicate',
      input: exchange('Is it windy in Chicago today', query('Chicago', 'today', 'wind')),
      moderation: correct('Wind today in Chicago: calm.'),
    },
    {
      name: 'approved duplicate',
      input: exchange('is it windy in chicago today!', query('Chicago', 'today', 'wind')),
      moderation: approve,
    },
    {
      name: 'held out',
      input: exchange('Is it windy in Bergen tonight?', query('Bergen', 'tonight', 'wind')),
      moderation: approve,
    },
    {
      name: 'seed duplicate',
      input: exchange("what's the weather in paris tomorrow", query('Paris', 'tomorrow', 'general')),
      moderation: approve,
    },
  ];
}

const ids = new Map<string, string>();
const jsonl = (examples: SeedExample[]) => examples.map((e) => `${JSON.stringify(e)}\n`).join('');

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'dataset-'));
  dataDir = join(root, 'data');
  storeDir = join(dataDir, 'store');
  seedDir = join(root, 'seed');
  await mkdir(seedDir, { recursive: true });
  await writeFile(join(seedDir, 'train.jsonl'), jsonl(SEED_TRAIN));
  await writeFile(join(seedDir, 'test.jsonl'), jsonl(SEED_TEST));
  const store = await openStore({ dir: storeDir, fsync: false });
  for (const { name, input, moderation } of cases()) {
    const captured = await store.capture(input);
    ids.set(name, captured.id);
    if (moderation) await store.moderate(captured.id, moderation);
  }
  await store.close();
});
afterAll(() => rm(root, { recursive: true, force: true }));

async function withStore<T>(use: (store: Store) => Promise<T>, dir = storeDir): Promise<T> {
  const store = await openStore({ dir, readOnly: true });
  try {
    return await use(store);
  } finally {
    await store.close();
  }
}

const prepare = (options: { seedDir?: string } = { seedDir }) =>
  withStore((store) => prepareDataset({ store, knownNames: ['Alice'], ...options }));
const byId = (dataset: PreparedDataset, id: string) => dataset.examples.find((e) => e.id === id);
const roles = (dataset: PreparedDataset, id: string) => byId(dataset, id)?.chat.messages.map((m) => m.role);

describe('prepareDataset', () => {
  let dataset: PreparedDataset;
  beforeAll(async () => {
    dataset = await prepare();
  });

  test('keeps approved and corrected exchanges and the seed train split, and counts every record dropped by reason', () => {
    expect(dataset.report.dropped).toEqual({
      pending: 1,
      rejected: 1,
      incomplete: 1,
      errored: 1,
      'unsupported-numbers': 1,
      'too-long': 1,
      unencodable: 0,
      'held-out': 1,
      duplicate: 3,
    });
    expect(dataset.report.considered).toBe(cases().length + SEED_TRAIN.length);
    const keptIds = dataset.examples.map((e) => e.id).sort();
    const expected = [
      'corrected',
      'small talk',
      'clarify',
      'personal data',
      'newer duplicate',
      'corrected duplicate',
      'seed duplicate',
    ].map((n) => ids.get(n)!);
    expect(keptIds).toEqual([...expected, 'seed-2', 'seed-3'].sort());
    expect(dataset.report).toMatchObject({ kept: 9, bySource: { store: 7, seed: 2 } });
    expect(dataset.report.train + dataset.report.validation).toBe(9);
    expect(dataset.train.length + dataset.validation.length).toBe(9);
  });

  test('marks each example with its slice: a corrected reading is taught, everything else everyday', async () => {
    const dir = join(root, 'slices-store');
    const store = await openStore({ dir, fsync: false });
    const misread = await store.capture(exchange('is it snwoing in Quito tmrw', query('Quito', 'now', 'general')));
    const reading = query('Quito', 'tomorrow', 'snow');
    const taughtFacts = factsOf(reading);
    await store.moderate(misread.id, {
      ...correct(renderAnswer(taughtFacts)),
      reading,
      facts: taughtFacts,
    });
    const answerOnly = await store.capture(
      exchange('how cold is it in Oslo tonight', query('Oslo', 'tonight', 'general')),
    );
    await store.moderate(answerOnly.id, correct('Cold.'));
    const approved = await store.capture(
      exchange('Will it rain in Osaka tomorrow?', query('Osaka', 'tomorrow', 'rain')),
    );
    await store.moderate(approved.id, approve);
    await store.close();
    const sliced = await withStore((source) => prepareDataset({ store: source, seedDir }), dir);
    const sliceOf = (id: string) => byId(sliced, id)?.slice;
    expect([sliceOf(misread.id), sliceOf(answerOnly.id), sliceOf(approved.id), sliceOf('seed-2')]).toEqual([
      'taught',
      'everyday',
      'everyday',
      'everyday',
    ]);
    expect(byId(sliced, misread.id)?.query).toEqual(reading);
    expect(sliced.report.bySlice).toEqual({ taught: 1, everyday: sliced.examples.length - 1 });
  });

  test('writes the tool-call protocol: system, user, query, facts, answer; a corrected exchange answers with the correction', () => {
    const corrected = byId(dataset, ids.get('corrected')!)!;
    expect(corrected.chat.messages.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'tool', 'assistant']);
    const [system, user, call, tool, answer] = corrected.chat.messages;
    expect(system.content).toBe(SYSTEM_PROMPT);
    expect(user.content).toBe('how cold is it in Oslo tonight');
    expect(JSON.parse(call.content)).toEqual(query('Oslo', 'tonight', 'temperature'));
    expect(JSON.parse(tool.content).place).toBe('Oslo, Île-de-France, FR');
    expect(answer.content).toMatch(/^Oslo gets down to -?\d+°C tonight\.$/);
    // Without facts there is no answer to learn: the conversation ends with the query.
    expect(roles(dataset, ids.get('small talk')!)).toEqual(['system', 'user', 'assistant']);
    expect(roles(dataset, ids.get('clarify')!)).toEqual(['system', 'user', 'assistant']);
    expect(byId(dataset, 'seed-3')?.chat.messages[2].content).toBe('{"weather":false}');
  });

  test('scrubs mentions, channels, emails, phone numbers, links, handles and known names from messages and answers', () => {
    const example = byId(dataset, ids.get('personal data')!)!;
    expect(example.chat.messages[1].content).toBe(PII_SCRUBBED);
    expect(example.chat.messages[4].content.startsWith('[name]: ')).toBe(true);
    expect(dataset.report.scrubbed).toEqual({ url: 1, email: 1, mention: 1, channel: 1, handle: 1, phone: 1, name: 2 });
    const text = JSON.stringify(dataset.examples.map((e) => e.chat));
    for (const secret of ['123456789012345678', 'C024BE7LR', 'jane.doe', '123-4567', 'example.com', '@alex', 'Alice'])
      expect(text).not.toContain(secret);
  });

  test('keeps one example per normalized question: the corrected one, else the newest', () => {
    const keys = dataset.examples.map((e) => e.key);
    expect(new Set(keys).size).toBe(keys.length);
    expect(byId(dataset, ids.get('newer duplicate')!)?.key).toBe(questionKey('Will it rain in Osaka tomorrow?'));
    expect(byId(dataset, ids.get('approved')!)).toBeUndefined();
    expect(byId(dataset, ids.get('corrected duplicate')!)?.chat.messages[4].content).toBe(
      'Wind today in Chicago: calm.',
    );
    expect(byId(dataset, ids.get('approved duplicate')!)).toBeUndefined();
    expect(byId(dataset, 'seed-1')).toBeUndefined();
    expect(byId(dataset, ids.get('seed duplicate')!)?.source).toBe('store');
  });

  test('the same data gives the same examples, order and hash; other data another hash', async () => {
    const again = await prepare();
    expect(again.examples).toEqual(dataset.examples);
    expect(again.manifest).toEqual(dataset.manifest);
    expect(dataset.manifest).toMatchObject({
      examples: 9,
      train: dataset.train.length,
      validation: dataset.validation.length,
    });
    expect(dataset.manifest.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(dataset.manifest.bytes).toBe(
      Buffer.byteLength(
        dataset.examples.map((e) => `${JSON.stringify({ split: e.split, messages: e.chat.messages })}\n`).join(''),
      ),
    );

    const shuffled = join(root, 'seed-shuffled');
    await mkdir(shuffled, { recursive: true });
    await writeFile(join(shuffled, 'train.jsonl'), jsonl([...SEED_TRAIN].reverse()));
    await copyFile(join(seedDir, 'test.jsonl'), join(shuffled, 'test.jsonl'));
    expect((await prepare({ seedDir: shuffled })).manifest.sha256).toBe(dataset.manifest.sha256);

    const withoutSeed = await prepare({});
    expect(withoutSeed.report.bySource).toEqual({ store: 8, seed: 0 });
    expect(withoutSeed.manifest.sha256).not.toBe(dataset.manifest.sha256);
  });

  test('drops conversations over the character limit', async () => {
    const strict = await withStore((store) => prepareDataset({ store, maxChars: 800 }));
    expect(strict.report.dropped['too-long']).toBeGreaterThan(dataset.report.dropped['too-long']);
    for (const example of strict.examples)
      expect(example.chat.messages.reduce((n, m) => n + m.content.length, 0)).toBeLessThanOrEqual(800);
  });
});

describe('the train/validation split', () => {
  test('is a tenth by question hash, and adding data never moves a question to the other side', async () => {
    const seedOnly = await prepareDataset({ seedDir: realSeedDir });
    const share = seedOnly.report.validation / seedOnly.report.kept;
    expect(share).toBeGreaterThan(0.07);
    expect(share).toBeLessThan(0.13);
    const train = new Set(seedOnly.examples.filter((e) => e.split === 'train').map((e) => e.key));
    expect(seedOnly.examples.filter((e) => e.split === 'validation' && train.has(e.key))).toEqual([]);

    const grown = await withStore((store) => prepareDataset({ store, seedDir: realSeedDir }));
    expect(grown.report.bySource.store).toBeGreaterThan(0);
    const splitOf = new Map(grown.examples.map((e) => [e.key, e.split]));
    const moved = seedOnly.examples.filter((e) => splitOf.has(e.key) && splitOf.get(e.key) !== e.split);
    expect(moved).toEqual([]);
    // A smaller slice of the seed puts each of its questions where the whole seed does.
    const slice = join(root, 'seed-slice');
    await mkdir(slice, { recursive: true });
    const lines = (await readFile(join(realSeedDir, 'train.jsonl'), 'utf-8')).split('\n').filter(Boolean);
    await writeFile(join(slice, 'train.jsonl'), `${lines.filter((_, i) => i % 7 === 0).join('\n')}\n`);
    await copyFile(join(realSeedDir, 'test.jsonl'), join(slice, 'test.jsonl'));
    const small = await prepareDataset({ seedDir: slice });
    const whole = new Map(seedOnly.examples.map((e) => [e.key, e.split]));
    expect(small.examples.filter((e) => whole.get(e.key) !== e.split)).toEqual([]);
  });
});

describe('export', () => {
  let dataset: PreparedDataset;
  beforeAll(async () => {
    dataset = await prepare();
  });
  const all = () => [...dataset.train, ...dataset.validation];
  const parse = <T>(text: string): T[] =>
    text
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as T);

  test('hf: one {"messages":[{role, content}]} per line, the protocol roles as they are', () => {
    const records = parse<{ messages: { role: string; content: string }[] }>(toJsonl(all(), 'hf'));
    expect(records).toHaveLength(all().length);
    for (const [i, record] of records.entries()) {
      expect(Object.keys(record)).toEqual(['messages']);
      expect(record.messages).toEqual(all()[i].messages.map(({ role, content }) => ({ role, content })));
      for (const message of record.messages) expect(Object.keys(message)).toEqual(['role', 'content']);
    }
    expect(records.some((r) => r.messages.map((m) => m.role).join() === 'system,user,assistant,tool,assistant')).toBe(
      true,
    );
  });

  test('openai: the query is a get_weather tool call, the facts its tool result, and each line lists the tool', () => {
    const records = parse<OpenAiRecord>(toJsonl(all(), 'openai'));
    expect(records).toHaveLength(all().length);
    const properties = (WEATHER_TOOL.function.parameters as { properties: Record<string, { enum?: unknown[] }> })
      .properties;
    let calls = 0;
    for (const [i, record] of records.entries()) {
      expect(Object.keys(record).sort()).toEqual(['messages', 'tools']);
      expect(record.tools).toEqual([WEATHER_TOOL]);
      const source = all()[i].messages;
      const callIds = new Set<string>();
      record.messages.forEach((message, j) => {
        expect(['system', 'user', 'assistant', 'tool']).toContain(message.role);
        if ('tool_calls' in message) {
          expect(message).not.toHaveProperty('content');
          expect(message.tool_calls).toHaveLength(1);
          const [call] = message.tool_calls;
          expect(call.type).toBe('function');
          expect(call.function.name).toBe('get_weather');
          const args = JSON.parse(call.function.arguments);
          const { weather: _weather, ...expected } = JSON.parse(source[j].content);
          expect(args).toEqual(expected);
          expect(Object.keys(args).sort()).toEqual(
            [...(WEATHER_TOOL.function.parameters as { required: string[] }).required].sort(),
          );
          for (const [key, value] of Object.entries(args))
            if (properties[key].enum) expect(properties[key].enum).toContain(value);
          callIds.add(call.id);
          calls += 1;
        } else if (message.role === 'tool') {
          expect(callIds).toContain(message.tool_call_id);
          expect(message.content).toBe(source[j].content);
        } else {
          expect(message.content).toBe(source[j].content);
        }
      });
    }
    expect(calls).toBe(dataset.examples.filter((e) => e.query.weather).length);
    const notWeather = records[all().findIndex((c) => c.messages[2].content === '{"weather":false}')];
    expect(notWeather.messages.map((m) => m.role)).toEqual(['system', 'user', 'assistant']);
    expect(notWeather.messages[2]).toEqual({ role: 'assistant', content: '{"weather":false}' });
    expect(properties.aspect.enum).toEqual([...ASPECTS]);
  });
});

describe('npm run cli -- dataset', () => {
  const io = () => {
    const out = { stdout: '', stderr: '' };
    return {
      out,
      io: {
        env: { DATA_DIR: dataDir },
        stdout: { write: (t: string) => (out.stdout += t) },
        stderr: { write: (t: string) => (out.stderr += t) },
      },
    };
  };

  test('export --format openai --out writes the chosen split as JSONL, and without --out prints it', async () => {
    const file = join(root, 'exports', 'openai.jsonl');
    const run = io();
    expect(
      await datasetCommand(
        ['export', '--format', 'openai', '--out', file, '--split', 'all', '--seed-dir', seedDir],
        run.io,
      ),
    ).toBe(0);
    const lines = (await readFile(file, 'utf-8')).trimEnd().split('\n');
    expect(lines).toHaveLength(9);
    expect(lines.every((line) => Array.isArray(JSON.parse(line).tools))).toBe(true);
    expect(run.out.stdout).toBe('');
    expect(run.out.stderr).toMatch(
      /^9 examples \(all, openai\) written to .*openai\.jsonl; dataset sha256 [0-9a-f]{64}\n$/,
    );

    const printed = io();
    expect(
      await datasetCommand(['export', '--format', 'hf', '--split', 'validation', '--seed-dir', seedDir], printed.io),
    ).toBe(0);
    const dataset = await withStore((store) => prepareDataset({ store, seedDir }));
    expect(printed.out.stdout).toBe(toJsonl(dataset.validation, 'hf'));
  });

  test('wrong usage prints the usage and returns 2', async () => {
    for (const args of [
      ['export'],
      ['export', '--format', 'csv'],
      ['export', '--format', 'hf', '--split', 'test'],
      ['stats', '--bogus', '1'],
      ['nope'],
    ]) {
      const run = io();
      expect(await datasetCommand(args, run.io)).toBe(2);
      expect(run.out.stderr).toContain('usage: npm run --silent cli -- dataset');
    }
  });

  test('stats prints counts by moderation status, aspect, when and source', async () => {
    const run = io();
    expect(await datasetCommand(['stats', '--seed-dir', seedDir], run.io)).toBe(0);
    const text = run.out.stdout;
    expect(text).toContain(`store: ${cases().length} exchanges`);
    expect(text).toContain('  by status: pending 1, approved 10, rejected 1, corrected 4');
    expect(text).toMatch(
      / {2}by aspect: general 3, temperature 2, rain 3, snow 1, wind 4, humidity 1, \(not weather\) 1, \(no query\) 1\n/,
    );
    expect(text).toMatch(/ {2}by when: {3}now 2, today 5, tonight 2, tomorrow 5, \(not weather\) 1, \(no query\) 1\n/);
    expect(text).toContain('seed train: 3 examples');
    expect(text).toContain('seed test: 1 examples');
    expect(text).toContain('prepared: 9 of 19 examples');
    expect(text).toContain('  by source: store 7, seed 2');
    expect(text).toContain(
      '  dropped:   pending 1, rejected 1, incomplete 1, errored 1, unsupported-numbers 1, too-long 1, held-out 1, duplicate 3',
    );
  });

  test('stats reads the shipped seed by default', async () => {
    const run = io();
    expect(await datasetCommand(['stats'], run.io)).toBe(0);
    const trainCount = (await readFile(join(realSeedDir, 'train.jsonl'), 'utf-8')).trimEnd().split('\n').length;
    expect(run.out.stdout).toContain(`seed train: ${trainCount} examples`);
  });
});
