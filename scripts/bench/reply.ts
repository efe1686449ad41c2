/**
 * Reply latency through the real Assistant (the app's wiring: lowdb store, weather service, a
 * local Open-Meteo emulator, the model registry): the template path (MODEL=off) next to the
 * model path on SmolLM2-135M shapes with random weights, plus the model's load time and
 * generation throughput. Random weights write junk, so the guards fall back to the rules and the
 * templates; the generation is paid all the same, and each step writes --tokens tokens (counted
 * from the assistant's log: a step that stops early is reported). Weather lookups are warmed
 * into the cache first, so both paths see the same lookups.
 *
 *   npm run --silent bench -- reply [--requests 12] [--tokens 32] [--warmup 1]
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createApp, type App } from '../../bot/app';
import { loadConfig } from '../../bot/config';
import type { Logger } from '../../bot/core/log';
import { queryPrompt } from '../../bot/core/protocol';
import { exportModel } from '../../training/export/model-folder';
import { toHfConfig } from '../../training/model/hf-config';
import { SINGLE_FILE, writeSafetensors } from '../../training/model/safetensors';
import { seedCorpus } from '../../training/jobs/pretrain';
import { SHIPPED_SEED_DIR } from '../../training/dataset/seed';
import { randomWeights } from '../../training/model/init';
import { trainByteLevelBpe, writeTokenizerFiles } from '../../training/model/tokenizer';
import { openRegistry, registryPath } from '../../training/registry';
import { startOpenMeteoEmulator } from '../../test/emulators/openmeteo';
import { smollmConfig } from './train';

const QUESTIONS = [
  'weather in Paris tomorrow?',
  'will it rain in Tokyo this weekend',
  'is it windy in London',
  'how hot is it in Sydney today',
  'snow in Reykjavík tomorrow?',
  'humidity in São Paulo',
];

/**
 * A transformers.js model folder of SmolLM2-135M's shapes (its config, vocab 49152 included) with
 * random weights. The tokenizer is learned from the seed (4096 tokens): on this text it splits
 * about as finely as a large general vocabulary, so prompts have a realistic length.
 */
async function makeSmolLm2Shaped(dir: string): Promise<void> {
  const config = smollmConfig('smollm2-135m');
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'config.json'), JSON.stringify(toHfConfig(config), null, 2));
  await writeFile(
    join(dir, 'generation_config.json'),
    JSON.stringify({
      bos_token_id: config.bosTokenId,
      eos_token_id: config.eosTokenIds[0],
      pad_token_id: config.padTokenId,
    }),
  );
  await writeTokenizerFiles(
    dir,
    trainByteLevelBpe(await seedCorpus(SHIPPED_SEED_DIR), 4096),
    config.maxPositionEmbeddings,
  );
  await writeSafetensors(join(dir, SINGLE_FILE), [...randomWeights(config, 0)], { format: 'pt' });
}

interface StepLog {
  tokens?: number;
  ms?: number;
}

/** Keeps the assistant's per-step model logs; warnings and errors go to stderr. */
function benchLogger(steps: StepLog[]): Logger {
  const loud = (level: string) => (message: string, fields?: Record<string, unknown>) =>
    process.stderr.write(`${level} ${message} ${fields ? JSON.stringify(fields) : ''}\n`);
  return {
    debug: (message, fields) => {
      if (message === 'model query' || message === 'model answer') steps.push(fields as StepLog);
    },
    info: () => undefined,
    warn: loud('WARN'),
    error: loud('ERROR'),
  };
}

async function replyLatencies(app: App, requests: number, warmup: number): Promise<number[]> {
  const ask = (text: string, n: number) =>
    app.assistant.handle({ platform: 'bench', channelId: 'bench', author: { id: `user-${n}`, roles: [] }, text });
  for (let i = 0; i < warmup * QUESTIONS.length; i++) await ask(QUESTIONS[i % QUESTIONS.length], i);
  const times: number[] = [];
  for (let i = 0; i < requests; i++) {
    const started = performance.now();
    const reply = await ask(QUESTIONS[i % QUESTIONS.length], i);
    times.push(performance.now() - started);
    if (reply.kind !== 'weather')
      throw new Error(`"${QUESTIONS[i % QUESTIONS.length]}" got a ${reply.kind} reply: ${reply.text}`);
  }
  return times;
}

/** Nearest-rank percentile. */
function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;

export async function run(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      requests: { type: 'string', default: '12' },
      tokens: { type: 'string', default: '32' },
      warmup: { type: 'string', default: '1' },
    },
  });
  const [requests, tokens, warmup] = [values.requests, values.tokens, values.warmup].map(Number);
  if (
    ![requests, tokens, warmup].every((n) => Number.isInteger(n) && n >= 0) ||
    requests < 1 ||
    tokens < 8 ||
    tokens > 512
  ) {
    throw new Error('--requests must be a whole number ≥ 1, --tokens one from 8 to 512, --warmup ≥ 0');
  }

  const emulator = await startOpenMeteoEmulator();
  const root = await mkdtemp(join(tmpdir(), 'weatherbot-bench-reply-'));
  try {
    const dataDir = join(root, 'data');
    const base = join(root, 'base');
    process.stderr.write('making a SmolLM2-135M-shaped model with random weights and exporting it …\n');
    await makeSmolLm2Shaped(base);
    const exportStarted = performance.now();
    await exportModel({ modelDir: base, outDir: join(root, 'source', 'model') });
    const exportSeconds = (performance.now() - exportStarted) / 1000;
    await rm(base, { recursive: true, force: true });
    const registry = await openRegistry(registryPath(dataDir), { fsync: false });
    const version = await registry.register(
      join(root, 'source'),
      { baseModel: 'random weights, SmolLM2-135M shapes' },
      { move: true },
    );
    await registry.activate(version.id);

    const env = {
      DATA_DIR: dataDir,
      OPEN_METEO_GEOCODING_URL: emulator.geocodingUrl,
      OPEN_METEO_FORECAST_URL: emulator.forecastUrl,
      RATE_LIMIT_PER_MINUTE: '10000',
      LOG_LEVEL: 'debug',
      MODEL_MAX_NEW_TOKENS: String(tokens),
      MODEL_TIMEOUT_MS: '60000',
    };
    const steps: StepLog[] = [];
    const log = benchLogger(steps);

    const templateApp = await createApp(loadConfig({ ...env, MODEL: 'off' }), log);
    let template: number[];
    try {
      template = await replyLatencies(templateApp, requests, warmup);
    } finally {
      await templateApp.close();
    }

    const loadStarted = performance.now();
    const modelApp = await createApp(loadConfig(env), log);
    const appStartMs = performance.now() - loadStarted;
    let model: number[];
    let loadMs: number;
    let prefillMs: number;
    let decodeTokensPerSecond: number;
    try {
      const loaded = modelApp.models?.current();
      if (!loaded) throw new Error('the model did not load (see the log above)');
      loadMs = loaded.loadMs;
      // Prefill alone (one token) against the whole step, on one prompt: the per-token decode rate.
      const prompt = queryPrompt(QUESTIONS[0]);
      const one = await loaded.generator.generate(prompt, { maxNewTokens: 1, timeoutMs: 60_000 });
      const all = await loaded.generator.generate(prompt, { maxNewTokens: tokens, timeoutMs: 60_000 });
      prefillMs = one.ms;
      decodeTokensPerSecond = ((all.tokens - one.tokens) / (all.ms - one.ms)) * 1000;
      model = await replyLatencies(modelApp, requests, warmup);
    } finally {
      await modelApp.close();
    }

    const measured = steps.slice(-2 * requests).filter((step) => step.tokens !== undefined);
    const generated = measured.reduce((n, step) => n + step.tokens!, 0);
    const generationMs = measured.reduce((n, step) => n + step.ms!, 0);
    const short = measured.filter((step) => step.tokens! < tokens).length;
    const tokensPerSecond = (generated / generationMs) * 1000;

    const rows: [string, string][] = [
      [
        'model',
        `SmolLM2-135M shapes (576 hidden, 30 layers, 9/3 heads, vocab 49152), random weights, version ${version.id}`,
      ],
      ['export', `${round(exportSeconds)} s`],
      ['load (ModelGenerator.load)', `${loadMs} ms (createApp with the model: ${round(appStartMs, 0)} ms)`],
      ['requests per path', `${requests} after ${warmup * QUESTIONS.length} warm-up (weather cached)`],
      ['template path p50 / p95', `${round(percentile(template, 50))} / ${round(percentile(template, 95))} ms`],
      [
        'model path p50 / p95',
        `${round(percentile(model, 50))} / ${round(percentile(model, 95))} ms (2 steps × ${tokens} tokens, then the fallbacks)`,
      ],
      [
        'generation',
        `${generated} tokens in ${measured.length} steps, ${round(generationMs, 0)} ms: ${round(tokensPerSecond)} tokens/s (prompt prefill included; ${short} steps stopped early)`,
      ],
      [
        'model path p50 by question',
        QUESTIONS.map(
          (q, i) =>
            `${round(
              percentile(
                model.filter((_, k) => k % QUESTIONS.length === i),
                50,
              ),
              0,
            )} ms “${q}”`,
        ).join(', '),
      ],
      [
        'decode alone',
        `${round(decodeTokensPerSecond)} tokens/s; prefill of the query prompt ${round(prefillMs, 0)} ms`,
      ],
    ];
    const width = Math.max(...rows.map(([name]) => name.length));
    process.stdout.write(rows.map(([name, value]) => `${name.padEnd(width)}  ${value}`).join('\n') + '\n');
    process.stdout.write(
      `template_p50_ms=${round(percentile(template, 50))} template_p95_ms=${round(percentile(template, 95))} ` +
        `model_p50_ms=${round(percentile(model, 50))} model_p95_ms=${round(percentile(model, 95))} ` +
        `gen_tokens_per_s=${round(tokensPerSecond)} load_ms=${loadMs}\n`,
    );
  } finally {
    await emulator.close();
    await rm(root, { recursive: true, force: true });
  }
}
