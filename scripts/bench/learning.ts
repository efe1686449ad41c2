/**
 * How much the bot learns from moderators, measured on the drift set (test/fixtures/learning/drift.jsonl: teach/test
 * pairs that share a phenomenon, not a message) with the seed's held-out split as the everyday control:
 *
 *   read the test half and the control (before) -> a moderator teaches the teach half through the chat's correction
 *   path (each message asked, then corrected to its reading) -> read both again (after teaching).
 *
 * Readings are the chat's own (Assistant.read: rules, lessons, and the active model when there is one), on a temp
 * data folder and a local Open-Meteo. Then a retrain on the offline tiny base (made once into --base and kept there:
 * about 13 minutes on 2 cores the first time) with what was taught, its gate deciding as for any retrain, and the
 * chat reads both again, as users get it after the retrain (`--no-retrain` leaves it out: `drift_after_retrain=na`).
 * Scores: parse accuracy per field (training/jobs/metrics.ts), and the drift figure is the mean over fields.
 *
 *   npm run --silent bench -- learning [--drift test/fixtures/learning/drift.jsonl] [--show-misses] [--no-retrain]
 *     [--base <folder>]
 */
import { readFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createApp, type App } from '../../bot/app';
import type { IncomingMessage } from '../../bot/chat/message';
import { loadConfig } from '../../bot/config';
import type { Understanding } from '../../bot/core/domain';
import { createLogger } from '../../bot/core/log';
import { trainingServices } from '../../bot/training';
import { correctionOptions } from '../../bot/commands/moderation';
import { understandByRules } from '../../bot/understanding/rules';
import { loadSeed } from '../../training/dataset';
import { SHIPPED_SEED_DIR } from '../../training/dataset/seed';
import { ensureTinyBase, retrain } from '../../training/jobs';
import { parseAccuracy, QUERY_FIELDS, type QueryField } from '../../training/jobs/metrics';
import { startOpenMeteoEmulator } from '../../test/emulators/openmeteo';

interface DriftLine {
  phenomenon: string;
  kind: string;
  split: 'teach' | 'test';
  message: string;
  reading: Understanding;
}

interface Labelled {
  message: string;
  reading: Understanding;
}

type Scores = Record<QueryField, number>;

const mean = (scores: Scores) => QUERY_FIELDS.reduce((sum, field) => sum + scores[field], 0) / QUERY_FIELDS.length;
const fixed = (n: number) => n.toFixed(3);
const row = (label: string, scores: Scores) =>
  `${label.padEnd(24)} ${QUERY_FIELDS.map((field) => fixed(scores[field]).padStart(8)).join('')}  mean ${fixed(mean(scores))}`;

async function score(app: App, set: readonly Labelled[]): Promise<Scores> {
  const pairs = [];
  for (const { message, reading } of set)
    pairs.push({ expected: reading, predicted: await app.assistant.read(message) });
  return parseAccuracy(pairs);
}

const asker = (text: string): IncomingMessage => ({
  platform: 'bench',
  channelId: 'learning',
  author: { id: 'asker', roles: [] },
  text,
});
const moderator: IncomingMessage = {
  platform: 'bench',
  channelId: 'learning',
  author: { id: 'moderator', roles: ['moderator'] },
  text: '/correct',
};

/** Teaches each line through the chat's correction path; returns how many were saved. */
async function teach(app: App, lines: readonly Labelled[]): Promise<number> {
  let saved = 0;
  for (const { message, reading } of lines) {
    const asked = await app.assistant.handle(asker(message));
    if (!asked.exchangeId) continue;
    const reply = await app.assistant.command(moderator, {
      name: 'correct',
      options: { exchange: asked.exchangeId, ...correctionOptions(reading) },
    });
    if (reply.corrected !== undefined) saved += 1;
    else process.stdout.write(`  not taught: ${JSON.stringify(message)}: ${reply.text}\n`);
  }
  return saved;
}

export async function run(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      drift: { type: 'string', default: 'test/fixtures/learning/drift.jsonl' },
      'show-misses': { type: 'boolean', default: false },
      'no-retrain': { type: 'boolean', default: false },
      base: { type: 'string', default: join(tmpdir(), 'weatherbot-base-tiny') },
    },
  });
  const drift = (await readFile(values.drift!, 'utf8'))
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => JSON.parse(line) as DriftLine);
  const control: Labelled[] = (await loadSeed('data/seed', 'test')).map((example) => ({
    message: example.message,
    reading: example.query,
  }));
  const teachHalf = drift.filter((line) => line.split === 'teach');
  const testHalf = drift.filter((line) => line.split === 'test');

  const emulator = await startOpenMeteoEmulator();
  const dataDir = await mkdtemp(join(tmpdir(), 'bench-learning-'));
  const config = loadConfig({
    DATA_DIR: dataDir,
    OPEN_METEO_GEOCODING_URL: emulator.geocodingUrl,
    OPEN_METEO_FORECAST_URL: emulator.forecastUrl,
    RATE_LIMIT_PER_MINUTE: '10000',
    LOG_LEVEL: 'error',
  });
  const start = () =>
    createApp(
      config,
      createLogger('error', config.secrets, () => undefined),
    );
  let app = await start();
  try {
    process.stdout.write(
      `drift set: ${teachHalf.length} teach, ${testHalf.length} test messages; control: ${control.length} held-out seed messages\n` +
        `${''.padEnd(24)} ${QUERY_FIELDS.map((field) => field.padStart(8)).join('')}\n`,
    );
    const before = { drift: await score(app, testHalf), control: await score(app, control) };
    process.stdout.write(`${row('drift before', before.drift)}\n${row('control before', before.control)}\n`);
    const started = Date.now();
    const saved = await teach(app, teachHalf);
    process.stdout.write(`taught ${saved}/${teachHalf.length} corrections in ${Date.now() - started} ms\n`);
    const after = { drift: await score(app, testHalf), control: await score(app, control) };
    process.stdout.write(`${row('drift after teaching', after.drift)}\n${row('control after', after.control)}\n`);
    for (const kind of [...new Set(testHalf.map((line) => line.kind))]) {
      process.stdout.write(
        `${row(
          `  ${kind}`,
          await score(
            app,
            testHalf.filter((line) => line.kind === kind),
          ),
        )}\n`,
      );
    }
    if (values['show-misses']) await showMisses(app, testHalf, control);
    const drop = (scores: Scores) => Math.max(...QUERY_FIELDS.map((field) => before.control[field] - scores[field]));
    process.stdout.write(`largest control drop on a field: ${fixed(drop(after.control))}\n`);
    let retrained: { drift: Scores; control: Scores } | null = null;
    if (!values['no-retrain']) {
      await app.close();
      await afterRetrain(dataDir, values.base!);
      app = await start();
      retrained = { drift: await score(app, testHalf), control: await score(app, control) };
      process.stdout.write(
        `${row('drift after retrain', retrained.drift)}\n${row('control after', retrained.control)}\n`,
      );
      process.stdout.write(`largest control drop on a field after the retrain: ${fixed(drop(retrained.control))}\n`);
    }
    process.stdout.write(
      `drift_before=${fixed(mean(before.drift))} drift_after_teach=${fixed(mean(after.drift))} ` +
        `drift_after_retrain=${retrained ? fixed(mean(retrained.drift)) : 'na'} ` +
        `control_before=${fixed(mean(before.control))} control_after=${fixed(mean((retrained ?? after).control))}\n`,
    );
  } finally {
    await app.close();
    await emulator.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

/** A retrain on the tiny base with what was taught, as an admin's /retrain runs it; its gate decides what users get. */
async function afterRetrain(dataDir: string, baseDir: string): Promise<void> {
  let started = Date.now();
  const base = await ensureTinyBase(baseDir, { seedDir: SHIPPED_SEED_DIR });
  process.stdout.write(`tiny base ready in ${base} (${Date.now() - started} ms)\n`);
  started = Date.now();
  const summary = await retrain({ dataDir, base, seedDir: SHIPPED_SEED_DIR }, trainingServices);
  process.stdout.write(
    `retrained in ${Date.now() - started} ms: ${summary.versionId} ${summary.promoted ? 'promoted' : 'not promoted'} — ` +
      `${summary.reason}\n`,
  );
}

/** Every drift test message read wrong after teaching, and every control message the lessons made worse. */
async function showMisses(app: App, testHalf: readonly Labelled[], control: readonly Labelled[]) {
  for (const { message, reading } of [...testHalf, ...control]) {
    const read = await app.assistant.read(message);
    const isControl = control.some((line) => line.message === message);
    if (isControl && JSON.stringify(understandByRules(message)) !== JSON.stringify(reading)) continue;
    if (JSON.stringify(read) !== JSON.stringify(reading))
      process.stdout.write(
        `miss ${JSON.stringify(message)}: read ${JSON.stringify(read)}, meant ${JSON.stringify(reading)}\n`,
      );
  }
}
