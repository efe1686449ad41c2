/**
 * Where training jobs keep their files, all under `<dataDir>/jobs/`:
 *   train.lock           held by the process running a job (bot/core/lock.ts: the pid inside)
 *   running.json         who started that job, and when (read for the "already running" message)
 *   last-training.json   when the data of the last finished training was read (the schedule counts from it)
 *   <job id>/            a job's temporary files, removed when it ends, however it ends
 */
import { join } from 'node:path';
import { DurableFile } from '../../bot/core/durable-file';
import type { ModelRegistry } from '../registry';
import { serializeJson } from '../registry/version-manifest';

export function jobsDir(dataDir: string): string {
  return join(dataDir, 'jobs');
}

export const LOCK_FILE = 'train.lock';
export const RUNNING_FILE = 'running.json';
export const LAST_TRAINING_FILE = 'last-training.json';

export interface LastTraining {
  versionId: string;
  promoted: boolean;
  /** When the job read the store: exchanges moderated later are new to the next training. */
  preparedAt: string;
  finishedAt: string;
}

/** A job file, written whole like every state file (temporary file, fsync, rename). */
function jobFile<T>(path: string): DurableFile<T> {
  return new DurableFile<T>(path, { parse: (text) => JSON.parse(text) as T, serialize: serializeJson, fsync: true });
}

export function writeJsonFile(path: string, data: unknown): Promise<void> {
  return jobFile(path).write(data);
}

/** The parsed JSON file, or null when it is missing or unreadable (the files are advice: a bad one is no advice). */
export function readJsonFile<T>(path: string): Promise<T | null> {
  return jobFile<T>(path)
    .read()
    .catch(() => null);
}

export function writeLastTraining(dataDir: string, record: LastTraining): Promise<void> {
  return writeJsonFile(join(jobsDir(dataDir), LAST_TRAINING_FILE), record);
}

/**
 * When the last training read its data: the job's marker, unless a version was registered after
 * it some other way (the CLI, another data folder's job): then that version's creation; null
 * when nothing was ever trained.
 */
export async function lastTrainingTime(
  dataDir: string,
  registry: Pick<ModelRegistry, 'history'>,
): Promise<Date | null> {
  const marker = await readJsonFile<LastTraining>(join(jobsDir(dataDir), LAST_TRAINING_FILE));
  const markedAt = typeof marker?.preparedAt === 'string' ? new Date(marker.preparedAt) : null;
  const [newest] = await registry.history();
  const createdAt = newest ? new Date(newest.manifest.createdAt) : null;
  if (markedAt === null || Number.isNaN(markedAt.getTime())) return createdAt;
  return createdAt !== null && newest.id !== marker?.versionId && createdAt > markedAt ? createdAt : markedAt;
}
