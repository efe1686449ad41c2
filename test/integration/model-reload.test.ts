/**
 * @jest-environment ./test/env/typed-arrays.js
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { env } from '@huggingface/transformers';
import type { Reply } from '../../bot/chat/message';
import { queryPrompt } from '../../bot/core/protocol';
import type { LoadedModel } from '../../bot/model/runtime';
import type { RegisteredVersion } from '../../training/registry';
import { message } from '../helpers/bot';
import {
  createModelWorld,
  scriptedCases,
  scriptedExamples,
  startApp,
  type ModelWorld,
  type RunningApp,
} from '../helpers/model-bot';
import { brokenModel, taughtModel } from '../helpers/model-fixtures';
import { eventually } from '../helpers/eventually';

env.allowRemoteModels = false;

const ANSWERS = { v1: 'Take a coat in Paris.', v2: 'Paris wants a scarf.' };
let world: ModelWorld;
let work: string;
let sources: { v2: string; broken: string };
let v1: RegisteredVersion;
let app: RunningApp;

beforeAll(async () => {
  world = await createModelWorld();
  work = await mkdtemp(join(tmpdir(), 'model-reload-'));
  const teach = async (name: 'v1' | 'v2') =>
    taughtModel(join(work, name), await scriptedExamples(world, [scriptedCases({ used: ANSWERS[name] }).used]), {
      seed: name === 'v1' ? 1 : 2,
    });
  const [v1Source, v2, broken] = await Promise.all([teach('v1'), teach('v2'), brokenModel(join(work, 'broken'))]);
  sources = { v2, broken };
  v1 = await world.registry.register(v1Source, { baseModel: 'tiny' });
  await world.registry.activate(v1.id);
  app = await startApp(world);
}, 60_000);
afterAll(async () => {
  await app?.close();
  await world?.close();
  await rm(work, { recursive: true, force: true });
});

interface Sent {
  /** The version current when the request was sent. */
  version: string | undefined;
  sentAt: number;
  doneAt: number;
  reply: Reply;
}

/** Time of the first log line that says all of `texts`. */
function loggedAt(...texts: string[]): number {
  const line = app.logs.find((l) => texts.every((text) => l.includes(text)));
  if (!line) throw new Error(`no log line says ${texts.join(' … ')}`);
  return Date.parse(line.slice(0, line.indexOf(' ')));
}

describe('hot reload of the active model', () => {
  test('under a steady stream of requests, activating v2 swaps the model; replies in flight finish on v1', async () => {
    const question = scriptedCases().used.message;
    const held = app.models!.current() as LoadedModel;
    expect(held.version).toBe(v1.id);

    const sent: Sent[] = [];
    let stop = false;
    const client = async (user: string) => {
      while (!stop) {
        const version = app.models!.current()?.version;
        const sentAt = Date.now();
        const reply = await app.assistant.handle(message(question, { user }));
        sent.push({ version, sentAt, doneAt: Date.now(), reply });
      }
    };
    const clients = ['ann', 'bob', 'cy'].map(client);

    await eventually(() => sent.length >= 6, 'six replies came on v1');
    const v2 = await world.registry.register(sources.v2, { baseModel: 'tiny' });
    await world.registry.activate(v2.id);
    await eventually(() => app.models!.current()?.version === v2.id, 'v2 is current', 20_000);
    await eventually(() => sent.filter((s) => s.version === v2.id).length >= 6, 'six replies came on v2');
    stop = true;
    await Promise.all(clients);

    const swappedAt = loggedAt('model loaded', `"version":"${v2.id}"`);
    for (const s of sent) {
      expect([v1.id, v2.id]).toContain(s.version);
      if (s.sentAt > swappedAt) expect(s.version).toBe(v2.id);
      const exchange = await app.store.get(s.reply.exchangeId!);
      // Every request answered, by the model it started with.
      expect(s.reply.kind).toBe('weather');
      expect(exchange).toMatchObject({ modelVersion: s.version, source: { understanding: 'model', answer: 'model' } });
      expect(s.reply.text).toBe(s.version === v1.id ? ANSWERS.v1 : ANSWERS.v2);
    }
    const finishedOnV1AfterSwap = sent.filter((s) => s.version === v1.id && s.doneAt >= swappedAt);
    expect(finishedOnV1AfterSwap.length).toBeGreaterThan(0);
    // v1 is freed once its last reply is done.
    await eventually(
      () =>
        held.generator.generate(queryPrompt('hi'), { maxNewTokens: 2, timeoutMs: 1000 }).then(
          () => false,
          (error: Error) => error.name === 'GeneratorDisposedError',
        ),
      'v1 is disposed',
    );
    expect(app.logs.join('\n')).not.toMatch(/ERROR/);
  }, 60_000);

  test('activating a version whose model cannot load keeps the running one and logs why', async () => {
    const running = app.models!.current()!.version;
    const broken = await world.registry.register(sources.broken, { baseModel: 'tiny' });
    await world.registry.activate(broken.id);
    await eventually(
      () => app.logs.some((line) => line.includes('could not load the active model version')),
      'the failed load is logged',
      20_000,
    );

    const line = app.logs.find((l) => l.includes('could not load the active model version'))!;
    expect(JSON.parse(line.slice(line.indexOf('{')))).toMatchObject({
      version: broken.id,
      running,
      error: expect.stringMatching(/\S/),
    });
    expect(app.models!.current()!.version).toBe(running);
    const reply = await app.assistant.handle(message(scriptedCases().used.message));
    expect(reply.text).toBe(ANSWERS.v2);
    expect(await app.store.get(reply.exchangeId!)).toMatchObject({
      modelVersion: running,
      source: { answer: 'model' },
    });
  }, 30_000);
});
