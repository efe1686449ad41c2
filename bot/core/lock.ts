import { link, readdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export class StoreLockedError extends Error {
  constructor(
    readonly file: string,
    readonly pid: number,
  ) {
    // Said to whoever started the bot: plain words; the lock file stays on the error for the log.
    super(
      pid === process.pid
        ? 'This WeatherBot already has its data folder open.'
        : `Another WeatherBot (process ${pid}) is already using this data folder. Only one can run on it at a time: ` +
            'stop the other one first, or start this one with a data folder of its own.',
    );
    this.name = 'StoreLockedError';
  }
}

/** Numbers this process's staging files: two registries in one process may take the same lock at once. */
let stagingCount = 0;

export interface Lock {
  release(): Promise<void>;
}

/**
 * Takes the lock file `file`, which holds the owner's pid. A lock whose process is gone is
 * stale and taken over, by one taker at a time (removeStaleLock). The pid goes into a private
 * file first and is hard-linked into place, so the lock never exists without its pid (link fails
 * when the lock exists).
 */
export async function acquireLock(file: string): Promise<Lock> {
  await removeDeadStagingFiles(file);
  const staging = `${file}.${process.pid}.${(stagingCount += 1)}.tmp`;
  await writeFile(staging, `${process.pid}\n`);
  try {
    for (let attempt = 0; attempt < 20; attempt += 1) {
      if (await linked(staging, file)) return { release: () => releaseLock(file) };
      const holder = await lockHolder(file);
      if (holder === undefined) continue; // released meanwhile
      if (holder !== null && isAlive(holder)) throw new StoreLockedError(file, holder);
      if (!(await removeStaleLock(file, staging))) await new Promise((done) => setTimeout(done, 5));
    }
    throw new Error(`could not take ${file}: other processes keep taking it`);
  } finally {
    await unlink(staging).catch(ignoreMissing);
  }
}

/** Hard-links `from` to `to`; false when `to` exists. */
async function linked(from: string, to: string): Promise<boolean> {
  try {
    await link(from, to);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

const isStale = (holder: number | null | undefined) => holder === null || (holder !== undefined && !isAlive(holder));

/**
 * Removes the lock `file` if its holder is still gone, holding `<file>.takeover` meanwhile: two
 * takers that both found it stale must not remove the fresh lock the first of them then takes.
 * False when another taker holds the takeover (one that died holding it loses it).
 */
async function removeStaleLock(file: string, staging: string): Promise<boolean> {
  const takeover = `${file}.takeover`;
  if (!(await linked(staging, takeover))) {
    if (isStale(await lockHolder(takeover))) await unlink(takeover).catch(ignoreMissing);
    return false;
  }
  try {
    if (isStale(await lockHolder(file))) await unlink(file).catch(ignoreMissing);
    return true;
  } finally {
    await unlink(takeover).catch(ignoreMissing);
  }
}

async function releaseLock(file: string): Promise<void> {
  if ((await lockHolder(file)) === process.pid) await unlink(file).catch(ignoreMissing);
}

/** The pid in the lock file; null when it holds no pid (a stale lock), undefined when there is no lock file. */
async function lockHolder(file: string): Promise<number | null | undefined> {
  try {
    const pid = Number((await readFile(file, 'utf-8')).trim());
    return Number.isSafeInteger(pid) && pid > 0 ? pid : null;
  } catch (error) {
    ignoreMissing(error);
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Staging files of processes that died while taking the lock. */
async function removeDeadStagingFiles(file: string): Promise<void> {
  const pattern = new RegExp(`^${basename(file).replace(/\./g, '\\.')}\\.(\\d+)\\.\\d+\\.tmp$`);
  for (const name of await readdir(dirname(file))) {
    const pid = pattern.exec(name)?.[1];
    if (pid !== undefined && !isAlive(Number(pid))) await unlink(join(dirname(file), name)).catch(ignoreMissing);
  }
}

function ignoreMissing(error: unknown): void {
  if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
}
