/**
 * `/model` through the assistant, on the real app wiring and registry: admins see the active
 * version and its history, roll back, and put a version in charge by hand; everyone else is
 * refused; every change and failed attempt is audited.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RegisteredVersion } from '../../training/registry';
import { message, startTestBot, type TestBot } from '../helpers/bot';
import { versionFields, writeModelSource } from '../helpers/registry-fixtures';

const admin = { roles: ['admin' as const], user: 'ada' };
const moderator = { roles: ['moderator' as const], user: 'mo' };

let bot: TestBot;
let versions: RegisteredVersion[];

beforeAll(async () => {
  // MODEL=off: the versions hold dummy bytes; this is about the registry, not loading them.
  bot = await startTestBot({ MODEL: 'off' });
  const registry = bot.operations!.registry;
  versions = [];
  for (const seed of [1, 2, 3]) {
    const dir = join(bot.dataDir, `source-${seed}`);
    await writeModelSource(dir, seed);
    versions.push(await registry.register(dir, { ...versionFields(seed), note: `gate failed: run ${seed}` }));
  }
});
afterAll(async () => {
  await bot.stop();
});

const ask = async (text: string, from: { roles: ('admin' | 'moderator')[]; user: string } = admin) =>
  bot.assistant.handle(message(text, from));
const audit = async () =>
  (await readFile(join(bot.dataDir, 'audit.jsonl'), 'utf-8'))
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line));

test('with no version active, an admin puts a candidate in charge by hand; rollback has nothing to go back to', async () => {
  const [v1, v2] = versions;
  expect((await ask('/model status')).text).toMatch(
    /^No model is active: answers come from rules and templates\. An admin can run \/retrain\. Lessons: 0 in use, 0 taught since v\S+ was trained \(\/dataset lessons\)\.$/,
  );
  expect(await ask('/model rollback')).toMatchObject({
    kind: 'error',
    text: 'Could not roll back: there is no other kept version to go back to.',
  });
  expect((await ask('/model activate')).text).toBe('Name the version: /model activate <version> (see /model history).');

  expect(await ask(`/model activate ${v1.id}`)).toMatchObject({
    kind: 'command',
    text: `${v1.id} is now the active model. The bot switches to it within seconds.`,
  });
  expect((await bot.operations!.registry.active())?.id).toBe(v1.id);
  expect((await ask('/model status')).text).toMatch(
    new RegExp(`^Active model ${v1.id}, fine-tuned from HuggingFaceTB/SmolLM2-135M-Instruct on `),
  );

  await ask(`/model activate ${v2.id}`);
  expect(await ask('/model rollback')).toMatchObject({
    kind: 'command',
    text: `Rolled back: ${v1.id} is active again. The bot switches to it within seconds.`,
  });
  const history = (await ask('/model history')).text.split('\n');
  expect(history).toHaveLength(3);
  expect(history.find((line) => line.startsWith(v1.id))).toMatch(
    / — active \(gate failed: run 1\): validationLoss 0\.500/,
  );
  expect(history.find((line) => line.startsWith(v2.id))).toMatch(/ — retired/);
});

test('a version that does not exist, or is marked failed, is refused with the reason; the active one stays', async () => {
  const [v1, , v3] = versions;
  await bot.operations!.registry.markFailed(v3.id, 'its files were damaged');
  expect(await ask('/model activate v9999-20260101T0000Z')).toMatchObject({
    kind: 'error',
    text: 'Could not activate: there is no model version of that name (see /model history).',
  });
  expect(await ask(`/model activate ${v3.id}`)).toMatchObject({
    kind: 'error',
    text: `Could not activate: ${v3.id} is marked failed (its files were damaged): it cannot be activated`,
  });
  expect((await bot.operations!.registry.active())?.id).toBe(v1.id);
  expect((await ask('/model constructor')).text).toBe(
    'Use /model status, /model history, /model rollback [version] or /model activate <version>.',
  );
});

test('only admins: a moderator is refused, and the refusal is audited', async () => {
  const [, v2] = versions;
  expect((await ask(`/model activate ${v2.id}`, moderator)).kind).toBe('refused');
  expect((await bot.operations!.registry.active())?.id).not.toBe(v2.id);
  expect(await audit()).toEqual(
    expect.arrayContaining([
      expect.objectContaining({ who: 'test:ada', action: 'model activate', target: versions[0].id, outcome: 'done' }),
      expect.objectContaining({ who: 'test:ada', action: 'model rollback', target: versions[0].id, outcome: 'done' }),
      expect.objectContaining({ who: 'test:ada', action: 'model activate', target: versions[2].id, outcome: 'failed' }),
      expect.objectContaining({ who: 'test:mo', outcome: 'refused' }),
    ]),
  );
});
