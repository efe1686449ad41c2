/** @jest-environment ./test/env/typed-arrays.js */
/** A tiny retrain with a reading a moderator corrected: the taught slice is scored apart and shown in the report. */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jest } from '@jest/globals';
import { trainingServices } from '../../bot/training';
import { openStore } from '../../bot/store/lowdb-store';
import { REPORT_FILES, type RetrainReport } from '../../training/jobs/report';
import { retrain } from '../../training/jobs/retrain';
import { writeSeedSubset } from '../helpers/jobs-fixtures';
import { sampleExchange } from '../helpers/store-fixtures';

jest.setTimeout(120_000);

let dataDir: string;
afterAll(() => rm(dataDir, { recursive: true, force: true }));

test('the taught slice is scored apart, says where, and shows in the report', async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'weatherbot-taught-'));
  const seedDir = await writeSeedSubset(join(dataDir, 'seed-subset'));
  const store = await openStore({ dir: join(dataDir, 'store'), fsync: false });
  const captured = await store.capture(sampleExchange(1));
  const reading = { ...captured.query!, when: 'today' as const } as typeof captured.query & object;
  await store.moderate(captured.id, {
    status: 'corrected',
    moderatorId: '555',
    platform: 'discord',
    correction: captured.answer!,
    reading,
    facts: captured.facts,
  });
  await store.close();

  const summary = await retrain(
    { dataDir, base: 'tiny', seedDir, threads: 1, hyperparameters: { epochs: 1 }, generationSamples: 4 },
    trainingServices,
  );
  expect(summary.taught).toEqual({ examples: 1, scoredOn: expect.stringMatching(/^(validation|training)$/) });
  expect(summary.metrics.taughtSamples).toBe(1);
  expect(summary.metrics.taughtGuardedParseMean).toEqual(expect.any(Number));
  expect(summary.metrics.taughtRulesParseMean).toEqual(expect.any(Number));
  const report = JSON.parse(
    await readFile(join(summary.reportPath, '..', REPORT_FILES.json), 'utf-8'),
  ) as RetrainReport;
  expect(report.dataset.prepared.bySlice.taught).toBe(1);
  expect(report.slices.taught).toEqual(summary.taught);
  const markdown = await readFile(summary.reportPath, 'utf-8');
  expect(markdown).toContain('## Slices');
  expect(markdown).toMatch(/^\| taught \| 1 \| .+ \|$/m);
  expect(markdown).toMatch(/^\| everyday \| \d+ \| validation examples \|/m);
});
