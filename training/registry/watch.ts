import { watch as watchFolder } from 'node:fs';
import type { FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';

export interface FileWatchOptions {
  /** Quiet time after an event before `check` runs, so a burst of events gives one check. */
  debounceMs: number;
  /** `check` also runs this often, for file systems where fs.watch misses changes (network, containers). */
  pollIntervalMs: number;
  /** Listen to fs.watch besides polling. */
  fsWatch: boolean;
}

/**
 * Runs `check` soon after `file` changes: fs.watch on its folder (a file replaced by rename
 * is a new file, so watching the file itself would go deaf after the first change) with a
 * polling fallback. Checks never overlap; one asked for during a check runs after it.
 * Returns the function that stops watching. Neither the watcher nor its timers keep the
 * process alive.
 */
export function watchFile(file: string, check: () => Promise<void>, options: FileWatchOptions): () => void {
  let stopped = false;
  let running = false;
  let pending = false;
  let debounce: NodeJS.Timeout | undefined;

  const run = async (): Promise<void> => {
    if (stopped) return;
    if (running) {
      pending = true;
      return;
    }
    running = true;
    try {
      await check();
    } finally {
      running = false;
      if (pending && !stopped) {
        pending = false;
        schedule();
      }
    }
  };
  const schedule = (): void => {
    clearTimeout(debounce);
    debounce = setTimeout(run, options.debounceMs);
    debounce.unref();
  };

  let watcher: FSWatcher | null = null;
  if (options.fsWatch) {
    const name = basename(file);
    try {
      watcher = watchFolder(dirname(file), { persistent: false }, (_event, changed) => {
        if (changed === null || changed === name) schedule();
      });
      watcher.on('error', () => watcher?.close());
    } catch {
      watcher = null; // fs.watch is unavailable here: polling alone notices the change
    }
  }
  const poll = setInterval(run, options.pollIntervalMs);
  poll.unref();

  return () => {
    stopped = true;
    watcher?.close();
    clearInterval(poll);
    clearTimeout(debounce);
  };
}
