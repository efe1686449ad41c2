import { spawn } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Exchange } from '../../bot/core/domain';
import { openStore } from '../../bot/store/lowdb-store';
import { makeTempDir, removeDir, sampleExchange } from '../helpers/store-fixtures';

const root = fileURLToPath(new URL('../..', import.meta.url));
const writerScript = join(root, 'test/helpers/store-writer.ts');

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
