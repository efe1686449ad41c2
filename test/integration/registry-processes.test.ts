import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { acquireLock } from '../../bot/core/lock';
import { LOCK_FILE, openRegistry } from '../../training/registry';
import type { ModelRegistry } from '../../training/registry';
import { eventually } from '../helpers/eventually';
import { registryChild, repoRoot, tsxBin, versionFields, writeModelSource } from '../helpers/registry-fixtures';

/** A registry child process (test/helpers/registry-child.ts) and the lines it prints. */
class Child {
  readonly lines: string[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The pid of the process running the script (tsx runs it in a process of its own). */
  pid = 0;
  #stderr = '';
  #waiters: Array<() => void> = [];

  constructor(args: string[]) {
    const child = spawn(tsxBin, [registryChild, ...args], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stderr.on('data', (data) => (this.#stderr += data));
    this.exited = new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (line.startsWith('pid ')) this.pid = Number(line.slice(4));
      else this.lines.push(line);
      for (const wake of this.#waiters.splice(0)) wake();
    });
  }

  /** Resolves once `count` lines (after the pid) have been printed. */
  async waitForLines(count: number, timeoutMs = 20_000): Promise<string[]> {
    await this.waitUntil((lines) => lines.length >= count, timeoutMs);
    return this.lines.slice(0, count);
  }

  async waitUntil(done: (lines: string[]) => boolean, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!done(this.lines)) {
      if (Date.now() > deadline) throw new Error(`child printed ${this.lines.join(' / ')}; stderr: ${this.#stderr}`);
      await new Promise<void>((wake) => {
        this.#waiters.push(wake);
        setTimeout(wake, 100);
      });
    }
  }

  async succeeded(): Promise<void> {
    const { code, signal } = await this.exited;
    if (code !== 0) throw new Error(`child ended with ${code ?? signal}: ${this.#stderr}`);
  }

  get stderr(): string {
    return this.#stderr;
  }
}

let work: string;
let root: string;

beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), 'registry-processes-'));
  root = join(work, 'models');
});
afterEach(() => rm(work, { recursive: true, force: true }));

async function registerSeeds(registry: ModelRegistry, seeds: number[]): Promise<string[]> {
  const ids: string[] = [];
  for (const seed of seeds) {
    await writeModelSource(join(work, `source-${seed}`), seed, { onnxBytes: 64 * 1024 });
    ids.push((await registry.register(join(work, `source-${seed}`), versionFields(seed), { move: true })).id);
  }
  return ids;
}

test('a reader never sees a broken pointer or a missing file while another process switches versions', async () => {
  const registry = await openRegistry(root);
  const ids = await registerSeeds(registry, [1, 2, 3]);
  await registry.activate(ids[0]);

  const rounds = 40;
  const cycle = [ids[1], ids[2], ids[0]];
  const writer = new Child([root, 'activate-cycle', String(rounds), '0', ...cycle]);
  let reads = 0;
  const seen = new Set<string>();
  while (writer.lines.length < rounds) {
    const pointer = JSON.parse(await readFile(join(root, 'active.json'), 'utf-8'));
    expect(ids).toContain(pointer.id);
    const active = await registry.active();
    expect(active).not.toBeNull();
    for (const [file, record] of Object.entries(active!.manifest.files)) {
      expect((await stat(join(active!.dir, file))).size).toBe(record.bytes);
    }
    seen.add(active!.id);
    reads += 1;
    if (writer.lines.length === 0 && reads > 100_000) throw new Error(`the writer did not start: ${writer.stderr}`);
  }
  await writer.succeeded();
  expect(seen.size).toBeGreaterThan(1);
  expect(reads).toBeGreaterThan(rounds);
  expect((await registry.active())?.id).toBe(cycle[(rounds - 1) % cycle.length]);
});

test('watch reports each activation made by another process once, in order', async () => {
  const registry = await openRegistry(root);
  const ids = await registerSeeds(registry, [1, 2, 3]);
  await registry.activate(ids[0]);
  const seen: string[] = [];
  const stop = registry.watch((active) => seen.push(active?.id ?? 'none'));
  try {
    const writer = new Child([root, 'activate-cycle', '5', '250', ids[1], ids[2], ids[0]]);
    await writer.succeeded();
    await eventually(
      () => seen.length >= 5,
      () => `five activations to be reported (seen: ${seen.join(', ')})`,
    );
    await new Promise((done) => setTimeout(done, 200)); // and no more
    expect(writer.lines).toEqual([ids[1], ids[2], ids[0], ids[1], ids[2]].map((id) => `activated ${id}`));
    expect(seen).toEqual([ids[1], ids[2], ids[0], ids[1], ids[2]]);
  } finally {
    stop();
  }
});

test('a process waits for the lock held by another, or gives up naming the holder; a dead holder is taken over', async () => {
  const registry = await openRegistry(root);
  const [a, b] = await registerSeeds(registry, [1, 2]);

  const lock = await acquireLock(join(root, LOCK_FILE));
  const impatient = new Child([root, 'activate', a, '300']);
  const [, outcome] = await impatient.waitForLines(2);
  expect(outcome).toMatch(
    new RegExp(`^error RegistryBusyError the model registry ${root} is held by process ${process.pid}`),
  );

  const patient = new Child([root, 'activate', a, '20000']);
  await patient.waitForLines(1); // ready: from here it waits on the lock
  await new Promise((done) => setTimeout(done, 400));
  expect(patient.lines).toEqual(['ready']);
  await lock.release();
  const [, done] = await patient.waitForLines(2);
  expect(done).toMatch(/^ok \d+$/);
  expect(Number(done.split(' ')[1])).toBeGreaterThanOrEqual(300);
  expect((await registry.active())?.id).toBe(a);

  // Two trainers registering at once: every version whole, every id distinct.
  const trainers = [
    new Child([root, 'register-loop', '10', '4', '65536']),
    new Child([root, 'register-loop', '20', '4', '65536']),
  ];
  await Promise.all(trainers.map((trainer) => trainer.succeeded()));
  const history = await registry.history();
  expect(history).toHaveLength(10);
  expect(new Set(history.map((version) => version.id.slice(0, 5))).size).toBe(10);
  for (const version of history) await registry.verify(version.id);

  // A lock left by a process that is gone does not block anyone.
  const dead = new Child([root, 'activate', b, '20000']);
  await dead.succeeded();
  await writeFile(join(root, LOCK_FILE), `${dead.pid}\n`);
  const started = Date.now();
  await (await openRegistry(root, { lockTimeoutMs: 1000 })).rollback();
  expect(Date.now() - started).toBeLessThan(2000);
  expect((await registry.active())?.id).toBe(a);
});

test('a training process killed mid-register leaves no half version and the registry opens and registers again', async () => {
  const registry = await openRegistry(root);
  const acknowledged = new Map<string, number>();
  let leftBehind = 0;
  for (const [round, [registering, delayMs]] of [
    [2, 0],
    [3, 1],
    [1, 3],
    [2, 6],
    [2, 10],
  ].entries()) {
    const trainer = new Child([root, 'register-loop', String(100 * (round + 1)), 'forever', String(4 * 1024 * 1024)]);
    await trainer.waitUntil(
      (lines) => lines.filter((line) => line.startsWith('registering ')).length === registering,
      60_000,
    );
    await new Promise((done) => setTimeout(done, delayMs));
    process.kill(trainer.pid, 'SIGKILL');
    await trainer.exited;
    for (const line of trainer.lines.filter((line) => line.startsWith('registered '))) {
      const [, id, seed] = line.split(' ');
      acknowledged.set(id, Number(seed));
    }
    const staged = await readdir(join(root, '.staging')).catch(() => []);
    if (staged.length > 0) leftBehind += 1;

    const reopened = await openRegistry(root, { lockTimeoutMs: 2000 });
    const versions = await reopened.history();
    expect(versions.map((version) => version.id)).toEqual(expect.arrayContaining([...acknowledged.keys()]));
    expect((await readdir(reopened.versionsDir)).sort()).toEqual(versions.map((version) => version.id).sort());
    for (const version of versions) await reopened.verify(version.id);
  }
  // The kills landed inside register(), not only between calls.
  expect(leftBehind).toBeGreaterThan(0);

  const [newest] = await registry.history();
  await writeModelSource(join(work, 'after'), 999);
  const after = await registry.register(join(work, 'after'), versionFields(999));
  expect(after.id.slice(0, 5)).toBe(`v${String(Number(newest.id.slice(1, 5)) + 1).padStart(4, '0')}`);
  expect(await readdir(root)).not.toContain('.staging');
  await registry.activate(after.id);
  expect((await registry.active())?.id).toBe(after.id);
});
