/**
 * The serving side of `bench -- reply`: the app as `npm start` wires it, answering through the real Assistant, in a
 * process of its own — bundled and run on Node alone as `npm start` runs the bot — so its peak memory is a serving
 * process's. reply.ts starts it:
 *   node dist/scripts/bench/serve-replies.js --serve '{"env":{…},"options":{…}}'
 * and reads one JSON line (ModelPath) from its stdout.
 */
import { readFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { createApp, type App } from '../../bot/app';
import { loadConfig } from '../../bot/config';
import type { Logger } from '../../bot/core/log';
import { queryPrompt } from '../../bot/core/protocol';

export const QUESTIONS = [
  'weather in Paris tomorrow?',
  'will it rain in Tokyo this weekend',
  'is it windy in London',
  'how hot is it in Sydney today',
  'snow in Reykjavík tomorrow?',
  'humidity in São Paulo',
];

interface StepLog {
  tokens?: number;
  reusedTokens?: number;
  ms?: number;
}

/** Keeps the assistant's per-step model logs; warnings and errors go to stderr. */
export function benchLogger(steps: StepLog[]): Logger {
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

export async function replyLatencies(app: App, requests: number, warmup: number): Promise<number[]> {
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

export type ModelPath = Awaited<ReturnType<typeof measureModelPath>>;
export interface PathOptions {
  requests: number;
  warmup: number;
  tokens: number;
}

/**
 * The model path with the weights `env` names: load, one prompt's prefill and decode rate, the replies, then the
 * peers' measure: each question's query prompt continued freely for up to `tokens` tokens, twice round, the second
 * round timed (every prompt then finds the one before's KV cache, as llama.cpp's run of the same prompts does).
 */
async function measureModelPath(env: Record<string, string>, { requests, warmup, tokens }: PathOptions) {
  const steps: StepLog[] = [];
  const loadStarted = performance.now();
  const app = await createApp(loadConfig(env), benchLogger(steps));
  const appStartMs = performance.now() - loadStarted;
  try {
    const loaded = app.models?.current();
    if (!loaded) throw new Error('the model did not load (see the log above)');
    const generate = (question: string, maxNewTokens: number) =>
      loaded.generator.generate(queryPrompt(question), { maxNewTokens, timeoutMs: 60_000 });
    // The first prompt after load (prefill past the system prompt the generator kept at load, one token); then again,
    // its cache reused but for the last token: decoding.
    const cold = await generate(QUESTIONS[0], 1);
    // Another message's prompt: its system prompt and turn header come from the first one's cache.
    const shared = await generate(QUESTIONS[1], 1);
    const warm = await generate(QUESTIONS[0], tokens);
    const model = await replyLatencies(app, requests, warmup);
    const measured = steps.slice(-2 * requests).filter((step) => step.tokens !== undefined);
    const generated = measured.reduce((n, step) => n + step.tokens!, 0);
    const generationMs = measured.reduce((n, step) => n + step.ms!, 0);
    const samePrompts = [];
    for (const round of [0, 1]) {
      for (const question of QUESTIONS) {
        const { tokens: written, ms } = await generate(question, tokens);
        if (round === 1) samePrompts.push({ tokens: written, ms });
      }
    }
    return {
      dtype: loaded.generator.dtype,
      model,
      loadMs: loaded.loadMs,
      appStartMs,
      prefillMs: cold.ms,
      sharedPrefillMs: shared.ms,
      sharedTokens: shared.reusedTokens ?? 0,
      decodeTokensPerSecond: (warm.tokens / warm.ms) * 1000,
      reusedPerStep: measured.reduce((n, step) => n + (step.reusedTokens ?? 0), 0) / measured.length,
      generated,
      generationMs,
      steps: measured.length,
      short: measured.filter((step) => step.tokens! < tokens).length,
      tokensPerSecond: (generated / generationMs) * 1000,
      samePrompts,
      peakRssMb: await peakRssMb(),
    };
  } finally {
    await app.close();
  }
}

/**
 * The process's peak resident memory: Linux's VmHWM, which starts afresh with the process (getrusage's maxRSS
 * carries the parent's over into a spawned child); elsewhere, maxRSS.
 */
async function peakRssMb(): Promise<number> {
  const status = await readFile('/proc/self/status', 'utf8').catch(() => '');
  const kb = /^VmHWM:\s+(\d+) kB$/m.exec(status)?.[1];
  return (kb ? Number(kb) : process.resourceUsage().maxRSS) / 1024;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const at = process.argv.indexOf('--serve');
  const { env, options } = JSON.parse(process.argv[at + 1]) as { env: Record<string, string>; options: PathOptions };
  measureModelPath(env, options).then(
    (result) => process.stdout.write(`${JSON.stringify(result)}\n`),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
