/**
 * Reply latency through the real Assistant (the app's wiring: lowdb store, weather service, a
 * local Open-Meteo emulator, the model registry): the template path (MODEL=off) next to the
 * model path on SmolLM2-135M shapes with random weights, plus the model's load time and
 * generation throughput. Random weights write junk, so the guards fall back to the rules and the
 * templates; the generation is paid all the same, up to --tokens tokens a step (counted
 * from the assistant's log: a step that stops early is reported). Weather lookups are warmed
 * into the cache first, so both paths see the same lookups.
 *
 * The query step writes under the query grammar, so it may stop before --tokens. The int8 weights (q8, what the bot
 * serves) and fp32 run as peers; how often q8 picks fp32's token is measured on the trained offline tiny base (made
 * once into --base, as `bench -- learning` makes it).
 *
 * Each model path runs in a process of its own, bundled and on Node alone as `npm start` runs the bot, whose peak RSS
 * is the serving process's (serve-replies.ts). llama.cpp (node-llama-cpp) is the other peer: a q8_0 GGUF of the same
 * weights continues the same query prompts on as many threads as onnxruntime uses (all cores), each prompt reusing
 * the one before's KV cache as the bot's generator does; the served model's run of those prompts is set beside it.
 *
 *   npm run --silent bench -- reply [--shape smollm2-135m|smollm2-360m] [--requests 12] [--tokens 32] [--warmup 1]
 *     [--prompts 50] [--base <folder>]
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { AutoModelForCausalLM, AutoTokenizer, Tensor } from '@huggingface/transformers';
import { createApp } from '../../bot/app';
import { loadConfig } from '../../bot/config';
import { queryPrompt } from '../../bot/core/protocol';
import { exportGguf } from '../../training/export/gguf';
import { exportModel } from '../../training/export/model-folder';
import { toHfConfig } from '../../training/model/hf-config';
import { SINGLE_FILE, writeSafetensors } from '../../training/model/safetensors';
import { ensureTinyBase } from '../../training/jobs';
import { seedCorpus } from '../../training/jobs/pretrain';
import { loadSeed, SHIPPED_SEED_DIR } from '../../training/dataset/seed';
import { randomWeights } from '../../training/model/init';
import { trainByteLevelBpe, writeTokenizerFiles } from '../../training/model/tokenizer';
import { openRegistry, registryPath } from '../../training/registry';
import { startOpenMeteoEmulator } from '../../test/emulators/openmeteo';
import { bundle } from '../build';
import { benchLogger, QUESTIONS, replyLatencies, type ModelPath, type PathOptions } from './serve-replies';
import { SHAPES, smollmConfig, type ShapeName } from './train';

/**
 * A model folder of SmolLM2's shapes (its config, vocab 49152 included) with random weights. The tokenizer is learned
 * from the seed (4096 tokens): on this text it splits about as finely as a large general vocabulary, so prompts have a
 * realistic length.
 */
async function makeSmolLm2Shaped(dir: string, shape: ShapeName): Promise<void> {
  const config = smollmConfig(shape);
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

/** The serving side (serve-replies.ts) bundled, on Node alone as `npm start` runs the bot, in a process of its own. */
async function modelPath(env: Record<string, string>, options: PathOptions): Promise<ModelPath> {
  const [server] = await bundle(['scripts/bench/serve-replies.ts']);
  const run = await childOutput(process.execPath, [
    '--enable-source-maps',
    server,
    '--serve',
    JSON.stringify({ env, options }),
  ]);
  return JSON.parse(run) as ModelPath;
}

/** llama.cpp's greedy run of the same prompts on a GGUF file of the same weights (test/helpers/llama-cpp-greedy.ts). */
async function llamaCppPeer(file: string, prompts: number[][], tokens: number, threads: number): Promise<PeerRun[]> {
  const script = fileURLToPath(new URL('../../test/helpers/llama-cpp-greedy.ts', import.meta.url));
  const args = [...process.execArgv, script, file, JSON.stringify(prompts), String(tokens), String(threads)];
  const { runs } = JSON.parse(await childOutput(process.execPath, args)) as {
    runs: Array<PeerRun & { tokens: number[] }>;
  };
  return runs.map(({ tokens: written, ms }) => ({ tokens: written.length, ms }));
}

interface PeerRun {
  tokens: number;
  ms: number;
}

/** Each question's query prompt as the served model's tokenizer reads it, chat template applied. */
async function promptTokens(modelDir: string): Promise<number[][]> {
  const tokenizer = await AutoTokenizer.from_pretrained(modelDir, { local_files_only: true });
  return QUESTIONS.map((question) => {
    const { input_ids } = tokenizer.apply_chat_template(queryPrompt(question), {
      add_generation_prompt: true,
      return_dict: true,
    }) as { input_ids: Tensor };
    return (input_ids.tolist() as bigint[][])[0].map(Number);
  });
}

/** The last line a child process writes to stdout; its stderr passes through. */
function childOutput(command: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0)
        return reject(
          new Error(`${args.find((arg) => arg.endsWith('.js') || arg.endsWith('.ts'))} failed (exit ${code})`),
        );
      resolve(out.trim().split('\n').at(-1)!);
    });
  });
}

const perSecond = (runs: readonly PeerRun[]) =>
  (runs.reduce((n, run) => n + run.tokens, 0) / runs.reduce((n, run) => n + run.ms, 0)) * 1000;

/**
 * How often the int8 weights pick fp32's token: each held-out seed prompt (the query step's) is continued greedily by
 * the fp32 model, then both dtypes read that sequence whole and their argmax is compared at every position the fp32
 * model wrote (teacher-forced, so one early difference does not count against every later token).
 */
async function tokenAgreement(
  modelDir: string,
  prompts: number,
  tokens: number,
): Promise<{ share: number; positions: number }> {
  const tokenizer = await AutoTokenizer.from_pretrained(modelDir, { local_files_only: true });
  const [fp32, q8] = await Promise.all(
    (['fp32', 'q8'] as const).map((dtype) =>
      AutoModelForCausalLM.from_pretrained(modelDir, { local_files_only: true, dtype }),
    ),
  );
  const argmaxes = async (model: typeof fp32, ids: bigint[], from: number) => {
    const input_ids = new Tensor('int64', BigInt64Array.from(ids), [1, ids.length]);
    const attention_mask = new Tensor('int64', new BigInt64Array(ids.length).fill(1n), [1, ids.length]);
    const { logits } = (await model({ input_ids, attention_mask })) as { logits: Tensor };
    const [, length, vocab] = logits.dims;
    const data = logits.data as Float32Array;
    return Array.from({ length: length - from }, (_, k) => {
      const row = data.subarray((from + k) * vocab, (from + k + 1) * vocab);
      return row.indexOf(Math.max(...row));
    });
  };
  let same = 0;
  let positions = 0;
  try {
    for (const example of (await loadSeed(SHIPPED_SEED_DIR, 'test')).slice(0, prompts)) {
      const inputs = tokenizer.apply_chat_template(queryPrompt(example.message), {
        add_generation_prompt: true,
        return_dict: true,
      }) as { input_ids: Tensor; attention_mask: Tensor };
      const promptLength = inputs.input_ids.dims[1];
      const written = (await fp32.generate({ ...inputs, max_new_tokens: tokens, do_sample: false })) as Tensor;
      const ids = (written.tolist() as bigint[][])[0];
      const [expected, got] = await Promise.all([fp32, q8].map((model) => argmaxes(model, ids, promptLength - 1)));
      // The last logits follow the last token written; only positions that chose a written token count.
      for (let k = 0; k < ids.length - promptLength; k++) {
        positions++;
        if (expected[k] === got[k]) same++;
      }
    }
  } finally {
    await Promise.all([fp32.dispose(), q8.dispose()]);
  }
  return { share: same / positions, positions };
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
      prompts: { type: 'string', default: '50' },
      shape: { type: 'string', default: 'smollm2-135m' },
      base: { type: 'string', default: join(tmpdir(), 'weatherbot-base-tiny') },
    },
  });
  const shape = values.shape as ShapeName;
  if (!Object.hasOwn(SHAPES, shape)) throw new Error(`--shape must be one of ${Object.keys(SHAPES).join(', ')}`);
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
    process.stderr.write(`making a ${shape}-shaped model with random weights and exporting it …\n`);
    await makeSmolLm2Shaped(base, shape);
    const exportStarted = performance.now();
    await exportModel({ modelDir: base, outDir: join(root, 'source', 'model') });
    const exportSeconds = (performance.now() - exportStarted) / 1000;
    const gguf = join(root, 'model-q8_0.gguf');
    await exportGguf({ modelDir: base, outFile: gguf, dtype: 'q8_0' });
    await rm(base, { recursive: true, force: true });
    const prompts = await promptTokens(join(root, 'source', 'model'));
    const registry = await openRegistry(registryPath(dataDir), { fsync: false });
    const version = await registry.register(
      join(root, 'source'),
      { baseModel: `random weights, ${shape} shapes` },
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
    const templateApp = await createApp(loadConfig({ ...env, MODEL: 'off' }), benchLogger([]));
    let template: number[];
    try {
      template = await replyLatencies(templateApp, requests, warmup);
    } finally {
      await templateApp.close();
    }

    const served = await modelPath({ ...env, MODEL_DTYPE: 'q8' }, { requests, warmup, tokens });
    const fp32 = await modelPath({ ...env, MODEL_DTYPE: 'fp32' }, { requests, warmup, tokens });
    // Twice round, the second timed, as the served model's run of the same prompts.
    const threads = availableParallelism();
    const llamaCpp = (await llamaCppPeer(gguf, [...prompts, ...prompts], tokens, threads)).slice(prompts.length);
    const { model, loadMs, tokensPerSecond } = served;
    // Random weights make argmax a coin toss: agreement is measured on the trained offline base.
    process.stderr.write(`the offline tiny base for token agreement (${values.base}; made once, ~13 min) …\n`);
    const trained = join(root, 'trained');
    await exportModel({ modelDir: await ensureTinyBase(values.base, { seedDir: SHIPPED_SEED_DIR }), outDir: trained });
    const agreement = await tokenAgreement(trained, Number(values.prompts), tokens);

    const rows: [string, string][] = [
      [
        'model',
        `${shape} shapes (${SHAPES[shape].hiddenSize} hidden, ${SHAPES[shape].numHiddenLayers} layers, ` +
          `${SHAPES[shape].numAttentionHeads}/${SHAPES[shape].numKeyValueHeads} heads, vocab 49152), random weights, ` +
          `version ${version.id}`,
      ],
      ['export', `${round(exportSeconds)} s (fp32 and q8)`],
      ['requests per path', `${requests} after ${warmup * QUESTIONS.length} warm-up (weather cached)`],
      ['template path p50 / p95', `${round(percentile(template, 50))} / ${round(percentile(template, 95))} ms`],
      ...[served, fp32].flatMap((run): [string, string][] => [
        [
          `${run.dtype}: load (ModelGenerator.load)`,
          `${run.loadMs} ms (createApp with the model: ${round(run.appStartMs, 0)} ms)`,
        ],
        [
          `${run.dtype}: model path p50 / p95`,
          `${round(percentile(run.model, 50))} / ${round(percentile(run.model, 95))} ms (2 steps of up to ${tokens} tokens)`,
        ],
        [
          `${run.dtype}: generation`,
          `${run.generated} tokens in ${run.steps} steps, ${round(run.generationMs, 0)} ms: ${round(run.tokensPerSecond)} tokens/s (prompt prefill included; ${run.short} steps stopped early)`,
        ],
        [`${run.dtype}: peak RSS of the serving process`, `${round(run.peakRssMb, 0)} MB`],
        [
          `${run.dtype}: decode alone`,
          `${round(run.decodeTokensPerSecond)} tokens/s; prefill of the first query prompt after load ` +
            `${round(run.prefillMs, 0)} ms (its system prompt cached at load), ` +
            `${round(run.sharedPrefillMs, 0)} ms with the ${run.sharedTokens} tokens it shares with the one before cached; ` +
            `${round(run.reusedPerStep, 0)} prompt tokens a step from earlier KV caches`,
        ],
      ]),
      [
        'same prompts, free decoding: q8 (onnxruntime) vs llama.cpp q8_0',
        `${round(perSecond(served.samePrompts))} vs ${round(perSecond(llamaCpp))} tokens/s, prefill included ` +
          `(${QUESTIONS.length} query prompts, up to ${tokens} tokens each, ${threads} threads; ` +
          `llama.cpp p50 ${round(
            percentile(
              llamaCpp.map((run) => run.ms),
              50,
            ),
            0,
          )} ms a prompt, ` +
          `q8 ${round(
            percentile(
              served.samePrompts.map((run) => run.ms),
              50,
            ),
            0,
          )} ms)`,
      ],
      [
        'q8 token agreement with fp32',
        `${round(agreement.share * 100)}% of ${agreement.positions} positions (the offline tiny base, ${values.prompts} held-out query prompts, teacher-forced)`,
      ],
      [
        'q8: model path p50 by question',
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
    ];
    const width = Math.max(...rows.map(([name]) => name.length));
    process.stdout.write(rows.map(([name, value]) => `${name.padEnd(width)}  ${value}`).join('\n') + '\n');
    process.stdout.write(
      `template_p50_ms=${round(percentile(template, 50))} template_p95_ms=${round(percentile(template, 95))} ` +
        `model_p50_ms=${round(percentile(model, 50))} model_p95_ms=${round(percentile(model, 95))} ` +
        `gen_tokens_per_s=${round(tokensPerSecond)} load_ms=${loadMs} ` +
        `quant_token_agreement=${agreement.share.toFixed(3)} fp32_model_p50_ms=${round(percentile(fp32.model, 50))} ` +
        `llamacpp_tokens_per_s=${round(perSecond(llamaCpp))} peak_rss_mb=${round(served.peakRssMb, 0)}\n`,
    );
  } finally {
    await emulator.close();
    await rm(root, { recursive: true, force: true });
  }
}
