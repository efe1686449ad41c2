/**
 * @jest-environment ./test/env/typed-arrays.js
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { env } from '@huggingface/transformers';
import { Assistant } from '../../bot/assistant/assistant';
import { renderAnswer } from '../../bot/answers/templates';
import type { Exchange } from '../../bot/core/domain';
import { answerPrompt, queryText } from '../../bot/core/protocol';
import { sayMetrics } from '../../bot/core/say';
import { understandByRules } from '../../bot/understanding/rules';
import type { RegisteredVersion } from '../../training/registry';
import { message } from '../helpers/bot';
import { eventually } from '../helpers/eventually';
import {
  createModelWorld,
  scriptedCases,
  scriptedExamples,
  startApp,
  type ModelWorld,
  type RunningApp,
  type ScriptedCase,
} from '../helpers/model-bot';
import { taughtModel } from '../helpers/model-fixtures';

env.allowRemoteModels = false;

const cases = scriptedCases();
/** A message the rules take for small talk that this model reads as a weather question about a place it names. */
const placeOnly = {
  weather: true,
  location: 'Paris',
  region: null,
  when: 'tomorrow',
  aspect: 'general',
  units: null,
} as const;
const intent: ScriptedCase = {
  message: 'Paris tomorrow?',
  written: queryText(placeOnly),
  query: placeOnly,
  answer: 'A fair day in Paris.',
};
let source: string;
let world: ModelWorld;
let work: string;
let version: RegisteredVersion;
let app: RunningApp;

beforeAll(async () => {
  world = await createModelWorld();
  work = await mkdtemp(join(tmpdir(), 'model-assistant-'));
  source = await taughtModel(work, await scriptedExamples(world, [...Object.values(cases), intent]));
  version = await world.registry.register(source, { baseModel: 'tiny' });
  await world.registry.activate(version.id);
  app = await startApp(world);
}, 60_000);
afterAll(async () => {
  await app?.close();
  await world?.close();
  await rm(work, { recursive: true, force: true });
});

async function ask(text: string, assistant: Assistant = app.assistant): Promise<{ text: string; exchange: Exchange }> {
  const reply = await assistant.handle(message(text));
  const exchange = await app.store.get(reply.exchangeId!);
  return { text: reply.text, exchange: exchange! };
}

const modelLogs = (step: 'query' | 'answer') =>
  app.logs
    .filter((line) => line.includes(`DEBUG model ${step} `))
    .map((line) => JSON.parse(line.slice(line.indexOf('{'))));

describe('the assistant with the active model', () => {
  test('the active version is loaded at start', () => {
    expect(app.models?.current()).toMatchObject({ version: version.id });
    expect(app.assistant.notice).toBeNull();
  });

  test('the model writes the query and the answer when both pass their guards, and the exchange says so', async () => {
    const { text, exchange } = await ask(cases.used.message);
    expect(text).toBe('Take a coat in Paris.');
    // The model's query, not the rules' (they read the aspect as general).
    expect(understandByRules(cases.used.message)).toMatchObject({ aspect: 'general' });
    expect(exchange).toMatchObject({
      query: cases.used.query,
      answer: 'Take a coat in Paris.',
      source: { understanding: 'model', answer: 'model' },
      modelVersion: version.id,
      error: null,
    });
    expect(exchange.facts).toEqual(await world.factsFor(cases.used.query));
  });

  test('an answer stating a number the facts lack is replaced by the template answer', async () => {
    // The construction: this model does write an ungrounded number here.
    const facts = await world.factsFor(cases.ungrounded.query);
    const written = await app
      .models!.current()!
      .generator.generate(answerPrompt(cases.ungrounded.message, cases.ungrounded.query, facts), {
        maxNewTokens: 64,
        timeoutMs: 10_000,
      });
    expect(written.text).toBe('Tokyo will be 987 degrees.');

    const { text, exchange } = await ask(cases.ungrounded.message);
    expect(text).toBe(renderAnswer(facts));
    expect(text).not.toContain('987');
    expect(exchange).toMatchObject({
      query: cases.ungrounded.query,
      source: { understanding: 'model', answer: 'template' },
      modelVersion: version.id,
    });
    expect(modelLogs('answer').at(-1)).toMatchObject({ version: version.id, used: false, fallback: 'ungrounded' });
  });

  test('a model taught junk writes a query under the grammar; where it reads no weather the rules read, and the model still answers', async () => {
    const { text, exchange } = await ask(cases.junk.message);
    // Taught '{"weather":maybe', the grammar leaves it '{"weather":false}': a reading the guard overrules, not junk.
    expect(modelLogs('query').at(-1)).toMatchObject({ by: 'rules', fallback: 'intent' });
    expect(exchange).toMatchObject({
      query: understandByRules(cases.junk.message),
      source: { understanding: 'rules', answer: 'model' },
      modelVersion: version.id,
    });
    expect(text).toBe('London is breezy.');
  });

  test('a generation that runs out of time falls back, and the reply still comes', async () => {
    const hurried = new Assistant({
      store: app.store,
      weather: app.assistant.weather,
      understand: understandByRules,
      model: { models: app.models!, limits: { maxNewTokens: 64, timeoutMs: 1 } },
      log: app.assistant.log,
      rateLimitPerMinute: 100,
      maxMessageLength: 500,
      defaultUnits: null,
    });
    const started = Date.now();
    const { text, exchange } = await ask(cases.used.message, hurried);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(text).toBe(renderAnswer(exchange.facts!));
    expect(exchange).toMatchObject({
      query: understandByRules(cases.used.message),
      source: { understanding: 'rules', answer: 'template' },
      modelVersion: version.id,
    });
    expect(modelLogs('query').at(-1)).toMatchObject({ by: 'rules', fallback: 'timeout' });
    expect(modelLogs('answer').at(-1)).toMatchObject({ used: false, fallback: 'timeout' });
  });

  test('a version whose evaluation measured it reading intent better than the rules has its weather reading stand', async () => {
    expect(understandByRules(intent.message)).toEqual({ weather: false });
    // The version without those metrics: the rules decide, as before.
    const before = await ask(intent.message);
    expect(modelLogs('query').at(-1)).toMatchObject({ version: version.id, by: 'rules', fallback: 'intent' });
    expect(before.exchange).toMatchObject({ query: { weather: false }, source: { answer: 'smalltalk' } });

    const names = sayMetrics('weather');
    const earned = await world.registry.register(source, {
      baseModel: 'tiny',
      metrics: { [names.model]: 0.97, [names.rules]: 0.81, [names.samples]: 64 },
    });
    await world.registry.activate(earned.id);
    await eventually(() => app.models!.current()?.version === earned.id, 'the version with a say is current', 20_000);
    expect([...app.models!.current()!.say]).toEqual(['weather']);

    const { text, exchange } = await ask(intent.message);
    expect(modelLogs('query').at(-1)).toMatchObject({ version: earned.id, by: 'model', fallback: null });
    expect(exchange).toMatchObject({
      query: placeOnly,
      source: { understanding: 'model', answer: 'model' },
      modelVersion: earned.id,
    });
    expect(text).toBe(intent.answer);
  });

  test('MODEL=off: rules and templates only, though a version is active', async () => {
    await app.close();
    app = await startApp(world, { MODEL: 'off' });
    expect(app.models).toBeNull();
    expect(app.assistant.notice).toBeNull();
    const { text, exchange } = await ask(cases.used.message);
    expect(text).toBe(renderAnswer(exchange.facts!));
    expect(exchange).toMatchObject({
      query: understandByRules(cases.used.message),
      source: { understanding: 'rules', answer: 'template' },
      modelVersion: null,
    });
    expect(modelLogs('query')).toHaveLength(0);
  });
});
