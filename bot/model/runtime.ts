/**
 * The model the bot runs, kept in step with the registry's active version: loaded at start,
 * reloaded in the background when another version becomes active, and swapped in at once when
 * ready. A reply holds the model it started with until it ends (`use`), so replies in flight
 * finish on the old model; the old one is disposed when the last of them is done. A version
 * that fails to load is logged and the model already running stays. Each model comes with the say its version's
 * evaluation earned it over the rules (bot/core/say.ts), read from the version's manifest.
 */
import type { ActiveModel, ModelSource } from '../../training/registry';
import type { ModelDtype } from '../core/generation';
import type { Logger } from '../core/log';
import { earnedSay, type EarnedSay } from '../core/say';
import { PROMPT_PREFIX } from '../core/protocol';
import type { ModelGenerator } from './generator';

export interface LoadedModel {
  /** The registry's version id. */
  version: string;
  generator: ModelGenerator;
  /** How long loading it took. */
  loadMs: number;
  /** Where the guard lets its reading stand against the rules', from its version's metrics. */
  say: EarnedSay;
}

/** What the assistant needs: the active model, held for the length of one reply. */
export interface ActiveModels {
  current(): LoadedModel | null;
  /** Runs `work` with the model current now (null when none); it stays usable until `work` settles. */
  use<T>(work: (model: LoadedModel | null) => Promise<T>): Promise<T>;
  /** What a user should know about how replies are written now; null while a model runs. */
  notice(): string | null;
}

export const NO_MODEL_NOTICE =
  'No trained model yet — answering with rules and templates. Train one offline with `npm run cli -- train --base tiny`, or pull the base with `npm run cli -- model pull`.';

export interface ModelRuntimeOptions {
  log: Logger;
  /**
   * Loads a model folder. Default: ModelGenerator.load of `dtype`, the protocol's prefix kept (transformers.js is
   * imported only then).
   */
  load?: (modelDir: string) => Promise<ModelGenerator>;
  /** The weights to serve (default q8). */
  dtype?: ModelDtype;
  /** Follow the registry's changes after start (default true); a one-off run (the CLIs) needs no watching. */
  watch?: boolean;
}

interface Held extends LoadedModel {
  users: number;
  retired: boolean;
}

const loadedOf = ({ version, generator, loadMs, say }: Held): LoadedModel => ({ version, generator, loadMs, say });

const loadGenerator = async (modelDir: string, dtype?: ModelDtype): Promise<ModelGenerator> =>
  (await import('./generator')).ModelGenerator.load(modelDir, { dtype, prefix: PROMPT_PREFIX });

export class ModelRuntime implements ActiveModels {
  #current: Held | null = null;
  /** Where the registry should take us next: a version, none (null), or nothing asked (undefined). */
  #wanted: ActiveModel | null | undefined = undefined;
  #draining = false;
  #idle: Promise<void> = Promise.resolve();
  #failed: string | null = null;
  #closed = false;
  #stopWatching: () => void = () => undefined;
  readonly #disposals = new Set<Promise<void>>();
  readonly #log: Logger;
  readonly #load: (modelDir: string) => Promise<ModelGenerator>;

  private constructor(options: ModelRuntimeOptions) {
    this.#log = options.log;
    this.#load = options.load ?? ((modelDir) => loadGenerator(modelDir, options.dtype));
  }

  /** Loads the active version, if any (a failure is logged, not thrown), and follows the registry from then on. */
  static async start(source: ModelSource, options: ModelRuntimeOptions): Promise<ModelRuntime> {
    const runtime = new ModelRuntime(options);
    let changed = false;
    // Watching starts before the first read, so no activation in between goes unnoticed.
    if (options.watch !== false) {
      runtime.#stopWatching = source.watch(
        (active) => {
          changed = true;
          runtime.#request(active);
        },
        (error) => options.log.warn('cannot read the model registry; keeping the model running', { error }),
      );
    }
    try {
      const active = await source.active();
      if (!changed) runtime.#request(active);
    } catch (error) {
      options.log.error('cannot read the model registry; answering with rules and templates', { error });
    }
    await runtime.settled();
    return runtime;
  }

  current(): LoadedModel | null {
    const held = this.#current;
    return held && loadedOf(held);
  }

  notice(): string | null {
    if (this.#current) return null;
    if (this.#failed)
      return `The active model ${this.#failed} could not be loaded (see the log) — answering with rules and templates.`;
    return NO_MODEL_NOTICE;
  }

  async use<T>(work: (model: LoadedModel | null) => Promise<T>): Promise<T> {
    const held = this.#current;
    if (held) held.users += 1;
    try {
      return await work(held && loadedOf(held));
    } finally {
      if (held) {
        held.users -= 1;
        this.#disposeIfDone(held);
      }
    }
  }

  /** Resolves once every load asked for so far has finished or failed. */
  async settled(): Promise<void> {
    while (this.#draining) await this.#idle;
  }

  /** Stops following the registry and frees the model once the replies holding it are done. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#stopWatching();
    await this.settled();
    this.#install(null);
    await Promise.all(this.#disposals);
  }

  #request(active: ActiveModel | null): void {
    this.#wanted = active;
    if (this.#draining) return;
    this.#draining = true;
    this.#idle = this.#drain();
  }

  /** Loads what is wanted, one load at a time; a change asked for meanwhile is loaded next (only the latest). */
  async #drain(): Promise<void> {
    while (this.#wanted !== undefined && !this.#closed) {
      const target = this.#wanted;
      this.#wanted = undefined;
      if ((target?.id ?? null) === (this.#current?.version ?? null)) {
        this.#failed = null;
        continue;
      }
      if (target === null) {
        this.#log.warn('no model version is active any more; answering with rules and templates', {
          was: this.#current?.version ?? null,
        });
        this.#install(null);
        this.#failed = null;
        continue;
      }
      await this.#loadVersion(target);
    }
    // Decided in the same turn as the loop's last check, so a request never finds us "draining" after we stopped.
    this.#draining = false;
  }

  async #loadVersion(target: ActiveModel): Promise<void> {
    const started = performance.now();
    let generator: ModelGenerator;
    try {
      generator = await this.#load(target.modelDir);
    } catch (error) {
      this.#failed = target.id;
      const fallback = this.#current ? 'keeping the model already running' : 'answering with rules and templates';
      this.#log.error(`could not load the active model version; ${fallback}`, {
        version: target.id,
        error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
        running: this.#current?.version ?? null,
      });
      return;
    }
    const loadMs = Math.round(performance.now() - started);
    if (this.#closed) {
      await generator.dispose();
      return;
    }
    const previous = this.#current?.version ?? null;
    const say = earnedSay(target.manifest.metrics);
    this.#install({ version: target.id, generator, loadMs, say, users: 0, retired: false });
    this.#failed = null;
    this.#log.info('model loaded', { version: target.id, loadMs, say: [...say], replaced: previous });
  }

  #install(next: Held | null): void {
    const old = this.#current;
    this.#current = next;
    if (old) {
      old.retired = true;
      this.#disposeIfDone(old);
    }
  }

  #disposeIfDone(held: Held): void {
    if (!held.retired || held.users > 0) return;
    const disposal = held.generator
      .dispose()
      .catch((error: unknown) => this.#log.warn('could not free a replaced model', { version: held.version, error }));
    this.#disposals.add(disposal);
    void disposal.finally(() => this.#disposals.delete(disposal));
  }
}
