import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createLogger, type Logger } from '../../bot/core/log';
import {
  checkCron,
  countNewApproved,
  DEFAULT_RETRAIN_CRON,
  ScheduleConfigError,
  startSchedule,
  type ScheduleOptions,
} from '../../bot/schedule';
import { openStore } from '../../bot/store/lowdb-store';
import type { Store } from '../../bot/core/store';
import { jobsDir, LAST_TRAINING_FILE } from '../../training/jobs/files';
import { JobRunner } from '../../training/jobs/runner';
import { openRegistry, registryPath, type ModelRegistry } from '../../training/registry';
import { eventually } from '../helpers/eventually';
import { versionFields, writeModelSource } from '../helpers/registry-fixtures';
import { makeTempDir, removeDir, sampleExchange } from '../helpers/store-fixtures';
import { TRAINING_JOB_ENTRY } from '../../bot/training';

let dir: string;
let store: Store;
let registry: ModelRegistry;
let runner: JobRunner;
let logs: string[];
let log: Logger;
let captured = 0;

beforeEach(async () => {
  dir = await makeTempDir('schedule-');
  store = await openStore({ dir: join(dir, 'store'), fsync: false });
  registry = await openRegistry(registryPath(dir), { fsync: false });
  logs = [];
  log = createLogger('info', [], (line) => void logs.push(line));
  runner = new JobRunner({ dataDir: dir, entry: TRAINING_JOB_ENTRY, log });
});
afterEach(async () => {
  await runner.close();
  await store.close();
  await removeDir(dir);
});

/** Captures `count` exchanges and moderates them so. */
async function moderated(count: number, status: 'approved' | 'corrected' | 'rejected' | 'pending'): Promise<void> {
  for (let i = 0; i < count; i++) {
    const exchange = await store.capture(sampleExchange((captured += 1)));
    if (status === 'pending') continue;
    await store.moderate(exchange.id, {
      status,
      moderatorId: 'mod-1',
      platform: 'discord',
      ...(status === 'corrected' ? { correction: 'Rain in the morning, then clearing.' } : {}),
    });
  }
}

const options = (overrides: Partial<ScheduleOptions> = {}): ScheduleOptions => ({
  cron: DEFAULT_RETRAIN_CRON,
  minNew: 20,
  runner,
  store,
  registry,
  log,
  ...overrides,
});
const pause = (ms: number) => new Promise((wake) => setTimeout(wake, ms));

test('the cron expression and the threshold are checked when the schedule starts', () => {
  expect(() => checkCron(DEFAULT_RETRAIN_CRON)).not.toThrow();
  expect(() => checkCron('*/10 * * * * *')).not.toThrow();
  expect(() => startSchedule(options({ cron: '61 * * * *' }))).toThrow(ScheduleConfigError);
  expect(() => startSchedule(options({ cron: '61 * * * *' }))).toThrow(
    /^RETRAIN_CRON "61 \* \* \* \*" is not a cron expression \(minute hour day-of-month month day-of-week, e\.g\. "0 3 \* \* \*"\): minute "61"/,
  );
  expect(() => startSchedule(options({ cron: 'every night' }))).toThrow(
    /^RETRAIN_CRON "every night" is not a cron expression/,
  );
  expect(() => startSchedule(options({ minNew: -1 }))).toThrow(
    /^RETRAIN_MIN_NEW must be a whole number of at least 0, got -1$/,
  );
  expect(logs).toEqual([]);
});

test('skips under the threshold, with the reason logged, counting only what was moderated since the last training', async () => {
  await moderated(3, 'approved');
  await moderated(2, 'pending');
  await moderated(1, 'rejected');
  await pause(5);
  await writeModelSource(join(dir, 'source'), 1);
  const version = await registry.register(join(dir, 'source'), versionFields(1), { move: true });
  await pause(5);
  await moderated(2, 'approved');
  await moderated(1, 'corrected');
  await moderated(1, 'rejected');
  const createdAt = new Date(version.manifest.createdAt);
  expect(await countNewApproved(store, createdAt)).toBe(3);
  expect(await countNewApproved(store, null)).toBe(6);

  const schedule = startSchedule(options({ minNew: 4, now: () => new Date(createdAt.getTime() + 3 * 3600_000) }));
  try {
    expect(schedule.nextRun()?.getHours()).toBe(3);
    const expected = `skipped: 3 approved or corrected exchanges since the last training (${createdAt.toISOString()}, 3 h ago), 4 needed`;
    expect(await schedule.runOnce()).toBe(expected);
    expect(logs.at(-1)).toMatch(
      new RegExp(
        `INFO scheduled retrain skipped \\{"reason":"${expected.slice('skipped: '.length).replace(/[()]/g, '\\$&')}"\\}$`,
      ),
    );
    expect(runner.running()).toBeNull();

    // A job's marker says when it read the data: exchanges moderated before that are not new.
    await mkdir(jobsDir(dir), { recursive: true });
    const preparedAt = new Date(Date.now() + 1000).toISOString();
    await writeFile(
      join(jobsDir(dir), LAST_TRAINING_FILE),
      JSON.stringify({ versionId: version.id, promoted: true, preparedAt, finishedAt: preparedAt }),
    );
    expect(await schedule.runOnce()).toMatch(
      /^skipped: 0 approved or corrected exchanges since the last training \(.*\), 4 needed$/,
    );
  } finally {
    await schedule.stop();
  }
});

test('starts a retrain at the threshold; a tick while it runs is turned away by the job lock', async () => {
  await moderated(2, 'approved');
  // A base that does not exist: the job starts for real, then fails in its first step.
  const missingBase = join(dir, 'no-such-model');
  const schedule = startSchedule(options({ minNew: 2, retrain: { base: missingBase } }));
  try {
    expect(await schedule.runOnce()).toBe('started');
    const job = runner.running()!;
    expect(job.by).toBe('schedule');
    expect(await schedule.runOnce()).toMatch(
      new RegExp(
        `^skipped: a training job is already running \\(started \\S+ by schedule, job ${job.id}, process ${process.pid}\\)`,
      ),
    );
    await expect(job.done).rejects.toThrow(`training job ${job.id} failed: no model folder at ${missingBase}`);
    expect(
      logs.some(
        (line) =>
          line.includes('INFO scheduled retrain started') &&
          line.includes(`"job":"${job.id}"`) &&
          line.includes('"newExchanges":2'),
      ),
    ).toBe(true);
    expect(logs.some((line) => line.includes('WARN training job failed'))).toBe(true);
  } finally {
    await schedule.stop();
  }
});

test('the cron task ticks on its expression until stopped', async () => {
  const schedule = startSchedule(options({ cron: '* * * * * *', minNew: 1 }));
  const skips = () => logs.filter((line) => line.includes('scheduled retrain skipped')).length;
  try {
    expect(schedule.nextRun()!.getTime() - Date.now()).toBeLessThanOrEqual(1000);
    await eventually(() => skips() >= 1, 'a scheduled tick', 5000);
    expect(logs.find((line) => line.includes('scheduled retrain skipped'))).toContain(
      '0 approved or corrected exchanges since ever (no training yet), 1 needed',
    );
  } finally {
    await schedule.stop();
  }
  const after = skips();
  await pause(1500);
  expect(skips()).toBe(after);
});
