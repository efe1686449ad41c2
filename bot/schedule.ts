/**
 * The retrain schedule: on a cron expression (RETRAIN_CRON, nightly by default) a retrain job
 * starts when at least RETRAIN_MIN_NEW exchanges were approved or corrected since the last
 * training read its data; otherwise the tick logs why it skipped. Ticks never overlap (node-cron
 * `noOverlap`, the tick lasting as long as its job), and the job lock keeps out jobs started
 * meanwhile by /retrain or another process.
 */
import cron from 'node-cron';
import type { ModelRegistry } from '../training/registry';
import { lastTrainingTime } from '../training/jobs/files';
import { JobAlreadyRunningError, type Job, type JobOptions, type JobRunner } from '../training/jobs/runner';
import type { Logger } from './core/log';
import type { Store } from './core/store';

export const DEFAULT_RETRAIN_CRON = '0 3 * * *';
export const DEFAULT_RETRAIN_MIN_NEW = 20;

export type ScheduleOutcome = 'started' | `skipped: ${string}`;

export interface ScheduleOptions {
  /** Five fields (minute hour day month weekday), or six with seconds first. */
  cron: string;
  /** Approved or corrected exchanges since the last training that a run needs. */
  minNew: number;
  runner: Pick<JobRunner, 'start' | 'dataDir'>;
  /** Read for the moderated exchanges. */
  store: Pick<Store, 'exchanges'>;
  /** Read for the newest version when the data folder has no training marker. */
  registry: Pick<ModelRegistry, 'history'>;
  log: Logger;
  /** The clock of the log lines ("last training 3 h ago"). */
  now?: () => Date;
  /** IANA time zone of the cron expression; the machine's when omitted. */
  timezone?: string;
  /** What scheduled jobs are asked to do (base model, hyperparameters, gate). */
  retrain?: JobOptions;
}

export interface Schedule {
  /** Stops the cron task; a job already running goes on. */
  stop(): Promise<void>;
  /** One tick now: starts a job or says why not. */
  runOnce(): Promise<ScheduleOutcome>;
  /** When the cron expression fires next. */
  nextRun(): Date | null;
}

export class ScheduleConfigError extends Error {
  override name = 'ScheduleConfigError';
}

/** Refuses an expression node-cron cannot run, naming the field at fault. */
export function checkCron(expression: string): void {
  const { valid, errors } = cron.validateDetailed(expression);
  if (valid) return;
  const why = errors.map((e) => `${e.field}${e.value === undefined ? '' : ` "${e.value}"`}: ${e.message}`).join('; ');
  throw new ScheduleConfigError(
    `RETRAIN_CRON "${expression}" is not a cron expression (minute hour day-of-month month day-of-week, e.g. "${DEFAULT_RETRAIN_CRON}"): ${why}`,
  );
}

/** Approved or corrected exchanges moderated after `since` (all of them when null). */
export async function countNewApproved(store: Pick<Store, 'exchanges'>, since: Date | null): Promise<number> {
  let count = 0;
  for await (const exchange of store.exchanges({ status: ['approved', 'corrected'] })) {
    const at = new Date(exchange.moderation.at ?? exchange.createdAt);
    if (since === null || at > since) count += 1;
  }
  return count;
}

function ago(from: Date, to: Date): string {
  const minutes = Math.round((to.getTime() - from.getTime()) / 60_000);
  return minutes < 60
    ? `${minutes} min ago`
    : minutes < 48 * 60
      ? `${Math.round(minutes / 60)} h ago`
      : `${Math.round(minutes / 1440)} days ago`;
}

export function startSchedule(options: ScheduleOptions): Schedule {
  checkCron(options.cron);
  if (!Number.isInteger(options.minNew) || options.minNew < 0)
    throw new ScheduleConfigError(`RETRAIN_MIN_NEW must be a whole number of at least 0, got ${options.minNew}`);
  const { runner, store, registry, log } = options;
  const now = options.now ?? (() => new Date());

  const tick = async (): Promise<{ outcome: ScheduleOutcome; job?: Job }> => {
    const since = await lastTrainingTime(runner.dataDir, registry);
    const fresh = await countNewApproved(store, since);
    const sinceText =
      since === null ? 'ever (no training yet)' : `the last training (${since.toISOString()}, ${ago(since, now())})`;
    if (fresh < options.minNew) {
      const outcome: ScheduleOutcome = `skipped: ${fresh} approved or corrected exchange${fresh === 1 ? '' : 's'} since ${sinceText}, ${options.minNew} needed`;
      log.info('scheduled retrain skipped', { reason: outcome.slice('skipped: '.length) });
      return { outcome };
    }
    try {
      const job = await runner.start('retrain', options.retrain ?? {}, { by: 'schedule' });
      log.info('scheduled retrain started', { job: job.id, newExchanges: fresh, since: since?.toISOString() ?? null });
      return { outcome: 'started', job };
    } catch (error) {
      if (!(error instanceof JobAlreadyRunningError)) throw error;
      log.info('scheduled retrain skipped', { reason: error.message });
      return { outcome: `skipped: ${error.message}` };
    }
  };

  const task = cron.schedule(
    options.cron,
    async () => {
      try {
        const { job } = await tick();
        await job?.done.catch(() => undefined); // the runner logs how it ended; waiting keeps ticks from overlapping
      } catch (error) {
        log.warn('scheduled retrain failed', { error });
      }
    },
    { name: 'retrain', noOverlap: true, timezone: options.timezone },
  );
  log.info('retrain schedule started', {
    cron: options.cron,
    minNew: options.minNew,
    next: task.getNextRun()?.toISOString() ?? null,
  });

  return {
    stop: async () => {
      await task.destroy();
    },
    runOnce: async () => (await tick()).outcome,
    nextRun: () => task.getNextRun(),
  };
}
