/**
 * Runs training jobs in a child process, one at a time across every process sharing the data
 * folder: the lock file `<dataDir>/jobs/train.lock` (bot/core/lock.ts: the pid inside, taken
 * over when that process is dead) is held from start to end, and `running.json` beside it says
 * who started the job and when, for the refusal a second start gets.
 *
 *   const runner = new JobRunner({ dataDir, entry: TRAINING_JOB_ENTRY, log }); // bot/training.ts
 *   const job = await runner.start('retrain', { base: 'tiny' }, { by: 'admin alice', onProgress });
 *   const summary = await job.done; // or job.cancel()
 *
 * However a job ends — finished, failed, cancelled, its process killed — its work folder
 * `<dataDir>/jobs/<id>/` is removed and the lock released before `done` settles.
 */
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { silentLogger, type Logger } from '../../bot/core/log';
import { acquireLock, StoreLockedError, type Lock } from '../../bot/core/lock';
import { openRegistry, registryPath } from '../registry';
import { jobsDir, LOCK_FILE, readJsonFile, RUNNING_FILE, writeJsonFile } from './files';
import type { ChildMessage, ParentMessage } from './messages';
import { renderRetrainProgress, type RetrainProgress } from './progress';
import type { RetrainOptions, RetrainSummary } from './retrain';

export type JobKind = 'retrain';
export type JobState = 'running' | 'succeeded' | 'failed' | 'cancelled';
/** What a retrain job is asked to do; the runner supplies the data and work folders. */
export type JobOptions = Omit<RetrainOptions, 'dataDir' | 'workDir'>;

/** Who runs a job, as `running.json` records it. */
export interface JobInfo {
  id: string;
  kind: JobKind;
  /** Who asked: "schedule", "admin alice", "cli". */
  by: string;
  startedAt: string;
  /** The process holding the lock (the runner's). */
  pid: number;
  /** The training process. */
  childPid: number | null;
}

export interface Job {
  readonly id: string;
  readonly kind: JobKind;
  readonly by: string;
  readonly startedAt: Date;
  /** The training process. */
  readonly pid: number | undefined;
  readonly state: JobState;
  /** The latest progress event; null before the first. */
  readonly progress: RetrainProgress | null;
  /** Resolves with the summary; rejects with JobCancelledError or JobFailedError. */
  readonly done: Promise<RetrainSummary>;
  /** Asks the job to stop between steps; it ends as cancelled (killed if it does not stop within the grace time). */
  cancel(): void;
}

export class JobAlreadyRunningError extends Error {
  override name = 'JobAlreadyRunningError';
  constructor(
    readonly running: JobInfo | null,
    holderPid: number,
    lockFile: string,
  ) {
    super(
      `a training job is already running (${running ? `started ${running.startedAt} by ${running.by}, job ${running.id}, process ${running.pid}` : `process ${holderPid} holds ${lockFile}`}); wait for it to finish or cancel it`,
    );
  }
}

export class JobCancelledError extends Error {
  override name = 'JobCancelledError';
}

export class JobFailedError extends Error {
  override name = 'JobFailedError';
}

export interface JobRunnerOptions {
  /**
   * The module the training process runs: a composition root that builds the bot's pieces and
   * hands them to serveRetrainJob (child.ts), e.g. bot/training-job.ts.
   */
  entry: string;
  dataDir: string;
  log?: Logger;
  /**
   * How long a cancelled job may take to stop before its process is killed. Default 60 s (one training step of a big
   * model).
   */
  cancelGraceMs?: number;
  /** CPU niceness of the training process, so the bot's own work comes first. Default 10. */
  niceness?: number;
}

export interface StartOptions {
  onProgress?: (event: RetrainProgress) => void;
  /** Who asked, for logs and the "already running" message. Default "unknown". */
  by?: string;
}

/** tsx's loader for a TypeScript entry, by absolute URL so the child finds it whatever its working folder. */
const TSX_LOADER = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const OUTPUT_TAIL = 4000;

export class JobRunner {
  readonly dataDir: string;
  readonly #entry: string;
  readonly #log: Logger;
  readonly #cancelGraceMs: number;
  readonly #niceness: number;
  #current: Job | null = null;
  #starting = false;

  constructor(options: JobRunnerOptions) {
    this.dataDir = options.dataDir;
    this.#entry = options.entry;
    this.#log = options.log ?? silentLogger;
    this.#cancelGraceMs = options.cancelGraceMs ?? 60_000;
    this.#niceness = options.niceness ?? 10;
  }

  /** The job this runner is running, if any (another process's job: see the error start() gives). */
  running(): Job | null {
    return this.#current;
  }

  /**
   * Starts a job in a child process; rejects with JobAlreadyRunningError while any process runs one on this data
   * folder.
   */
  async start(kind: JobKind, options: JobOptions = {}, hooks: StartOptions = {}): Promise<Job> {
    if (kind !== 'retrain') throw new TypeError(`unknown job kind ${JSON.stringify(kind)}`);
    const dir = jobsDir(this.dataDir);
    const lockFile = join(dir, LOCK_FILE);
    if (this.#current || this.#starting) {
      throw new JobAlreadyRunningError(await readJsonFile<JobInfo>(join(dir, RUNNING_FILE)), process.pid, lockFile);
    }
    this.#starting = true;
    try {
      await mkdir(dir, { recursive: true });
      let lock: Lock;
      try {
        lock = await acquireLock(lockFile);
      } catch (error) {
        if (!(error instanceof StoreLockedError)) throw error;
        const info = await readJsonFile<JobInfo>(join(dir, RUNNING_FILE));
        throw new JobAlreadyRunningError(info?.pid === error.pid ? info : null, error.pid, lockFile);
      }
      try {
        await removeLeftovers(dir);
        const job = await this.#launch(kind, options, hooks, lock);
        this.#current = job;
        return job;
      } catch (error) {
        await lock.release();
        throw error;
      }
    } finally {
      this.#starting = false;
    }
  }

  /** Cancels the running job, if any, and waits until it has ended. */
  async close(): Promise<void> {
    const job = this.#current;
    if (!job) return;
    job.cancel();
    await job.done.catch(() => undefined);
  }

  async #launch(kind: JobKind, options: JobOptions, hooks: StartOptions, lock: Lock): Promise<Job> {
    const dir = jobsDir(this.dataDir);
    const startedAt = new Date();
    const id = `job-${startedAt.toISOString().replace(/[-:]/g, '').slice(0, 15)}-${randomBytes(2).toString('hex')}`;
    const by = hooks.by ?? 'unknown';
    const workDir = join(dir, id);
    await mkdir(workDir);
    const child = fork(this.#entry, [], {
      execArgv: this.#entry.endsWith('.ts') ? ['--import', TSX_LOADER] : [],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      serialization: 'advanced',
    });
    const info: JobInfo = {
      id,
      kind,
      by,
      startedAt: startedAt.toISOString(),
      pid: process.pid,
      childPid: child.pid ?? null,
    };
    try {
      await writeJsonFile(join(dir, RUNNING_FILE), info);
    } catch (error) {
      child.kill('SIGKILL');
      await rm(workDir, { recursive: true, force: true });
      throw error;
    }
    const start: ParentMessage = {
      type: 'start',
      kind,
      options: { ...options, dataDir: this.dataDir, workDir },
      niceness: this.#niceness,
    };
    child.send(start);
    this.#log.info('training job started', { id, kind, by, pid: child.pid });

    const log = this.#log;
    let state: JobState = 'running';
    let progress: RetrainProgress | null = null;
    let outcome: ChildMessage | null = null;
    let registered: string | null = null;
    let cancelRequested = false;
    let killTimer: NodeJS.Timeout | undefined;
    let output = '';
    const keepOutput = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-OUTPUT_TAIL));
    child.stdout?.on('data', keepOutput);
    child.stderr?.on('data', keepOutput);
    child.on('message', (message: ChildMessage) => {
      if (message.type !== 'progress') {
        outcome = message;
        return;
      }
      progress = message.event;
      if (message.event.type === 'registered') registered = message.event.versionId;
      if (message.event.type !== 'train')
        log.debug('training job progress', { id, progress: renderRetrainProgress(message.event) });
      try {
        hooks.onProgress?.(message.event);
      } catch (error) {
        log.warn('a training progress handler failed', { id, error });
      }
    });

    const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: Error }>((resolve) => {
      child.once('exit', (code, signal) => resolve({ code, signal }));
      child.once('error', (error) => {
        if (child.pid === undefined) resolve({ code: null, signal: null, error }); // never started
      });
    });

    const cleanUp = async (result: RetrainSummary | Error) => {
      // A process that died after registering a version could not mark it failed; the registry refuses if it is active.
      if (outcome === null && registered !== null) {
        const registry = await openRegistry(registryPath(this.dataDir));
        await registry
          .markFailed(registered, `job ${id} ended before promoting it: ${(result as Error).message}`)
          .catch(() => undefined);
      }
      await rm(workDir, { recursive: true, force: true });
      const running = await readJsonFile<JobInfo>(join(dir, RUNNING_FILE));
      if (running?.id === id) await rm(join(dir, RUNNING_FILE), { force: true });
    };
    const finish = async (): Promise<RetrainSummary> => {
      const exit = await ended;
      clearTimeout(killTimer);
      const result = outcomeOf(outcome as ChildMessage | null, exit, { id, pid: child.pid, cancelRequested, output });
      try {
        await cleanUp(result);
      } catch (error) {
        log.warn('could not clean up after a training job', { id, error });
      } finally {
        await lock.release();
        this.#current = null;
      }
      if (result instanceof Error) {
        state = result instanceof JobCancelledError ? 'cancelled' : 'failed';
        log[state === 'cancelled' ? 'info' : 'warn'](`training job ${state}`, { id, reason: result.message });
        throw result;
      }
      state = 'succeeded';
      log.info('training job finished', {
        id,
        version: result.versionId,
        promoted: result.promoted,
        reason: result.reason,
        ms: result.durationMs,
      });
      return result;
    };
    const done = finish();
    done.catch(() => undefined); // no unhandled rejection when nobody waits; whoever awaits `done` still gets it

    const cancelGraceMs = this.#cancelGraceMs;
    return {
      id,
      kind,
      by,
      startedAt,
      pid: child.pid,
      done,
      get state() {
        return state;
      },
      get progress() {
        return progress;
      },
      cancel() {
        if (state !== 'running' || cancelRequested) return;
        cancelRequested = true;
        log.info('cancelling training job', { id });
        if (child.connected) child.send({ type: 'cancel' } satisfies ParentMessage);
        killTimer = setTimeout(() => child.kill('SIGKILL'), cancelGraceMs);
      },
    };
  }
}

/** Work folders of jobs whose processes were killed outright: with the lock held, no job uses them. */
async function removeLeftovers(dir: string): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.isDirectory() && /^(job|retrain)-/.test(entry.name))
      await rm(join(dir, entry.name), { recursive: true, force: true });
  }
}

/** The summary, or the error the job ends with, from its last message and how its process exited. */
function outcomeOf(
  outcome: ChildMessage | null,
  exit: { code: number | null; signal: NodeJS.Signals | null; error?: Error },
  job: { id: string; pid: number | undefined; cancelRequested: boolean; output: string },
): RetrainSummary | Error {
  if (outcome?.type === 'done') return outcome.summary;
  if (outcome?.type === 'cancelled' || (outcome === null && job.cancelRequested)) {
    return new JobCancelledError(`training job ${job.id} was cancelled; the active model is unchanged`);
  }
  if (outcome?.type === 'failed') {
    const cause = Object.assign(new Error(outcome.error.message), {
      name: outcome.error.name,
      stack: outcome.error.stack,
    });
    return new JobFailedError(`training job ${job.id} failed: ${outcome.error.message}`, { cause });
  }
  const how = exit.error
    ? `could not start (${exit.error.message})`
    : exit.signal
      ? `was killed by ${exit.signal}`
      : `exited with code ${exit.code}`;
  const tail = job.output.trim().split('\n').slice(-5).join(' | ');
  return new JobFailedError(
    `the training process of job ${job.id}${job.pid ? ` (pid ${job.pid})` : ''} ${how} before finishing${tail ? `. Its last output: ${tail}` : ''}`,
  );
}
