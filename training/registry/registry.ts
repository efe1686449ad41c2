/**
 * The model registry: every trained model version in its own folder, and one pointer saying
 * which version the bot runs. The bot reads it (ModelSource); training jobs, in other
 * processes, write it. Nothing else knows where models live on disk.
 *
 *   <root>/active.json                 the pointer (ActivePointer), replaced by rename
 *   <root>/versions/<id>/manifest.json  VersionManifest: provenance, metrics, file hashes
 *   <root>/versions/<id>/model/         transformers.js model folder (config.json, tokenizer, onnx/)
 *   <root>/versions/<id>/adapter/       PEFT adapter, when there is one; other files: reports
 *   <root>/.lock                        held by the process changing the registry
 *   <root>/.staging/  <root>/.trash/    versions being registered / removed, never read
 *
 * A version appears by one rename of a complete, flushed folder and disappears by one rename
 * out of versions/, and the pointer is replaced by rename: a reader sees whole versions and
 * whole pointers or nothing.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { DurableFile, syncFolder } from '../../bot/core/durable-file';
import { acquireLock, StoreLockedError } from '../../bot/core/lock';
import type { Lock } from '../../bot/core/lock';
import {
  InvalidSourceError,
  NothingToRollBackError,
  RegistryBusyError,
  RegistryError,
  UnknownVersionError,
  VersionIntegrityError,
} from './errors';
import { copyFiles, describeFile, describeFiles, fileSize, listFiles, syncTree } from './version-files';
import {
  formatVersionId,
  MANIFEST_FORMAT,
  parseManifest,
  parsePointer,
  serializeJson,
  versionSequence,
} from './version-manifest';
import type { ActivePointer, NewVersion, VersionManifest, VersionStatus } from './version-manifest';
import { watchFile } from './watch';

/** A version as the registry hands it out; `manifest.status` is its status now. */
export interface RegisteredVersion {
  id: string;
  /** The version folder. */
  dir: string;
  /** The transformers.js model folder: config.json, generation_config.json, tokenizer files, onnx/. */
  modelDir: string;
  /** The PEFT adapter folder, or null. */
  adapterDir: string | null;
  manifest: VersionManifest;
}

export type ActiveModel = RegisteredVersion;

/** All the assistant needs of the registry: the model to run, and word when it changes. */
export interface ModelSource {
  active(): Promise<ActiveModel | null>;
  /**
   * Calls `onChange` once each time another version becomes active (not for the one active when
   * watching starts). `onError` hears of a pointer or manifest that cannot be read; watching
   * goes on. Returns the function that stops watching.
   */
  watch(onChange: (active: ActiveModel | null) => void, onError?: (error: Error) => void): () => void;
}

export interface RegistryOptions {
  /**
   * Flush files and folders to the disk before a change resolves, so a power cut loses no acknowledged change (default
   * true).
   */
  fsync?: boolean;
  /** How long a change waits while another process holds the registry (default 30 s), then RegistryBusyError. */
  lockTimeoutMs?: number;
  /** watch(): quiet time after the pointer changes before it is reported (default 50 ms). */
  debounceMs?: number;
  /** watch(): how often the pointer is also polled (default 1000 ms). */
  pollIntervalMs?: number;
  /** watch(): listen to fs.watch besides polling (default true). */
  fsWatch?: boolean;
  /** The clock for createdAt, activation times and version ids. */
  now?: () => Date;
}

export interface RegisterOptions {
  /** Move the source folder in (a rename when on the same disk) instead of copying it. */
  move?: boolean;
}

/** The registry of a data folder lives in `<dataDir>/models`. */
export function registryPath(dataDir: string): string {
  return join(dataDir, 'models');
}

export const POINTER_FILE = 'active.json';
export const LOCK_FILE = '.lock';
export const MANIFEST_FILE = 'manifest.json';
const MODEL_FOLDER = 'model';
const ADAPTER_FOLDER = 'adapter';
/** Names at the top of a version that are the registry's own, not the model's. */
const RESERVED_NAMES = [MANIFEST_FILE, `.${MANIFEST_FILE}.tmp`];
/** Rollback reaches this far back. */
const KEPT_PREDECESSORS = 32;
const LOCK_RETRY_MS = 25;

export async function openRegistry(root: string, options: RegistryOptions = {}): Promise<ModelRegistry> {
  const registry = new ModelRegistry(resolve(root), options);
  await mkdir(registry.versionsDir, { recursive: true });
  return registry;
}

export class ModelRegistry implements ModelSource {
  readonly versionsDir: string;
  readonly #fsync: boolean;
  readonly #lockTimeoutMs: number;
  readonly #watchOptions: { debounceMs: number; pollIntervalMs: number; fsWatch: boolean };
  readonly #now: () => Date;
  readonly #pointer: DurableFile<ActivePointer>;
  /** Changes made by this process, one at a time, before the lock file orders them among processes. */
  #queue: Promise<unknown> = Promise.resolve();

  constructor(
    readonly root: string,
    options: RegistryOptions = {},
  ) {
    this.versionsDir = join(root, 'versions');
    this.#fsync = options.fsync ?? true;
    this.#lockTimeoutMs = options.lockTimeoutMs ?? 30_000;
    this.#watchOptions = {
      debounceMs: options.debounceMs ?? 50,
      pollIntervalMs: options.pollIntervalMs ?? 1000,
      fsWatch: options.fsWatch ?? true,
    };
    this.#now = options.now ?? (() => new Date());
    this.#pointer = new DurableFile(join(root, POINTER_FILE), {
      parse: parsePointer,
      serialize: serializeJson,
      fsync: this.#fsync,
    });
  }

  /**
   * Adds the finished model in `sourceDir` as a new candidate version and returns it. The
   * folder holds `model/` (the transformers.js model folder, with config.json and onnx/*.onnx),
   * optionally `adapter/` (a PEFT adapter) and any report files.
   */
  async register(sourceDir: string, fields: NewVersion, options: RegisterOptions = {}): Promise<RegisteredVersion> {
    checkFields(fields);
    const source = resolve(sourceDir);
    const files = await checkSource(source);
    const { id, copied } = await this.#exclusive(async () => {
      const staging = join(this.root, '.staging', `${process.pid}-${randomBytes(4).toString('hex')}`);
      await mkdir(join(this.root, '.staging'), { recursive: true });
      const moved = options.move === true && (await moveFolder(source, staging));
      try {
        if (!moved) await copyFiles(source, staging, files);
        if (this.#fsync) await syncTree(staging, files);
        const now = this.#now();
        const id = formatVersionId((await this.#lastSequence()) + 1, now);
        const manifest: VersionManifest = {
          format: MANIFEST_FORMAT,
          id,
          baseModel: fields.baseModel,
          model: MODEL_FOLDER,
          adapter: files.some((file) => file.startsWith(`${ADAPTER_FOLDER}/`)) ? ADAPTER_FOLDER : null,
          dataset: fields.dataset ?? null,
          hyperparameters: fields.hyperparameters ?? {},
          metrics: fields.metrics ?? {},
          createdAt: now.toISOString(),
          status: 'candidate',
          parent: fields.parent ?? null,
          note: fields.note ?? null,
          activatedAt: null,
          retiredAt: null,
          rolledBack: false,
          files: await describeFiles(staging, files),
        };
        await this.#manifestFile(staging).write(manifest);
        await rename(staging, join(this.versionsDir, id));
        await rm(join(this.root, '.staging'), { recursive: true, force: true });
        if (this.#fsync) await syncFolder(this.versionsDir);
        return { id, copied: !moved };
      } catch (error) {
        if (moved) await rename(staging, source).catch(() => undefined);
        throw error;
      }
    });
    if (options.move === true && copied) await rm(source, { recursive: true, force: true });
    return this.get(id);
  }

  async get(id: string): Promise<RegisteredVersion> {
    const dir = join(this.versionsDir, id);
    const manifest = versionSequence(id) === null ? null : await this.#manifestFile(dir).read();
    if (manifest === null) throw new UnknownVersionError(this.root, id);
    if (manifest.id !== id)
      throw new RegistryError(
        `${join(dir, MANIFEST_FILE)} names version ${manifest.id}, not ${id}, the folder it is in: move the folder aside`,
      );
    const pointer = await this.#pointer.read();
    return this.#version(dir, manifest, pointer?.id ?? null);
  }

  /** The version the bot runs; null until one is activated. */
  async active(): Promise<ActiveModel | null> {
    for (let attempt = 0; ; attempt += 1) {
      const pointer = await this.#pointer.read();
      if (pointer === null) return null;
      const manifest = await this.#manifestFile(join(this.versionsDir, pointer.id)).read();
      if (manifest !== null) return this.#version(join(this.versionsDir, pointer.id), manifest, pointer.id);
      // Pruned between reading the pointer and its manifest: by then the pointer has moved on.
      const now = await this.#pointer.read();
      if (now?.id === pointer.id || attempt === 3) {
        throw new RegistryError(
          `${join(this.root, POINTER_FILE)} names version ${pointer.id}, which is missing from ${this.versionsDir}: activate or roll back to a version that history() lists`,
        );
      }
    }
  }

  /** Every version, newest first. */
  async history(): Promise<RegisteredVersion[]> {
    const ids = await this.#ids();
    const activeId = (await this.#pointer.read())?.id ?? null;
    const versions: RegisteredVersion[] = [];
    for (const id of ids) {
      const dir = join(this.versionsDir, id);
      const manifest = await this.#manifestFile(dir).read();
      if (manifest !== null) versions.push(this.#version(dir, manifest, activeId));
    }
    return versions;
  }

  /** The version that was active before the active one: what rollback() returns to. */
  async predecessor(): Promise<string | null> {
    const pointer = await this.#pointer.read();
    return pointer === null ? null : await this.#firstKept(pointer.predecessors);
  }

  /**
   * Checks every file of a version against its manifest; throws VersionIntegrityError naming the first that differs.
   */
  async verify(id: string): Promise<void> {
    const { dir, manifest } = await this.get(id);
    const present = new Set(await listFiles(dir, RESERVED_NAMES));
    for (const file of present) {
      if (!(file in manifest.files)) throw new VersionIntegrityError(id, file, 'unexpected');
    }
    for (const [file, record] of Object.entries(manifest.files)) {
      if (!present.has(file)) throw new VersionIntegrityError(id, file, 'missing');
      if ((await fileSize(join(dir, file))) !== record.bytes) throw new VersionIntegrityError(id, file, 'modified');
    }
    for (const [file, record] of Object.entries(manifest.files)) {
      if ((await describeFile(join(dir, file))).sha256 !== record.sha256)
        throw new VersionIntegrityError(id, file, 'modified');
    }
  }

  /** Makes `id` the active version after checking its files; the version it replaces becomes its predecessor. */
  async activate(id: string): Promise<ActiveModel> {
    await this.#exclusive(async () => {
      const current = await this.#pointer.read();
      if (current?.id === id) return;
      const predecessors = current === null ? [] : [current.id, ...current.predecessors.filter((kept) => kept !== id)];
      await this.#switchTo(id, predecessors, current, false);
    });
    return this.get(id);
  }

  /**
   * Goes back to `id`, by default to the version active before the active one. The version
   * rolled back from is retired and dropped from the predecessors, so a second rollback goes
   * one activation further back.
   */
  async rollback(id?: string): Promise<ActiveModel> {
    const target = await this.#exclusive(async () => {
      const current = await this.#pointer.read();
      if (current === null)
        throw new NothingToRollBackError(`nothing to roll back: no version of ${this.root} is active yet`);
      const target = id ?? (await this.#firstKept(current.predecessors));
      if (target === null)
        throw new NothingToRollBackError(
          `nothing to roll back to: ${current.id} is active and no version active before it is kept`,
        );
      if (target === current.id) throw new NothingToRollBackError(`${target} is already the active version`);
      const position = current.predecessors.indexOf(target);
      const predecessors = position === -1 ? current.predecessors : current.predecessors.slice(position + 1);
      await this.#switchTo(target, predecessors, current, true);
      return target;
    });
    return this.get(target);
  }

  /** Marks a version that must not be activated (it failed evaluation, say); the active one cannot be. */
  async markFailed(id: string, note?: string): Promise<RegisteredVersion> {
    await this.#exclusive(async () => {
      const { dir, manifest } = await this.get(id);
      if ((await this.#pointer.read())?.id === id)
        throw new RegistryError(
          `${id} is the active version: activate or roll back to another one before marking it failed`,
        );
      await this.#manifestFile(dir).write({ ...manifest, status: 'failed', note: note ?? manifest.note });
    });
    return this.get(id);
  }

  /**
   * Removes the oldest versions beyond the newest `keep`, except the active version and its
   * predecessor. Returns the ids removed.
   */
  async prune(keep: number): Promise<string[]> {
    if (!Number.isInteger(keep) || keep < 1) throw new RangeError(`prune keeps at least 1 version, got ${keep}`);
    return this.#exclusive(async () => {
      const pointer = await this.#pointer.read();
      const predecessor = pointer === null ? null : await this.#firstKept(pointer.predecessors);
      const removable = (await this.#ids()).slice(keep).filter((id) => id !== pointer?.id && id !== predecessor);
      const trash = join(this.root, '.trash');
      await mkdir(trash, { recursive: true });
      for (const id of removable) await rename(join(this.versionsDir, id), join(trash, id));
      if (this.#fsync && removable.length > 0) await syncFolder(this.versionsDir);
      await rm(trash, { recursive: true, force: true });
      return removable;
    });
  }

  watch(onChange: (active: ActiveModel | null) => void, onError: (error: Error) => void = () => undefined): () => void {
    let reported = this.#activeIdNow();
    let lastError: string | null = null;
    return watchFile(
      join(this.root, POINTER_FILE),
      async () => {
        try {
          const pointer = await this.#pointer.read();
          if ((pointer?.id ?? null) !== reported) {
            const active = await this.active();
            if ((active?.id ?? null) !== reported) {
              reported = active?.id ?? null;
              onChange(active);
            }
          }
          lastError = null;
        } catch (error) {
          const failure = error instanceof Error ? error : new Error(String(error));
          // Polling meets a broken pointer every interval: tell of it once, until it changes.
          if (failure.message === lastError) return;
          lastError = failure.message;
          onError(failure);
        }
      },
      this.#watchOptions,
    );
  }

  /** The pointer's id as it is on disk now, read at once so no change after watch() returns is missed. */
  #activeIdNow(): string | null {
    try {
      return parsePointer(readFileSync(join(this.root, POINTER_FILE), 'utf-8')).id;
    } catch {
      return null; // none yet, or unreadable: the first good pointer is a change
    }
  }

  async #switchTo(id: string, predecessors: string[], current: ActivePointer | null, rollback: boolean): Promise<void> {
    const target = await this.get(id);
    if (target.manifest.status === 'failed')
      throw new RegistryError(
        `${id} is marked failed${target.manifest.note ? ` (${target.manifest.note})` : ''}: it cannot be activated`,
      );
    await this.verify(id);
    const at = this.#now().toISOString();
    await this.#pointer.write({ id, activatedAt: at, predecessors: predecessors.slice(0, KEPT_PREDECESSORS) });
    // The pointer decides what is active; the manifests follow it, and status() trusts the pointer if a crash comes
    // between.
    await this.#manifestFile(target.dir).write({ ...target.manifest, status: 'active', activatedAt: at });
    if (current === null) return;
    const previousDir = join(this.versionsDir, current.id);
    const previous = await this.#manifestFile(previousDir).read();
    if (previous !== null)
      await this.#manifestFile(previousDir).write({
        ...previous,
        status: 'retired',
        retiredAt: at,
        rolledBack: rollback,
      });
  }

  /**
   * Runs a change while holding the registry: one at a time in this process, and the lock file against other processes.
   */
  async #exclusive<T>(change: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(async () => {
      const lock = await this.#lock();
      try {
        // Whoever held the lock before us is done: what it left half-done died with it.
        await rm(join(this.root, '.staging'), { recursive: true, force: true });
        await rm(join(this.root, '.trash'), { recursive: true, force: true });
        return await change();
      } finally {
        await lock.release();
      }
    });
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #lock(): Promise<Lock> {
    const deadline = Date.now() + this.#lockTimeoutMs;
    for (;;) {
      try {
        return await acquireLock(join(this.root, LOCK_FILE));
      } catch (error) {
        if (!(error instanceof StoreLockedError)) throw error;
        if (Date.now() >= deadline) throw new RegistryBusyError(this.root, error.pid, this.#lockTimeoutMs);
        await new Promise((done) => setTimeout(done, LOCK_RETRY_MS));
      }
    }
  }

  /** Version ids in versions/, newest first. */
  async #ids(): Promise<string[]> {
    const names = await readdir(this.versionsDir);
    return names
      .filter((name) => versionSequence(name) !== null)
      .sort((a, b) => (versionSequence(b) as number) - (versionSequence(a) as number));
  }

  async #lastSequence(): Promise<number> {
    const [newest] = await this.#ids();
    return newest === undefined ? 0 : (versionSequence(newest) as number);
  }

  async #firstKept(ids: readonly string[]): Promise<string | null> {
    for (const id of ids) {
      if (await isFolder(join(this.versionsDir, id))) return id;
    }
    return null;
  }

  #manifestFile(dir: string): DurableFile<VersionManifest> {
    return new DurableFile(join(dir, MANIFEST_FILE), {
      parse: parseManifest,
      serialize: serializeJson,
      fsync: this.#fsync,
    });
  }

  #version(dir: string, manifest: VersionManifest, activeId: string | null): RegisteredVersion {
    return {
      id: manifest.id,
      dir,
      modelDir: join(dir, manifest.model),
      adapterDir: manifest.adapter === null ? null : join(dir, manifest.adapter),
      manifest: { ...manifest, status: statusNow(manifest, activeId) },
    };
  }
}

/**
 * The pointer decides which version is active; a manifest still saying "active" is one a crash kept from being retired.
 */
function statusNow(manifest: VersionManifest, activeId: string | null): VersionStatus {
  if (manifest.id === activeId) return 'active';
  return manifest.status === 'active' ? 'retired' : manifest.status;
}

function checkFields(fields: NewVersion): void {
  if (typeof fields.baseModel !== 'string' || fields.baseModel === '')
    throw new TypeError('register needs the baseModel the version was trained from');
  for (const [name, value] of Object.entries(fields.metrics ?? {})) {
    if (!Number.isFinite(value)) throw new TypeError(`metric ${name} is ${value}; metrics are finite numbers`);
  }
  for (const [name, value] of Object.entries(fields.hyperparameters ?? {})) {
    if (typeof value === 'number' && !Number.isFinite(value))
      throw new TypeError(`hyperparameter ${name} is ${value}; JSON holds finite numbers only`);
  }
}

/** The files of a source folder, after checking it holds a model the bot can load. */
async function checkSource(source: string): Promise<string[]> {
  if (!(await isFolder(source))) throw new InvalidSourceError(source, 'it is not a folder');
  let files: string[];
  try {
    files = await listFiles(source);
  } catch (error) {
    throw new InvalidSourceError(source, (error as Error).message);
  }
  const reserved = files.find((file) => RESERVED_NAMES.includes(file));
  if (reserved !== undefined)
    throw new InvalidSourceError(source, `${reserved} is the registry's own file name; remove it from the folder`);
  const layout = `put the transformers.js model folder in ${MODEL_FOLDER}/ (config.json, tokenizer files, onnx/model.onnx) and a PEFT adapter, if any, in ${ADAPTER_FOLDER}/`;
  if (!files.includes(`${MODEL_FOLDER}/config.json`))
    throw new InvalidSourceError(source, `${MODEL_FOLDER}/config.json is missing: ${layout}`);
  if (!files.some((file) => file.startsWith(`${MODEL_FOLDER}/onnx/`) && file.endsWith('.onnx')))
    throw new InvalidSourceError(source, `${MODEL_FOLDER}/onnx/ holds no .onnx file: ${layout}`);
  const adapterFiles = files.filter((file) => file.startsWith(`${ADAPTER_FOLDER}/`));
  if (adapterFiles.length > 0 && !adapterFiles.includes(`${ADAPTER_FOLDER}/adapter_config.json`))
    throw new InvalidSourceError(source, `${ADAPTER_FOLDER}/adapter_config.json is missing: ${layout}`);
  return files;
}

/** Renames `from` to `to`; false when they are on different disks (the caller copies instead). */
async function moveFolder(from: string, to: string): Promise<boolean> {
  try {
    await rename(from, to);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EXDEV') return false;
    throw error;
  }
}

async function isFolder(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}
