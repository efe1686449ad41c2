/** @jest-environment ./test/env/typed-arrays.js */
/**
 * The learning loop end to end: a question is captured, a moderator approves it, an admin
 * retrains through the assistant, the candidate is promoted, the bot hot-swaps to it and the
 * next exchange records the new version. And the same pipeline from the command line.
 */
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { conversation } from '../../bot/core/protocol';
import { loadSeed } from '../../training/dataset/seed';
import { openRegistry, registryPath } from '../../training/registry';
import { message, startTestBot, type TestBot } from '../helpers/bot';
import { tinyRetrain, writeSeedSubset } from '../helpers/jobs-fixtures';
import { runScript } from '../helpers/run-script';
import { eventually } from '../helpers/eventually';

/** Small enough that a retrain of the tiny base takes seconds. */
const SMALL = { maxTrainExamples: 48, maxValidationExamples: 16 };

let work: string;
let seedDir: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'weatherbot-loop-'));
  seedDir = await writeSeedSubset(join(work, 'seed'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('in the bot', () => {
  let bot: TestBot;
  const admin = { roles: ['admin' as const], user: 'ada' };
  const moderator = { roles: ['moderator' as const], user: 'mo' };

  beforeAll(async () => {
    bot = await startTestBot({ BASE_MODEL: 'tiny' });
    bot.operations!.retrain = tinyRetrain(seedDir, 1, {
      ...bot.operations!.retrain,
      generationSamples: 4,
      hyperparameters: SMALL,
    });
  });
  afterAll(async () => {
    await bot.stop();
  });

  test('question → approval → /retrain → promoted → hot reload → the next answer carries the new version', async () => {
    expect(bot.operations!.retrain.base).toBe('tiny');
    const question = await bot.assistant.handle(message('will it rain in philly tomorrow?', { user: 'pat' }));
    expect(question.exchangeId).toBeDefined();
    expect((await bot.store.get(question.exchangeId!))!.modelVersion).toBeNull();
    expect((await bot.assistant.handle(message('/approve', moderator))).text).toBe(
      `Approved ✅ — exchange ${question.exchangeId}.`,
    );

    const refused = await bot.assistant.handle(message('/retrain', { user: 'pat' }));
    expect(refused.kind).toBe('refused');

    const progress: string[] = [];
    const summary = await bot.assistant.handle(message('/retrain', admin), {
      onProgress: (text) => void progress.push(text),
    });
    expect(summary.kind).toBe('command');
    const versionId = summary.text.match(/: (v\d{4}-\d{8}T\d{4}Z) promoted ✅/)?.[1];
    expect(versionId).toBeDefined();
    expect(summary.text).toMatch(/Metrics: .*validationLoss \d+\.\d{3}.*parseMean \d(\.\d{3})?.*factConsistency/);
    // What users would get, slice by slice: an approval teaches no reading.
    expect(summary.text).toMatch(
      /Reading with it: everyday messages \d\.\d{3} \(without it \d\.\d{3}\); nothing taught yet\./,
    );
    expect(progress[0]).toMatch(/^Training started/);
    expect(progress).toContain('Training… step 1/10: resolve-base');
    expect(progress).toContain('Training… step 10/10: promote');

    const active = await bot.operations!.registry.active();
    expect(active?.id).toBe(versionId);
    // The approved exchange was trained on.
    const report = JSON.parse(await readFile(join(active!.dir, 'report.json'), 'utf-8'));
    expect(report.dataset.prepared.bySource.store).toBe(1);
    expect(report.metrics.generationSamples).toBe(4);

    await eventually(
      () => bot.models?.current()?.version === versionId,
      'the bot to load the promoted version',
      30_000,
    );
    const next = await bot.assistant.handle(message('wind in London today', { user: 'pat' }));
    expect((await bot.store.get(next.exchangeId!))!.modelVersion).toBe(versionId);

    const audit = (await readFile(join(bot.dataDir, 'audit.jsonl'), 'utf-8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(audit).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ who: 'test:pat', action: 'retrain', outcome: 'refused' }),
        expect.objectContaining({ who: 'test:ada', action: 'retrain start', outcome: 'done' }),
        expect.objectContaining({
          who: 'test:ada',
          action: 'retrain finish',
          target: versionId,
          outcome: 'done',
          detail: 'promoted',
        }),
      ]),
    );

    const status = await bot.assistant.handle(message('/model status', admin));
    expect(status.text).toMatch(new RegExp(`^Active model ${versionId}, fine-tuned from tiny`));
    const history = await bot.assistant.handle(message('/model history', admin));
    expect(history.text).toMatch(new RegExp(`^${versionId} — active \\(gate passed: no version is active yet\\)`));
    expect((await bot.assistant.handle(message('/model status', moderator))).kind).toBe('refused');

    const stats = await bot.assistant.handle(message('/dataset stats', moderator));
    expect(stats.kind).toBe('command');
    expect(stats.text).toMatch(/approved/i);
    expect((await bot.assistant.handle(message('/dataset stats', { user: 'pat' }))).kind).toBe('refused');
  }, 120_000);

  test('a candidate the gate keeps back is explained, and an admin can put it in charge by hand', async () => {
    const promoted = (await bot.operations!.registry.active())!.id;
    bot.operations!.retrain = { ...bot.operations!.retrain, gate: { minImprovement: 0.5 } };
    const summary = await bot.assistant.handle(message('/retrain', admin));
    const kept = summary.text.match(
      /: (v\d{4}-\d{8}T\d{4}Z) not promoted — validation loss .* is higher than [^\n]*\n[\s\S]*\nTo use it anyway: \/model activate (v\S+)$/,
    );
    expect(kept?.[1]).toBeDefined();
    expect(kept?.[2]).toBe(kept?.[1]);
    expect((await bot.operations!.registry.active())?.id).toBe(promoted);

    expect((await bot.assistant.handle(message(`/model activate ${kept![1]}`, admin))).text).toBe(
      `${kept![1]} is now the active model. The bot switches to it within seconds.`,
    );
    await eventually(
      () => bot.models?.current()?.version === kept![1],
      'the bot to load the activated version',
      30_000,
    );
  }, 120_000);
});

test('npm run cli -- train --base tiny: trains with extra data, registers and activates, copies the model folder', async () => {
  const dataDir = join(work, 'cli-data');
  const extra = (await loadSeed(seedDir, 'test'))
    .slice(0, 2)
    .map((e) => JSON.stringify({ messages: conversation(e.message, e.query, e.facts, e.answer) }));
  await writeFile(join(work, 'extra.jsonl'), `${extra.join('\n')}\n`);
  const out = join(work, 'exported');
  const run = await runScript(
    'scripts/cli.ts',
    [
      'train',
      '--base',
      'tiny',
      '--seed-dir',
      seedDir,
      '--max-examples',
      '24',
      '--epochs',
      '1',
      '--threads',
      '1',
      '--data',
      join(work, 'extra.jsonl'),
      '--out',
      out,
    ],
    { env: { DATA_DIR: dataDir } },
  );
  expect(run.stderr).toContain('2 extra conversations from');
  expect(run.code).toBe(0);
  expect(run.stderr).toContain('step 1/10: resolve-base');
  expect(run.stderr).toMatch(/epoch 1\/1 done · train \d+\.\d{4}/);

  const active = await (await openRegistry(registryPath(dataDir))).active();
  expect(active).not.toBeNull();
  expect(active!.manifest.baseModel).toBe('tiny');
  // 24 capped seed conversations and the 2 extra ones.
  expect(active!.manifest.dataset?.examples).toBe(26);
  expect(run.stdout).toContain(`${active!.id} promoted (now active)`);
  expect(run.stdout).toContain(`report: ${join(active!.dir, 'report.md')}`);
  expect(run.stdout).toMatch(/parseMean\s+\d\.\d{4}/);
  expect((await stat(join(out, 'onnx', 'model.onnx'))).size).toBeGreaterThan(0);

  const wrong = await runScript('scripts/cli.ts', ['train'], { env: { DATA_DIR: dataDir } });
  expect(wrong.code).toBe(2);
  expect(wrong.stderr).toContain('--base is required');
}, 120_000);
