import { link, readdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export class StoreLockedError extends Error {
  constructor(readonly file: string, readonly pid: number) {
    const holder = pid === process.pid ? 'this process (the store is already open)' : `process ${pid}`;
    super(`${file} is held by ${holder}: only one process may write a data folder; readers open it with readOnly`);
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
 * stale and taken over. The pid goes into a private file first and is hard-linked into place,
 * so the lock never exists without its pid (link fails when the lock exists).
 */
export async function acquireLock(file: string): Promise<Lock> {
  await removeDeadStagingFiles(file);
  const staging = `${file}.${process.pid}.${(stagingCount += 1)}.tmp`;
  await writeFile(staging, `${process.pid}\n`);
  try {
    for (let attempt = 0; attempt < 5; attempt += 1) {
      try {
        await link(staging, file);
        return { release: () => releaseLock(file) };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const holder = await lockHolder(file);
      if (holder === undefined) continue; // released meanwhile: removing it now could remove the next holder's
      if (holder !== null && isAlive(holder)) throw new StoreLockedError(file, holder);
      await unlink(file).catch(ignoreMissing);
    }
    throw new Error(`could not take ${file}: other processes keep taking it`);
  } finally {
    await unlink(staging).catch(ignoreMissing);
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
