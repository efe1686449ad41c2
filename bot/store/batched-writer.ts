import type { Low } from 'lowdb';

interface QueuedChange<T> {
  change: (draft: T) => unknown;
  resolve: (result: unknown) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit for one lowdb file. Changes queue while a write is in flight and the next write
 * carries them all, so parallel callers cost one write each round instead of one write each.
 * A change is applied to a copy of the data; `db.data` only ever holds what is on disk, so a
 * failed write leaves it as it was and rejects every change it carried. A change that throws is
 * rejected alone and must throw before it touches the draft.
 */
export class BatchedWriter<T> {
  readonly #queue: QueuedChange<T>[] = [];
  #flushing: Promise<void> | null = null;

  constructor(
    readonly db: Low<T>,
    private readonly copy: (data: T) => T,
  ) {}

  /** Resolves with the change's result once the data it produced is on disk. */
  apply<R>(change: (draft: T) => R): Promise<R> {
    const done = new Promise<R>((resolve, reject) => {
      this.#queue.push({ change, resolve: resolve as (result: unknown) => void, reject });
    });
    this.#flushing ??= this.#flush();
    return done;
  }

  get busy(): boolean {
    return this.#flushing !== null;
  }

  /** Resolves when every queued change has been written (or has failed). */
  async idle(): Promise<void> {
    while (this.#flushing) await this.#flushing;
  }

  async #flush(): Promise<void> {
    // Let the callers of this same tick join the first write.
    await Promise.resolve();
    while (this.#queue.length > 0) {
      const batch = this.#queue.splice(0);
      const applied: { queued: QueuedChange<T>; result: unknown }[] = [];
      let draft: T;
      try {
        draft = this.copy(this.db.data);
      } catch (error) {
        batch.forEach((queued) => queued.reject(error));
        continue;
      }
      for (const queued of batch) {
        try {
          applied.push({ queued, result: queued.change(draft) });
        } catch (error) {
          queued.reject(error);
        }
      }
      if (applied.length === 0) continue;
      try {
        await this.db.adapter.write(draft);
        this.db.data = draft;
        applied.forEach(({ queued, result }) => queued.resolve(result));
      } catch (error) {
        applied.forEach(({ queued }) => queued.reject(error));
      }
    }
    this.#flushing = null;
  }
}
