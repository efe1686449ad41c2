/**
 * @jest-environment ./test/env/typed-arrays.js
 */
/**
 * The retrain job end to end: the bot's real store and assistant (local Open-Meteo), a tiny base
 * model, the pipeline in a child process through the job runner, the real registry.
 */
import { mkdir, readdir, readFile, stat } from 'node:fs/promises';
import { jest } from '@jest/globals';
import { join } from 'node:path';
import { acquireLock } from '../../bot/core/lock';
import { lastTrainingTime, LOCK_FILE, jobsDir, type LastTraining } from '../../training/jobs/files';
import { REPORT_FILES, type RetrainReport } from '../../training/jobs/report';
import { RETRAIN_STEPS, type RetrainProgress } from '../../training/jobs/progress';
import { JobAlreadyRunningError, JobCancelledError, JobFailedError, JobRunner } from '../../training/jobs/runner';
import { openRegistry, registryPath, type ModelRegistry } from '../../training/registry';
import { message, startTestBot, type TestBot } from '../helpers/bot';
import { isAlive, JobsChild, tinyRetrain, writeSeedSubset } from '../helpers/jobs-fixtures';
import { eventually } from '../helpers/eventually';
import { BOT_ENTRIES, bundle } from '../../scripts/build';

jest.setTimeout(60_000);

let bot: TestBot;
let seedDir: string;
let runner: JobRunner;
let registry: ModelRegistry;
const logs: string[] = [];
const moderator = { roles: ['moderator' as const], user: 'mod-1' };
const QUESTIONS = [
  'will it rain in Paris tomorrow?',
  'how warm is it in Tokyo today?',
  'is it windy in London?',
  'temperature in Sydney tomorrow',
  'weather in Philadelphia this weekend',
];

const ask = (text: string, options?: Parameters<typeof message>[1]) => bot.assistant.handle(message(text, options));
const exists = (path: string) =>
  stat(path).then(
    () => true,
    () => false,
  );
const jobsFolder = () => jobsDir(bot.dataDir);

beforeAll(async () => {
  bot = await startTestBot();
  seedDir = await writeSeedSubset(join(bot.dataDir, 'seed-subset'));
  // Captured by the assistant, moderated with the moderators' commands: four approved, one corrected.
  for (const [i, question] of QUESTIONS.entries()) {
    const reply = await ask(question);
    expect(reply.kind).toBe('weather');
    const verdict = i === 4 ? '/correct Expect a mild and mostly dry weekend in Philadelphia.' : '/approve';
    expect((await ask(verdict, moderator)).text).toMatch(/Approved|Correction saved/);
  }
  const log = (level: string) => (text: string, fields?: Record<string, unknown>) =>
    void logs.push(`${level} ${text} ${JSON.stringify(fields ?? {})}`);
  // The training job as `npm start` forks it: bundled, on Node alone (jobs-child.ts forks the TypeScript source).
  const [, bundledJob] = await bundle(BOT_ENTRIES);
  runner = new JobRunner({
    dataDir: bot.dataDir,
    entry: bundledJob,
    log: { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') },
  });
  registry = await openRegistry(registryPath(bot.dataDir));
});
afterAll(async () => {
  await runner?.close();
  await bot?.stop();
});

/** No job folder, lock or running record left in <dataDir>/jobs. */
async function expectJobsFolderClean(): Promise<void> {
  const left = (await readdir(jobsFolder())).filter((name) => name !== 'last-training.json');
  expect(left).toEqual([]);
}

test('retrains the tiny model in a child process while the bot keeps answering, and promotes the first version', async () => {
  const events: RetrainProgress[] = [];
  let lastBeat = performance.now();
  let maxLagMs = 0;
  const heartbeat = setInterval(() => {
    const now = performance.now();
    maxLagMs = Math.max(maxLagMs, now - lastBeat - 20);
    lastBeat = now;
  }, 20);
  const started = performance.now();
  const job = await runner.start('retrain', tinyRetrain(seedDir), {
    by: 'admin test',
    onProgress: (event) => events.push(event),
  });
  const answers: number[] = [];
  try {
    while (job.state === 'running') {
      const asked = performance.now();
      // A new user each time: the rate limit is per user.
      const reply = await ask('will it rain in Paris tomorrow?', { user: `user-during-training-${answers.length}` });
      expect(reply.kind).toBe('weather');
      answers.push(performance.now() - asked);
      await new Promise((wake) => setTimeout(wake, 50));
    }
    const summary = await job.done;
    const elapsedMs = performance.now() - started;

    expect(job.state).toBe('succeeded');
    expect(summary).toMatchObject({
      promoted: true,
      reason: 'no version is active yet',
      baseModel: 'tiny',
      parent: null,
    });
    expect((await registry.active())?.id).toBe(summary.versionId);
    // The bot answered throughout, and its event loop never stalled.
    expect(answers.length).toBeGreaterThan(3);
    expect(Math.max(...answers)).toBeLessThan(1000);
    expect(maxLagMs).toBeLessThan(500);
    expect(job.pid).toEqual(expect.any(Number));
    expect(job.pid).not.toBe(process.pid);
    process.stderr.write(
      `tiny retrain through the runner: ${Math.round(elapsedMs)} ms (pipeline ${summary.durationMs} ms); ${answers.length} answers meanwhile, slowest ${Math.round(Math.max(...answers))} ms; event-loop lag ≤ ${Math.round(maxLagMs)} ms\n`,
    );

    // Progress went through every step in order, with the trainer's events and the registration.
    expect(events.filter((e) => e.type === 'step').map((e) => e.type === 'step' && e.step)).toEqual([...RETRAIN_STEPS]);
    expect(events.some((e) => e.type === 'train' && e.event.type === 'step')).toBe(true);
    expect(events).toContainEqual({ type: 'registered', versionId: summary.versionId });

    const version = await registry.get(summary.versionId);
    for (const file of [
      'adapter/adapter_config.json',
      'adapter/adapter_model.safetensors',
      'model/config.json',
      'model/onnx/model.onnx',
      ...Object.values(REPORT_FILES),
    ]) {
      expect(Object.keys(version.manifest.files)).toContain(file);
    }
    await registry.verify(summary.versionId);
    expect(version.manifest).toMatchObject({
      baseModel: 'tiny',
      dataset: { hash: `sha256:${summary.dataset.sha256}`, examples: summary.dataset.train },
      hyperparameters: { loraR: 8, loraAlpha: 16, loraTargets: 'q_proj,v_proj', epochs: 1 },
      metrics: summary.metrics,
    });
    const adapterConfig = JSON.parse(await readFile(join(version.adapterDir!, 'adapter_config.json'), 'utf-8'));
    expect(adapterConfig).toMatchObject({
      peft_type: 'LORA',
      r: 8,
      lora_alpha: 16,
      target_modules: ['q_proj', 'v_proj'],
    });
    // Training lowered the validation loss of the untuned base.
    expect(summary.metrics.validationLoss).toBeLessThan(summary.metrics.baseValidationLoss);

    const report = JSON.parse(await readFile(join(version.dir, REPORT_FILES.json), 'utf-8')) as RetrainReport;
    expect(report.dataset.prepared.bySource.store).toBe(QUESTIONS.length);
    expect(report.dataset.train + report.dataset.validation).toBe(summary.dataset.train + summary.dataset.validation);
    expect(report.decision).toEqual({ promote: true, reason: 'no version is active yet' });
    expect(report.training.history.steps.length).toBe(report.training.steps);
    expect(summary.reportPath).toBe(join(version.dir, REPORT_FILES.markdown));
    const markdown = await readFile(summary.reportPath, 'utf-8');
    expect(markdown).toMatch(/\*\*Promoted\*\*: no version is active yet/);
    expect(markdown).toContain(`| validationLoss | ${summary.metrics.validationLoss.toFixed(4)} |`);
    const chart = await readFile(join(version.dir, REPORT_FILES.chart), 'utf-8');
    expect(chart).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    const trainLine = /<polyline fill="none" stroke="#1f77b4"[^>]* points="([^"]+)"/.exec(chart);
    expect(trainLine![1].split(' ')).toHaveLength(report.training.steps);

    await expectJobsFolderClean();
    const marker = JSON.parse(await readFile(join(jobsFolder(), 'last-training.json'), 'utf-8')) as LastTraining;
    expect(marker).toMatchObject({ versionId: summary.versionId, promoted: true });
    expect(await lastTrainingTime(bot.dataDir, registry)).toEqual(new Date(marker.preparedAt));
    expect(logs.some((line) => line.startsWith('info training job finished') && line.includes(summary.versionId))).toBe(
      true,
    );
  } finally {
    clearInterval(heartbeat);
    job.cancel(); // when an expectation failed mid-run: the next test needs the lock
    await job.done.catch(() => undefined);
  }
});

test('a lock left by a killed process is taken over; a stricter gate registers a candidate and keeps the active version', async () => {
  // Another process runs a job and is killed -9: its lock stays behind with a dead pid, and its orphaned training
  // process stops and cleans up.
  const other = new JobsChild(['run', bot.dataDir, seedDir]);
  const [, otherJob, trainingPid] = (await other.line('training ')).split(' ');
  process.kill(other.pid, 'SIGKILL');
  await other.exited;
  expect(await exists(join(jobsFolder(), LOCK_FILE))).toBe(true);
  await eventually(() => !isAlive(Number(trainingPid)), 'the orphaned training process to stop');
  expect(await exists(join(jobsFolder(), otherJob))).toBe(false);
  // What a job killed outright (SIGKILL to its whole process group) leaves is swept by the next start.
  const leftover = join(jobsFolder(), 'job-20260101T000000-dead', 'version', 'adapter');
  await mkdir(leftover, { recursive: true });

  const active = await registry.active();
  const job = await runner.start('retrain', tinyRetrain(seedDir, 1, { gate: { minImprovement: 0.5 } }), {
    by: 'admin test',
  });
  const summary = await job.done;
  expect(await exists(join(jobsFolder(), 'job-20260101T000000-dead'))).toBe(false);
  expect(summary.promoted).toBe(false);
  expect(summary.reason).toMatch(
    new RegExp(
      `^validation loss \\d+\\.\\d{4} is higher than \\d+\\.\\d{4}, 50% below the active version ${active!.id}'s \\d+\\.\\d{4}$`,
    ),
  );
  expect(summary.parent).toBe(active!.id);
  expect(summary.metrics.activeValidationLoss).toBeGreaterThan(0);
  expect((await registry.active())?.id).toBe(active!.id);
  const candidate = await registry.get(summary.versionId);
  expect(candidate.manifest).toMatchObject({
    status: 'candidate',
    parent: active!.id,
    note: `gate failed: ${summary.reason}`,
  });
  const report = JSON.parse(await readFile(join(candidate.dir, REPORT_FILES.json), 'utf-8')) as RetrainReport;
  expect(report.decision.promote).toBe(false);
  expect(report.active).toMatchObject({ id: active!.id, incomparable: null });
  await expectJobsFolderClean();
});

test('one job at a time, from this process and from another; cancelling mid-training leaves the active version as it was', async () => {
  const before = await registry.history();
  const active = await registry.active();
  let trainingSteps = 0;
  const job = await runner.start('retrain', tinyRetrain(seedDir, 10_000), {
    by: 'admin test',
    onProgress: (event) => void (event.type === 'train' && event.event.type === 'step' && trainingSteps++),
  });
  await eventually(() => trainingSteps > 0, 'training to start');

  const refusal = new RegExp(
    `^a training job is already running \\(started ${job.startedAt.toISOString().replace(/\./g, '\\.')} by admin test, job ${job.id}, process ${process.pid}\\)`,
  );
  await expect(runner.start('retrain', tinyRetrain(seedDir), { by: 'admin other' })).rejects.toThrow(
    JobAlreadyRunningError,
  );
  await expect(runner.start('retrain', tinyRetrain(seedDir), { by: 'admin other' })).rejects.toThrow(refusal);
  const other = new JobsChild(['start', bot.dataDir, seedDir]);
  expect((await other.line('')).replace(/^error /, '')).toMatch(refusal);

  job.cancel();
  await expect(job.done).rejects.toThrow(JobCancelledError);
  expect(job.state).toBe('cancelled');
  expect(trainingSteps).toBeLessThan(10_000);
  expect((await registry.active())?.id).toBe(active!.id);
  expect((await registry.history()).map((v) => v.id)).toEqual(before.map((v) => v.id));
  expect(await exists(join(registry.root, '.staging'))).toBe(false);
  await expectJobsFolderClean();
});

test('kill -9 of the training process fails the job with a clear error and frees the lock', async () => {
  const before = await registry.history();
  let training = false;
  const job = await runner.start('retrain', tinyRetrain(seedDir, 10_000), {
    by: 'admin test',
    onProgress: (event) => void (training ||= event.type === 'train'),
  });
  await eventually(() => training, 'training to start');
  process.kill(job.pid!, 'SIGKILL');
  await expect(job.done).rejects.toThrow(JobFailedError);
  await expect(job.done).rejects.toThrow(
    `the training process of job ${job.id} (pid ${job.pid}) was killed by SIGKILL before finishing`,
  );
  expect(job.state).toBe('failed');
  expect(runner.running()).toBeNull();
  expect((await registry.history()).map((v) => v.id)).toEqual(before.map((v) => v.id));
  await expectJobsFolderClean();
  const lock = await acquireLock(join(jobsFolder(), LOCK_FILE));
  await lock.release();
});
