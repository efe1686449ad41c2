import { mkdir, open, readdir, readFile, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { Adapter } from 'lowdb';

/** A store file that cannot be read back: the message names the file and says what to do. */
export class CorruptFileError extends Error {
  constructor(
    readonly file: string,
    reason: string,
  ) {
    super(`${file} is corrupt (${reason}); it was left untouched: restore it from a backup or move it aside`);
    this.name = 'CorruptFileError';
  }
}

export interface DurableFileOptions<T> {
  /** Turns the file's text into data; throws (with a reason) when the shape is wrong. */
  parse: (text: string) => T;
  /** The file's bytes (or text, written as UTF-8). */
  serialize: (data: T) => string | Uint8Array;
  /** Flush file and folder to the disk before a write resolves, so it survives a power cut too. */
  fsync: boolean;
}

/**
 * A lowdb adapter that writes like lowdb's JSONFile (steno: a temp file `.<name>.tmp`, then an
 * atomic rename over the file) and, with `fsync`, flushes the temp file before the rename and
 * the folder after it: without the first, a power cut after the rename can leave an empty file
 * where the previous, acknowledged, content was.
 * The caller runs one write at a time per file (see BatchedWriter).
 */
export class DurableFile<T> implements Adapter<T> {
  readonly #options: DurableFileOptions<T>;
  readonly #temp: string;

  constructor(
    readonly file: string,
    options: DurableFileOptions<T>,
  ) {
    this.#options = options;
    this.#temp = temporaryPath(file);
  }

  async read(): Promise<T | null> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf-8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
    try {
      return this.#options.parse(text);
    } catch (error) {
      throw new CorruptFileError(this.file, error instanceof Error ? error.message : String(error));
    }
  }

  async write(data: T): Promise<void> {
    const handle = await open(this.#temp, 'w');
    try {
      await handle.writeFile(this.#options.serialize(data), 'utf-8');
      if (this.#options.fsync) await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(this.#temp, this.file);
    if (this.#options.fsync) await syncFolder(dirname(this.file));
  }
}

/** Where lowdb (steno) and DurableFile stage a write of `file`. */
export function temporaryPath(file: string): string {
  return join(dirname(file), `.${basename(file)}.tmp`);
}

/** Removes staged writes a crash left behind; the files they were meant to replace are intact. */
export async function removeTemporaryFiles(folder: string): Promise<string[]> {
  const names = (await readdir(folder)).filter((name) => name.startsWith('.') && name.endsWith('.tmp'));
  await Promise.all(names.map((name) => unlink(join(folder, name))));
  return names;
}

export async function syncFolder(folder: string): Promise<void> {
  const handle = await open(folder, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Creates `folder` (and its parents) and makes the new entries durable. */
export async function makeFolder(folder: string, fsync: boolean): Promise<void> {
  const created = await mkdir(folder, { recursive: true });
  if (created === undefined || !fsync) return;
  const top = resolve(created);
  for (let made = resolve(folder); made.length >= top.length; made = dirname(made)) await syncFolder(dirname(made));
}
