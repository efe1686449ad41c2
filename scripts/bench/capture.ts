/**
 * Capture latency of the dataset store with a long history: fills a temp store with `--records`
 * exchanges (parallel captures, which the store writes in batches), reopens it as the bot would
 * after a restart, and times `--captures` sequential captures, with and without fsync. Peers:
 * the disk alone (the same fsynced atomic writes, without the store), and lowdb used naively:
 * one JSONFile holding every exchange, rewritten on each capture.
 */
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { JSONFile } from 'lowdb/node';
import { Low } from 'lowdb';
import type { Exchange } from '../../bot/core/domain';
import { DurableFile } from '../../bot/core/durable-file';
import { DEFAULT_CHUNK_SIZE, openStore } from '../../bot/store/lowdb-store';
import { sampleExchange } from '../../test/helpers/store-fixtures';

interface Timing {
  name: string;
  /** Exchanges stored when the timing ran; null for the disk floor. */
  records: number | null;
  samples: number[];
}

export async function run(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      records: { type: 'string', default: '100000' },
      captures: { type: 'string', default: '2000' },
      'chunk-size': { type: 'string', default: String(DEFAULT_CHUNK_SIZE) },
      'naive-records': { type: 'string', default: '10000' },
      'naive-captures': { type: 'string', default: '100' },
    },
  });
  const [records, captures, chunkSize, naiveRecords, naiveCaptures] = [
    values.records,
    values.captures,
    values['chunk-size'],
    values['naive-records'],
    values['naive-captures'],
  ].map(Number);
  if (![records, captures, chunkSize, naiveRecords, naiveCaptures].every((n) => Number.isInteger(n) && n > 0)) {
    throw new Error('capture: every option takes a positive integer');
  }
  const dir = await mkdtemp(join(tmpdir(), 'weatherbot-bench-capture-'));
  try {
    const fill = await fillStore(join(dir, 'store'), records, chunkSize);
    console.log(
      `filled ${records} exchanges in ${fill.seconds.toFixed(1)} s (${Math.round(records / fill.seconds)}/s, parallel capture): ` +
        `${fill.files} chunk files of ${chunkSize}, ${(fill.bytes / 1e6).toFixed(0)} MB, ${(fill.bytes / records).toFixed(0)} bytes/record`,
    );
    const timings = [
      await timeStore(join(dir, 'store'), records, captures, chunkSize, true),
      await timeStore(join(dir, 'store'), records + captures, captures, chunkSize, false),
      await timeDiskFloor(join(dir, 'floor.json'), captures, chunkSize, fill.bytes / records),
      await timeNaive(join(dir, 'naive.json'), naiveRecords, naiveCaptures),
    ];
    printTable(timings);
    const scan = await timeScan(join(dir, 'store'));
    console.log(`a reader (readOnly) streams all ${scan.records} exchanges in ${scan.seconds.toFixed(2)} s`);
    const [store, , , naive] = timings;
    console.log(
      `naive single file at ${naive.records} records vs the store at ${store.records}: p99 ${(percentile(naive.samples, 99) / percentile(store.samples, 99)).toFixed(0)}x slower`,
    );
    console.log(
      `capture_p50_ms=${round(percentile(store.samples, 50))} capture_p99_ms=${round(percentile(store.samples, 99))} records=${records}`,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function fillStore(dir: string, records: number, chunkSize: number) {
  const started = performance.now();
  const store = await openStore({ dir, chunkSize });
  for (let n = 0; n < records; n += chunkSize) {
    const batch = Array.from({ length: Math.min(chunkSize, records - n) }, (_, i) =>
      store.capture(sampleExchange(n + i)),
    );
    await Promise.all(batch);
  }
  await store.close();
  const seconds = (performance.now() - started) / 1000;
  const files = (await readdir(join(dir, 'exchanges'))).filter((name) => name.endsWith('.json'));
  const sizes = await Promise.all(files.map(async (name) => (await stat(join(dir, 'exchanges', name))).size));
  return { seconds, files: files.length, bytes: sizes.reduce((a, b) => a + b, 0) };
}

async function timeStore(
  dir: string,
  stored: number,
  captures: number,
  chunkSize: number,
  fsync: boolean,
): Promise<Timing> {
  const store = await openStore({ dir, chunkSize, fsync });
  const samples: number[] = [];
  for (let n = 0; n < captures; n += 1) {
    const started = performance.now();
    await store.capture(sampleExchange(stored + n));
    samples.push(performance.now() - started);
  }
  await store.close();
  return { name: `lowdb-store, chunks of ${chunkSize}${fsync ? ', fsync' : ''}`, records: stored, samples };
}

async function timeScan(dir: string) {
  const started = performance.now();
  const reader = await openStore({ dir, readOnly: true });
  let records = 0;
  for await (const exchange of reader.exchanges()) if (exchange.id) records += 1;
  await reader.close();
  return { records, seconds: (performance.now() - started) / 1000 };
}

/** What the disk alone costs: the same atomic, fsynced writes of bytes as large as the open chunk's. */
async function timeDiskFloor(
  file: string,
  captures: number,
  chunkSize: number,
  bytesPerRecord: number,
): Promise<Timing> {
  const adapter = new DurableFile<Buffer>(file, {
    parse: (text) => Buffer.from(text),
    serialize: (bytes) => bytes,
    fsync: true,
  });
  const samples: number[] = [];
  for (let n = 0; n < captures; n += 1) {
    const bytes = Buffer.alloc(Math.round(bytesPerRecord * ((n % chunkSize) + 1)), 'x');
    const started = performance.now();
    await adapter.write(bytes);
    samples.push(performance.now() - started);
  }
  return { name: 'disk floor: same bytes, fsync', records: null, samples };
}

/** lowdb's README way: one JSONFile (steno: temp file + rename, no fsync) with the whole history. */
async function timeNaive(file: string, stored: number, captures: number): Promise<Timing> {
  const db = new Low<{ exchanges: Exchange[] }>(new JSONFile(file), { exchanges: [] });
  db.data.exchanges = Array.from({ length: stored }, (_, n) => naiveRecord(n));
  await db.write();
  const samples: number[] = [];
  for (let n = 0; n < captures; n += 1) {
    const started = performance.now();
    await db.update(({ exchanges }) => exchanges.push(naiveRecord(stored + n)));
    samples.push(performance.now() - started);
  }
  return { name: 'naive lowdb, one JSONFile', records: stored, samples };
}

function naiveRecord(n: number): Exchange {
  const { channelId, userId, ...rest } = sampleExchange(n);
  return {
    id: String(n),
    ...rest,
    channel: `discord:${channelId.slice(-16)}`,
    user: `discord:${userId.slice(-16)}`,
    createdAt: new Date().toISOString(),
    moderation: { status: 'pending', by: null, at: null, correction: null },
  };
}

function printTable(timings: Timing[]): void {
  const header = ['store', 'records', 'captures', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms'];
  const rows = timings.map(({ name, records, samples }) => [
    name,
    records === null ? '-' : String(records),
    String(samples.length),
    ...[50, 90, 99, 100].map((p) => percentile(samples, p).toFixed(2)),
  ]);
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i].length)));
  for (const row of [header, ...rows]) {
    console.log(row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  '));
  }
}

/** Nearest-rank percentile. */
function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}
