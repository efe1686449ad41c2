import { spawn, spawnSync } from 'node:child_process';
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Exchange } from '../../bot/core/domain';
import { CorruptFileError, openStore, StoreLockedError, UnknownExchangeError } from '../../bot/store/lowdb-store';
import type { StoreOptions } from '../../bot/store/lowdb-store';
import type { Store } from '../../bot/core/store';
import { makeTempDir, removeDir, sampleExchange } from '../helpers/store-fixtures';

let dir: string;
const opened: Store[] = [];

beforeEach(async () => {
  dir = await makeTempDir();
});

afterEach(async () => {
  await Promise.all(opened.splice(0).map((store) => store.close()));
  await removeDir(dir);
});

async function open(options: Partial<StoreOptions> = {}): Promise<Store> {
  const store = await openStore({ dir, ...options });
  opened.push(store);
  return store;
}

async function reopen(store: Store, options: Partial<StoreOptions> = {}): Promise<Store> {
  await store.close();
  return open(options);
}

async function collect(records: AsyncIterable<Exchange>): Promise<Exchange[]> {
  const all: Exchange[] = [];
  for await (const record of records) all.push(record);
  return all;
}

async function filesUnder(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { withFileTypes: true, recursive: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name));
}

const chunkFile = (n: number) => join(dir, 'exchanges', `${String(n).padStart(6, '0')}.json`);
const chunkFiles = async () => (await readdir(join(dir, 'exchanges'))).sort();

describe('capture and hashing', () => {
  test('capture assigns id, time and a pending moderation, and get reads it back', async () => {
    const store = await open();
    const before = Date.now();
    const input = sampleExchange(1);
    const captured = await store.capture(input);
    expect(captured.id).toBe('000001-0000');
    expect(Date.parse(captured.createdAt)).toBeGreaterThanOrEqual(before - 1);
    expect(captured.moderation).toEqual({ status: 'pending', by: null, at: null, correction: null });
    expect(captured).toMatchObject({
      question: input.question,
      answer: input.answer,
      facts: input.facts,
      query: input.query,
      source: input.source,
      latencyMs: input.latencyMs,
    });
    expect(captured).not.toHaveProperty('channelId');
    expect(captured).not.toHaveProperty('userId');
    expect(await store.get(captured.id)).toEqual(captured);
    expect(await (await reopen(store)).get(captured.id)).toEqual(captured);
  });

  test('platform ids are stored only as salted hashes: no raw id in any file', async () => {
    const store = await open();
    const a = await store.capture(sampleExchange(1, { channelId: 'RAWCHANNEL1111', userId: 'RAWUSER2222' }));
    const b = await store.capture(sampleExchange(2, { channelId: 'RAWCHANNEL1111', userId: 'RAWUSER3333' }));
    await store.moderate(a.id, { status: 'approved', platform: 'discord', moderatorId: 'RAWMODERATOR4444' });
    await store.setPreferences('user', 'discord', 'RAWUSER2222', { units: 'imperial' });
    await store.setPreferences('channel', 'slack', 'RAWCHANNEL5555', { location: 'Paris, TX' });
    await store.close();

    expect(a.channel).toMatch(/^discord:[0-9a-f]{16}$/);
    expect(a.channel).toBe(b.channel);
    expect(a.user).not.toBe(b.user);
    const files = await filesUnder(dir);
    expect(files.length).toBeGreaterThanOrEqual(3);
    for (const file of files) {
      expect(await readFile(file, 'utf-8')).not.toMatch(/RAWCHANNEL|RAWUSER|RAWMODERATOR/);
    }
    const moderated = (await open()).get(a.id);
    expect((await moderated)?.moderation.by).toMatch(/^discord:[0-9a-f]{16}$/);
  });

  test('the salt is generated once into .salt (mode 0600) and keeps hashes stable across opens', async () => {
    const first = await open();
    const a = await first.capture(sampleExchange(1, { userId: 'u1' }));
    const salt = await readFile(join(dir, '.salt'), 'utf-8');
    expect(salt.trim()).toMatch(/^[0-9a-f]{64}$/);
    expect((await stat(join(dir, '.salt'))).mode & 0o777).toBe(0o600);

    const second = await reopen(first);
    const b = await second.capture(sampleExchange(2, { userId: 'u1' }));
    expect(b.user).toBe(a.user);
    expect(await readFile(join(dir, '.salt'), 'utf-8')).toBe(salt);
  });

  test('a given salt is used instead of the file, and another salt gives other hashes', async () => {
    const store = await open({ salt: 'first-secret-salt' });
    const a = await store.capture(sampleExchange(1, { userId: 'u1' }));
    await expect(stat(join(dir, '.salt'))).rejects.toThrow(/ENOENT/);
    const other = await reopen(store, { salt: 'second-secret-salt' });
    const b = await other.capture(sampleExchange(2, { userId: 'u1' }));
    expect(b.user).not.toBe(a.user);
  });

  test('records handed out cannot be changed behind the store', async () => {
    const store = await open();
    const input = sampleExchange(1);
    const captured = await store.capture(input);
    input.facts!.periods[0].temperature = 99;
    expect(captured.facts!.periods[0].temperature).not.toBe(99);
    expect(() => {
      (captured as { answer: string }).answer = 'changed';
    }).toThrow(TypeError);
  });
});

describe('chunk files', () => {
  test('records roll over into numbered chunks of bounded size, and read back oldest first', async () => {
    const store = await open({ chunkSize: 3 });
    const ids: string[] = [];
    for (let n = 0; n < 7; n += 1) ids.push((await store.capture(sampleExchange(n))).id);
    expect(ids).toEqual([
      '000001-0000',
      '000001-0001',
      '000001-0002',
      '000002-0000',
      '000002-0001',
      '000002-0002',
      '000003-0000',
    ]);
    expect(await chunkFiles()).toEqual(['000001.json', '000002.json', '000003.json']);
    const sizes = await Promise.all(
      [1, 2, 3].map(async (n) => JSON.parse(await readFile(chunkFile(n), 'utf-8')).exchanges.length),
    );
    expect(sizes).toEqual([3, 3, 1]);

    const reopened = await reopen(store, { chunkSize: 3 });
    expect((await collect(reopened.exchanges())).map((e) => e.question)).toEqual(
      [0, 1, 2, 3, 4, 5, 6].map((n) => sampleExchange(n).question),
    );
    expect((await reopened.capture(sampleExchange(7))).id).toBe('000003-0001');
  });

  test('a capture rewrites only the open chunk; moderating an old record rewrites only its chunk', async () => {
    const store = await open({ chunkSize: 5 });
    const captured: Exchange[] = [];
    for (let n = 0; n < 12; n += 1) captured.push(await store.capture(sampleExchange(n)));
    const snapshot = async () =>
      Promise.all(
        [1, 2, 3].map(async (n) => ({
          text: await readFile(chunkFile(n), 'utf-8'),
          mtime: (await stat(chunkFile(n))).mtimeMs,
        })),
      );

    const before = await snapshot();
    await new Promise((resolve) => setTimeout(resolve, 20));
    await store.capture(sampleExchange(12));
    const afterCapture = await snapshot();
    expect(afterCapture[0]).toEqual(before[0]);
    expect(afterCapture[1]).toEqual(before[1]);
    expect(afterCapture[2].text).not.toBe(before[2].text);

    await new Promise((resolve) => setTimeout(resolve, 20));
    const moderated = await store.moderate(captured[1].id, {
      status: 'rejected',
      platform: 'discord',
      moderatorId: 'mod',
    });
    const afterModeration = await snapshot();
    expect(afterModeration[1]).toEqual(afterCapture[1]);
    expect(afterModeration[2]).toEqual(afterCapture[2]);
    expect(afterModeration[0].mtime).toBeGreaterThan(afterCapture[0].mtime);
    const chunkOne = JSON.parse(afterModeration[0].text).exchanges as Exchange[];
    expect(chunkOne[1]).toEqual(moderated);
    expect(chunkOne.filter((e) => e.moderation.status !== 'pending')).toHaveLength(1);
    expect(chunkOne.map((e) => e.id)).toEqual(captured.slice(0, 5).map((e) => e.id));
  });

  test('200 parallel captures are all stored, with distinct ids', async () => {
    const store = await open({ chunkSize: 64 });
    const captured = await Promise.all(Array.from({ length: 200 }, (_, n) => store.capture(sampleExchange(n))));
    const ids = captured.map((e) => e.id);
    expect(new Set(ids).size).toBe(200);
    expect(await chunkFiles()).toEqual(['000001.json', '000002.json', '000003.json', '000004.json']);

    const reopened = await reopen(store);
    const stored = await collect(reopened.exchanges());
    expect(stored.map((e) => e.id).sort()).toEqual([...ids].sort());
    for (const exchange of captured) expect(await reopened.get(exchange.id)).toEqual(exchange);
  });

  test('a failed write rejects its captures and stores none of them; later captures go on', async () => {
    const store = await open();
    const kept = await store.capture(sampleExchange(0));
    // A folder where the write stages its file makes the next write fail.
    const staging = join(dir, 'exchanges', '.000001.json.tmp');
    await mkdir(staging);
    await expect(Promise.all([store.capture(sampleExchange(1)), store.capture(sampleExchange(2))])).rejects.toThrow(
      /EISDIR/,
    );
    await rm(staging, { recursive: true });

    const next = await store.capture(sampleExchange(3));
    expect(next.id).toBe('000001-0001');
    const reopened = await reopen(store);
    expect((await collect(reopened.exchanges())).map((e) => e.question)).toEqual([kept.question, next.question]);
  });

  test('leftover temp files are removed on open and never read', async () => {
    const store = await open();
    const captured = await store.capture(sampleExchange(0));
    await store.close();
    await writeFile(join(dir, 'exchanges', '.000001.json.tmp'), '{"exchanges": [ half a wri');
    const reopened = await open();
    expect(await readdir(join(dir, 'exchanges'))).toEqual(['000001.json']);
    expect(await collect(reopened.exchanges())).toEqual([captured]);
  });

  test('a corrupt chunk is reported with its file name, never skipped', async () => {
    const store = await open({ chunkSize: 2 });
    for (let n = 0; n < 5; n += 1) await store.capture(sampleExchange(n));
    await store.close();
    await writeFile(chunkFile(2), '{"exchanges": [\n{"id": "000002-0000", "ques');

    const reader = await open({ readOnly: true });
    await expect(collect(reader.exchanges())).rejects.toThrow(CorruptFileError);
    await expect(collect(reader.exchanges())).rejects.toThrow(chunkFile(2));
    await expect(reader.countByStatus()).rejects.toThrow(chunkFile(2));
    const writer = await open({ chunkSize: 2 });
    await expect(
      writer.moderate('000002-0000', { status: 'approved', platform: 'discord', moderatorId: 'm' }),
    ).rejects.toThrow(chunkFile(2));
  });

  test('a corrupt open chunk stops the open with its file name and leaves the lock free', async () => {
    await (await open()).capture(sampleExchange(0));
    await opened.pop()!.close();
    await writeFile(chunkFile(1), '{"exchanges": [{"id": "000001-0007"}]}');
    await expect(openStore({ dir })).rejects.toThrow(
      new RegExp(`${chunkFile(1)} is corrupt \\(record 0 should have id 000001-0000\\)`),
    );
    await expect(stat(join(dir, 'store.lock'))).rejects.toThrow(/ENOENT/);
  });
});

describe('moderation', () => {
  test('approve, reject and correct set the status with a hashed moderator and the time', async () => {
    const store = await open();
    const [a, b, c] = [
      await store.capture(sampleExchange(0)),
      await store.capture(sampleExchange(1)),
      await store.capture(sampleExchange(2)),
    ];
    const approved = await store.moderate(a.id, { status: 'approved', platform: 'discord', moderatorId: 'mod-1' });
    expect(approved.moderation).toEqual({
      status: 'approved',
      by: expect.stringMatching(/^discord:[0-9a-f]{16}$/),
      at: expect.any(String),
      correction: null,
    });
    expect(new Date(approved.moderation.at!).toISOString()).toBe(approved.moderation.at);
    expect({ ...approved, moderation: a.moderation }).toEqual(a);
    await store.moderate(b.id, { status: 'rejected', platform: 'discord', moderatorId: 'mod-1' });
    const corrected = await store.moderate(c.id, {
      status: 'corrected',
      platform: 'slack',
      moderatorId: 'mod-2',
      correction: 'Rain all day, 8°C.',
    });
    expect(corrected.moderation.correction).toBe('Rain all day, 8°C.');
    expect(corrected.moderation.by).toMatch(/^slack:/);

    const reopened = await reopen(store);
    expect(await reopened.countByStatus()).toEqual({ pending: 0, approved: 1, rejected: 1, corrected: 1 });
    expect(await reopened.get(c.id)).toEqual(corrected);
  });

  test('invalid changes and unknown ids fail with a clear error', async () => {
    const store = await open();
    const { id } = await store.capture(sampleExchange(0));
    const by = { platform: 'discord', moderatorId: 'mod' };
    await expect(store.moderate(id, { status: 'corrected', ...by })).rejects.toThrow(
      "status 'corrected' needs the corrected answer in `correction`",
    );
    await expect(store.moderate(id, { status: 'corrected', ...by, correction: '  ' })).rejects.toThrow(
      /needs the corrected answer/,
    );
    await expect(store.moderate(id, { status: 'approved', ...by, correction: 'text' })).rejects.toThrow(
      "a correction goes with status 'corrected', not 'approved'",
    );
    await expect(store.moderate(id, { status: 'pending' as 'approved', ...by })).rejects.toThrow(/not "pending"/);
    await expect(store.moderate(id, { status: 'approved', platform: 'discord', moderatorId: '' })).rejects.toThrow(
      /moderatorId/,
    );
    for (const unknown of ['000001-0001', '000002-0000', 'nonsense']) {
      await expect(store.moderate(unknown, { status: 'approved', ...by })).rejects.toThrow(UnknownExchangeError);
      await expect(store.moderate(unknown, { status: 'approved', ...by })).rejects.toThrow(
        `no exchange with id "${unknown}"`,
      );
      expect(await store.get(unknown)).toBeUndefined();
    }
    expect((await store.get(id))?.moderation.status).toBe('pending');
  });

  test('exchanges filter by status and counts cover every chunk, in memory or not', async () => {
    const store = await open({ chunkSize: 4 });
    const captured: Exchange[] = [];
    for (let n = 0; n < 30; n += 1) captured.push(await store.capture(sampleExchange(n)));
    for (const exchange of captured.filter((_, i) => i % 3 === 0)) {
      await store.moderate(exchange.id, { status: 'approved', platform: 'discord', moderatorId: 'mod' });
    }
    const expected = { pending: 20, approved: 10, rejected: 0, corrected: 0 };
    expect(await store.countByStatus()).toEqual(expected);
    const approved = await collect(store.exchanges({ status: ['approved'] }));
    expect(approved.map((e) => e.id)).toEqual(captured.filter((_, i) => i % 3 === 0).map((e) => e.id));
    expect(await collect(store.exchanges({ status: ['rejected', 'corrected'] }))).toEqual([]);

    await store.moderate(captured[1].id, { status: 'rejected', platform: 'discord', moderatorId: 'mod' });
    expect(await store.countByStatus()).toEqual({ ...expected, pending: 19, rejected: 1 });
    expect(await (await reopen(store)).countByStatus()).toEqual({ ...expected, pending: 19, rejected: 1 });
  });
});

describe('preferences', () => {
  test('patches merge, undefined removes a field, scopes are separate, and all of it persists', async () => {
    const store = await open();
    expect(await store.getPreferences('user', 'discord', 'u1')).toEqual({});
    expect(await store.setPreferences('user', 'discord', 'u1', { units: 'imperial' })).toEqual({ units: 'imperial' });
    expect(await store.setPreferences('user', 'discord', 'u1', { location: 'Paris, TX' })).toEqual({
      units: 'imperial',
      location: 'Paris, TX',
    });
    await store.setPreferences('channel', 'discord', 'u1', { units: 'metric' });
    expect(await store.setPreferences('user', 'discord', 'u1', { units: undefined })).toEqual({
      location: 'Paris, TX',
    });
    expect(await store.getPreferences('user', 'slack', 'u1')).toEqual({});

    const reopened = await reopen(store);
    expect(await reopened.getPreferences('user', 'discord', 'u1')).toEqual({ location: 'Paris, TX' });
    expect(await reopened.getPreferences('channel', 'discord', 'u1')).toEqual({ units: 'metric' });
    await reopened.setPreferences('channel', 'discord', 'u1', { units: undefined });
    const file = JSON.parse(await readFile(join(dir, 'preferences.json'), 'utf-8'));
    expect(file.channel).toEqual({});
    expect(Object.keys(file.user)).toEqual([expect.stringMatching(/^discord:[0-9a-f]{16}$/)]);
  });

  test('invalid preferences are refused', async () => {
    const store = await open();
    await expect(store.setPreferences('user', 'discord', 'u1', { units: 'kelvin' as 'metric' })).rejects.toThrow(
      'invalid units preference: "kelvin"',
    );
    await expect(store.setPreferences('user', 'discord', 'u1', { colour: 'red' } as never)).rejects.toThrow(
      'unknown preference "colour"',
    );
    await expect(store.setPreferences('team' as 'user', 'discord', 'u1', { units: 'metric' })).rejects.toThrow(/scope/);
    expect(await store.getPreferences('user', 'discord', 'u1')).toEqual({});
  });
});

describe('one writer per folder', () => {
  test('a second writer is refused while the first holds the lock, and admitted after close', async () => {
    const first = await open();
    expect((await readFile(join(dir, 'store.lock'), 'utf-8')).trim()).toBe(String(process.pid));
    await expect(openStore({ dir })).rejects.toThrow(StoreLockedError);
    await expect(openStore({ dir })).rejects.toThrow('This WeatherBot already has its data folder open.');
    await first.close();
    await expect(stat(join(dir, 'store.lock'))).rejects.toThrow(/ENOENT/);
    await open();
  });

  test('a lock held by another live process is refused with its pid', async () => {
    const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 20000)']);
    try {
      await writeFile(join(dir, 'store.lock'), `${holder.pid}\n`);
      const refusal = await openStore({ dir }).then(
        () => null,
        (error: unknown) => error as StoreLockedError,
      );
      expect(refusal).toBeInstanceOf(StoreLockedError);
      expect(refusal!.message).toMatch(new RegExp(`^Another WeatherBot \\(process ${holder.pid}\\) is already using`));
      expect(refusal!.file).toBe(join(dir, 'store.lock'));
      expect((await readFile(join(dir, 'store.lock'), 'utf-8')).trim()).toBe(String(holder.pid));
    } finally {
      holder.kill('SIGKILL');
    }
  });

  test('a stale lock (its process is gone) is taken over', async () => {
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
      encoding: 'utf-8',
    });
    await writeFile(join(dir, 'store.lock'), `${gone.stdout}\n`);
    const store = await open();
    expect((await readFile(join(dir, 'store.lock'), 'utf-8')).trim()).toBe(String(process.pid));
    await store.capture(sampleExchange(0));
  });

  test('a reader takes no lock, sees what the writer stores, and cannot write', async () => {
    const writer = await open({ chunkSize: 2 });
    await writer.capture(sampleExchange(0));
    const reader = await open({ readOnly: true });
    const later = await writer.capture(sampleExchange(1));
    const last = await writer.capture(sampleExchange(2));
    await writer.setPreferences('user', 'discord', 'u1', { units: 'metric' });

    expect(await reader.get(later.id)).toEqual(later);
    expect((await collect(reader.exchanges())).map((e) => e.id)).toEqual(['000001-0000', '000001-0001', last.id]);
    expect(await reader.countByStatus()).toEqual({ pending: 3, approved: 0, rejected: 0, corrected: 0 });
    expect(await reader.getPreferences('user', 'discord', 'u1')).toEqual({ units: 'metric' });
    await expect(reader.capture(sampleExchange(3))).rejects.toThrow(/opened read-only/);
    await expect(
      reader.moderate(later.id, { status: 'approved', platform: 'discord', moderatorId: 'm' }),
    ).rejects.toThrow(/read-only/);
    await expect(reader.setPreferences('user', 'discord', 'u1', { units: 'imperial' })).rejects.toThrow(/read-only/);
    await reader.close();
    expect((await readFile(join(dir, 'store.lock'), 'utf-8')).trim()).toBe(String(process.pid));
  });

  test('a reader of a folder that does not exist sees an empty store and creates nothing', async () => {
    const missing = join(dir, 'not-yet');
    const reader = await openStore({ dir: missing, readOnly: true });
    expect(await reader.countByStatus()).toEqual({ pending: 0, approved: 0, rejected: 0, corrected: 0 });
    expect(await collect(reader.exchanges())).toEqual([]);
    expect(await reader.getPreferences('user', 'discord', 'u1')).toEqual({});
    await reader.close();
    await expect(stat(missing)).rejects.toThrow(/ENOENT/);
  });

  test('close waits for the writes in flight, then refuses new work', async () => {
    const store = await openStore({ dir });
    const inFlight = Array.from({ length: 20 }, (_, n) => store.capture(sampleExchange(n)));
    await store.close();
    const ids = (await Promise.all(inFlight)).map((e) => e.id);
    await expect(store.capture(sampleExchange(99))).rejects.toThrow('the store is closed');
    const reopened = await open();
    expect((await collect(reopened.exchanges())).map((e) => e.id)).toEqual(ids);
  });
});
