import { spawn } from 'node:child_process';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Exchange, ModerationStatus } from '../../bot/core/domain';
import { openStore } from '../../bot/store/lowdb-store';
import type { BotProcessEvent } from '../helpers/bot-process';
import { makeTempDir, removeDir, sampleExchange } from '../helpers/store-fixtures';

const root = fileURLToPath(new URL('../..', import.meta.url));
const writerScript = join(root, 'test/helpers/store-writer.ts');
const botScript = join(root, 'test/helpers/bot-process.ts');

/**
 * Runs the writer child until it has acknowledged `killAfter` captures, kills it with SIGKILL
 * `delayMs` later, wherever it is in its write cycle, and returns every id it acknowledged
 * (with its number), including those printed between the count and the kill.
 */
async function captureUntilKilled(
  dir: string,
  first: number,
  killAfter: number,
  delayMs: number,
): Promise<Map<string, number>> {
  const child = spawn(process.execPath, ['--import', 'tsx', writerScript, dir, String(first), '8', '100'], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (data) => (stderr += data));
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('close', (_code, signal) => resolve(signal)));
  const acknowledged = new Map<string, number>();
  for await (const line of createInterface({ input: child.stdout })) {
    if (line === 'ready') continue;
    const [id, n] = line.split(' ');
    expect(acknowledged.has(id)).toBe(false);
    acknowledged.set(id, Number(n));
    if (acknowledged.size === killAfter) setTimeout(() => child.kill('SIGKILL'), delayMs);
  }
  const signal = await exited;
  if (signal !== 'SIGKILL') throw new Error(`the writer ended by itself (${signal}): ${stderr}`);
  return acknowledged;
}

describe('crash safety', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await makeTempDir();
  });
  afterEach(() => removeDir(dir));

  test('every acknowledged capture survives a SIGKILL at any point of the write cycle', async () => {
    const acknowledged = new Map<string, number>();
    let next = 0;
    for (const [killAfter, delayMs] of [
      [250, 0],
      [401, 1],
      [333, 2],
      [520, 0],
      [289, 3],
    ]) {
      const round = await captureUntilKilled(dir, next, killAfter, delayMs);
      expect(round.size).toBeGreaterThanOrEqual(killAfter);
      for (const [id, n] of round) {
        expect(acknowledged.has(id)).toBe(false);
        acknowledged.set(id, n);
      }
      next = Math.max(...acknowledged.values()) + 1;

      // Reopening takes over the dead child's lock and clears its staged writes.
      const store = await openStore({ dir, salt: 'crash-test-salt' });
      try {
        const files = await readdir(join(dir, 'exchanges'));
        expect(files.filter((name) => name.endsWith('.tmp'))).toEqual([]);
        await Promise.all(files.map(async (name) => JSON.parse(await readFile(join(dir, 'exchanges', name), 'utf-8'))));

        const stored = new Map<string, Exchange>();
        for await (const exchange of store.exchanges()) stored.set(exchange.id, exchange);
        for (const [id, n] of acknowledged) {
          const expected = sampleExchange(n);
          const exchange = stored.get(id);
          expect(exchange).toMatchObject({
            id,
            question: expected.question,
            answer: expected.answer,
            facts: expected.facts,
            query: expected.query,
          });
        }
      } finally {
        await store.close();
      }
    }
  });
});

/** What one run of the bot process said before it was killed. */
interface BotRun {
  /** Acknowledged captures: the reply came back with this exchange id. */
  captured: Map<string, { question: string; answer: string }>;
  /** Acknowledged moderations: the command replied that it was done. */
  moderated: Map<string, { status: ModerationStatus; correction: string | null }>;
  /** Moderations begun and never acknowledged: in flight when the kill came. */
  moderationsInFlight: Map<string, ModerationStatus>;
  /** Questions asked and never answered: in flight when the kill came. */
  questionsInFlight: number;
}

/**
 * Runs the bot (test/helpers/bot-process.ts: the app's own wiring) on `dataDir` until it has
 * acknowledged `killAfter` events of `mode` (captures, or moderations), kills it with SIGKILL
 * `delayMs` later, and returns all it acknowledged up to its death.
 */
async function botUntilKilled(
  dataDir: string,
  mode: 'capture' | 'moderate',
  killAfter: number,
  delayMs: number,
  backlogFile?: string,
): Promise<BotRun> {
  const args = ['--import', 'tsx', botScript, dataDir, mode, '4', ...(backlogFile ? [backlogFile] : [])];
  const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (data) => (stderr += data));
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('close', (_code, signal) => resolve(signal)));
  const run: BotRun = {
    captured: new Map(),
    moderated: new Map(),
    moderationsInFlight: new Map(),
    questionsInFlight: 0,
  };
  let acknowledged = 0;
  for await (const line of createInterface({ input: child.stdout })) {
    const event = JSON.parse(line) as BotProcessEvent;
    if ('asking' in event) run.questionsInFlight += 1;
    else if ('captured' in event) {
      expect(run.captured.has(event.captured)).toBe(false);
      run.captured.set(event.captured, { question: event.question, answer: event.answer });
      run.questionsInFlight -= 1;
      if (mode === 'capture') acknowledged += 1;
    } else if ('moderating' in event) run.moderationsInFlight.set(event.moderating, event.status);
    else if ('moderated' in event) {
      expect(run.moderationsInFlight.get(event.moderated)).toBe(event.status);
      run.moderationsInFlight.delete(event.moderated);
      run.moderated.set(event.moderated, { status: event.status, correction: event.correction });
      if (mode === 'moderate') acknowledged += 1;
    }
    if (acknowledged === killAfter) {
      acknowledged += 1; // kill once
      setTimeout(() => child.kill('SIGKILL'), delayMs);
    }
  }
  const signal = await exited;
  if (signal !== 'SIGKILL') throw new Error(`the bot ended by itself (${signal}): ${stderr}`);
  return run;
}

describe('crash safety of the bot process (kill -9 during capture and during moderation)', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await makeTempDir();
  });
  afterEach(() => removeDir(dir));

  test('every capture and moderation the bot acknowledged survives a SIGKILL', async () => {
    const dataDir = join(dir, 'bot');
    const storeDir = join(dataDir, 'store');
    const backlogFile = join(dir, 'backlog.txt');
    /** Everything acknowledged so far, across runs: what each exchange must hold now. */
    const captures = new Map<string, { question: string; answer: string }>();
    const moderations = new Map<string, { status: ModerationStatus; correction: string | null }>();
    /** Moderations in flight at a kill: their exchange may hold either state, and is moderated no more. */
    const undecided = new Set<string>();
    const killed = { duringCapture: 0, duringModeration: 0 };

    const rounds: ['capture' | 'moderate', number, number][] = [
      ['capture', 150, 0],
      ['moderate', 60, 1],
      ['capture', 210, 2],
      ['moderate', 90, 3],
    ];
    for (const [mode, killAfter, delayMs] of rounds) {
      // The moderation runs start with earlier runs' exchanges, in older chunks, that nobody has moderated yet.
      const pending = [...captures.keys()].filter((id) => !moderations.has(id) && !undecided.has(id));
      await writeFile(backlogFile, pending.join('\n'));
      const run = await botUntilKilled(dataDir, mode, killAfter, delayMs, backlogFile);
      if (mode === 'capture') expect(run.captured.size).toBeGreaterThanOrEqual(killAfter);
      else expect(run.moderated.size).toBeGreaterThanOrEqual(killAfter);
      for (const [id, capture] of run.captured) {
        expect(captures.has(id)).toBe(false);
        captures.set(id, capture);
      }
      for (const [id, moderation] of run.moderated) {
        expect(moderations.has(id) || undecided.has(id)).toBe(false);
        moderations.set(id, moderation);
      }
      for (const id of run.moderationsInFlight.keys()) undecided.add(id);
      killed.duringCapture += run.questionsInFlight;
      killed.duringModeration += run.moderationsInFlight.size;

      // Reopening takes over the dead bot's lock and clears its staged writes.
      const store = await openStore({ dir: storeDir });
      try {
        const files = await readdir(join(storeDir, 'exchanges'));
        expect(files.filter((name) => name.endsWith('.tmp'))).toEqual([]);
        await Promise.all(
          files.map(async (name) => JSON.parse(await readFile(join(storeDir, 'exchanges', name), 'utf-8'))),
        );
        const stored = new Map<string, Exchange>();
        for await (const exchange of store.exchanges()) stored.set(exchange.id, exchange);
        const lost: string[] = [];
        for (const [id, { question, answer }] of captures) {
          const exchange = stored.get(id);
          if (exchange?.question !== question || exchange.answer !== answer) lost.push(`capture ${id}`);
          else if (undecided.has(id)) continue;
          else {
            const moderation = moderations.get(id);
            const status = moderation?.status ?? 'pending';
            const correction = moderation?.correction ?? null;
            if (exchange.moderation.status !== status || exchange.moderation.correction !== correction)
              lost.push(`moderation of ${id}: ${JSON.stringify(exchange.moderation)}, acknowledged ${status}`);
          }
        }
        expect({ mode, lost }).toEqual({ mode, lost: [] });
      } finally {
        await store.close();
      }
    }
    // The kills did land while the bot was capturing and while it was moderating.
    expect(killed.duringCapture).toBeGreaterThan(0);
    expect(killed.duringModeration).toBeGreaterThan(0);
    expect(moderations.size).toBeGreaterThanOrEqual(150);
  }, 120_000);
});
