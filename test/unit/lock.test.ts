import { spawnSync } from 'node:child_process';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { acquireLock, StoreLockedError } from '../../bot/core/lock';
import { makeTempDir, removeDir } from '../helpers/store-fixtures';

let dir: string;

/** The pid of a process that has ended. */
const deadPid = () =>
  spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf-8' }).stdout;

beforeEach(async () => {
  dir = await makeTempDir();
});

afterEach(async () => {
  await removeDir(dir);
});

test('of many takers in one process at once, exactly one gets the lock and the rest are told who holds it', async () => {
  const file = join(dir, 'some.lock');
  const outcomes = await Promise.allSettled(Array.from({ length: 20 }, () => acquireLock(file)));
  const taken = outcomes.filter((outcome) => outcome.status === 'fulfilled');
  const refused = outcomes.flatMap((outcome) => (outcome.status === 'rejected' ? [outcome.reason] : []));
  expect(taken).toHaveLength(1);
  expect(refused).toHaveLength(19);
  for (const reason of refused) expect(reason).toBeInstanceOf(StoreLockedError);
  expect((await readFile(file, 'utf-8')).trim()).toBe(String(process.pid));
  await (taken[0] as PromiseFulfilledResult<{ release(): Promise<void> }>).value.release();
  expect(await readdir(dir)).toEqual([]);
});

// Free: 30 takers x 5 turns. Stale: the race is at the start, so more takers, one turn each.
test.each([
  ['free', false, 30, 5],
  ['stale', true, 100, 1],
])(
  'takers in one process that retry until they get the lock hold it one at a time, each in turn (lock %s at the start)',
  async (_state, stale, takers, turns) => {
    // 60 takers x 5 turns: a lock released between a taker's failed link and its look at the holder
    // was once taken for stale and removed from under the next holder (up to 4 held it at once).
    const file = join(dir, 'some.lock');
    let holders = 0;
    let most = 0;
    async function takeTurns(): Promise<void> {
      for (let turn = 0; turn < turns; turn += 1) {
        for (;;) {
          try {
            const lock = await acquireLock(file);
            holders += 1;
            most = Math.max(most, holders);
            await new Promise((done) => setImmediate(done));
            holders -= 1;
            await lock.release();
            break;
          } catch (error) {
            if (!(error instanceof StoreLockedError)) throw error;
            await new Promise((done) => setImmediate(done));
          }
        }
      }
    }
    if (stale) await writeFile(file, `${deadPid()}\n`);
    await Promise.all(Array.from({ length: takers }, takeTurns));
    expect(most).toBe(1);
    expect(await readdir(dir)).toEqual([]);
  },
);

test('what a dead taker left is cleared by the next one: its staging file, and the takeover it held over a stale lock', async () => {
  const gone = deadPid();
  await writeFile(join(dir, `some.lock.${gone}.1.tmp`), `${gone}\n`);
  await writeFile(join(dir, 'some.lock'), `${gone}\n`);
  await writeFile(join(dir, 'some.lock.takeover'), `${gone}\n`);
  const lock = await acquireLock(join(dir, 'some.lock'));
  expect(await readdir(dir)).toEqual(['some.lock']);
  expect((await readFile(join(dir, 'some.lock'), 'utf-8')).trim()).toBe(String(process.pid));
  await lock.release();
});
