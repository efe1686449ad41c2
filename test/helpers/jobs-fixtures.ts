import { spawn } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { JobOptions } from '../../training/jobs/runner';
import { repoRoot, tsxBin } from './registry-fixtures';
import { eventually } from './eventually';

export const jobsChild = join(repoRoot, 'test/helpers/jobs-child.ts');
const shippedSeed = join(repoRoot, 'data/seed');

/**
 * Every `every`-th line of the shipped seed's train split and every `testEvery`-th of its test split: a seed that
 * trains in seconds.
 */
export async function writeSeedSubset(dir: string, { every = 60, testEvery = 30 } = {}): Promise<string> {
  await mkdir(dir, { recursive: true });
  for (const [split, step] of [
    ['train', every],
    ['test', testEvery],
  ] as const) {
    const lines = (await readFile(join(shippedSeed, `${split}.jsonl`), 'utf-8')).split('\n').filter(Boolean);
    await writeFile(join(dir, `${split}.jsonl`), `${lines.filter((_, i) => i % step === 0).join('\n')}\n`);
  }
  return dir;
}

/** A retrain of the tiny base on `seedDir`; `epochs` large enough keeps it training until cancelled. */
export function tinyRetrain(seedDir: string, epochs = 1, extra: JobOptions = {}): JobOptions {
  return { base: 'tiny', seedDir, threads: 1, ...extra, hyperparameters: { epochs, ...extra.hyperparameters } };
}

/** test/helpers/jobs-child.ts in a process of its own, and the lines it prints. */
export class JobsChild {
  readonly lines: string[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The pid of the process running the script (tsx runs it in a process of its own). */
  pid = 0;
  stderr = '';

  constructor(args: string[]) {
    const child = spawn(tsxBin, [jobsChild, ...args], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stderr.on('data', (data) => (this.stderr += data));
    this.exited = new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (line.startsWith('pid ')) this.pid = Number(line.slice(4));
      else this.lines.push(line);
    });
  }

  /** The first printed line that starts with `prefix`. */
  async line(prefix: string, timeoutMs = 20_000): Promise<string> {
    await eventually(
      () => this.lines.some((l) => l.startsWith(prefix)),
      () => `a "${prefix}" line (printed: ${this.lines.join(' / ')}; stderr: ${this.stderr})`,
      timeoutMs,
    );
    return this.lines.find((l) => l.startsWith(prefix))!;
  }
}

/** Whether a process is still there. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
