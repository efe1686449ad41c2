import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig, loadDotEnv, type Config } from '../../bot/config';
import { conversation } from '../../bot/core/protocol';
import type { RulesReader } from '../../bot/core/guard';
import { loadSeed, type SeedExample } from '../../training/dataset';
import { SHIPPED_SEED_DIR } from '../../training/dataset/seed';
import { parseAccuracy, QUERY_FIELDS } from '../../training/jobs/metrics';
import { metricsOf, PARSE_METRICS, type ScoredExample } from '../../training/jobs/evaluate';
import { openRegistry, registryPath } from '../../training/registry';
import { UsageError, wholeNumber } from './options';
import { trainingServices } from '../../bot/training';

export const USAGE = `usage: npm run --silent cli -- evaluate [options]
  --model <folder|version>  a transformers.js model folder or a registry version id (default: the active version of DATA_DIR)
  --samples <n>             test conversations the model writes for, spread over the split (default 100)
  --seed-dir <folder>       the seed dataset (default data/seed)
  --threads <n>             ORT intra-op threads
Scores the model on the seed's held-out test split (cities and phrasings no training run sees),
beside the rules on the same messages — with the lessons moderators taught in DATA_DIR's store, as users get them:
parse accuracy per field of the model's own queries, the mean once the rules guard them as in the bot, and of its
answers fact consistency, chrF and latency.
`;

/** `n` examples spread evenly over the split, which the seed groups by city and phrasing. */
function spread<T>(items: readonly T[], n: number): T[] {
  if (n >= items.length) return [...items];
  return Array.from({ length: n }, (_, i) => items[Math.floor((i * items.length) / n)]);
}

const scored = (e: SeedExample): ScoredExample => ({
  query: e.query,
  chat: { messages: conversation(e.message, e.query, e.facts, e.answer) },
});

/** The rules with the lessons of DATA_DIR's store (read-only: the bot may be running on it), or alone without one. */
async function usersReader(config: Config): Promise<RulesReader> {
  const dir = join(config.dataDir, 'store');
  if (!(await stat(dir).catch(() => null))) return trainingServices.rules;
  const store = await trainingServices.openStore({ dir, salt: config.storeSalt ?? undefined });
  try {
    return await trainingServices.readerOf(store);
  } finally {
    await store.close();
  }
}

async function modelFolder(model: string | undefined, config: Config): Promise<{ dir: string; name: string }> {
  if (model !== undefined && (await stat(join(model, 'config.json')).catch(() => null)))
    return { dir: model, name: model };
  const registry = await openRegistry(registryPath(config.dataDir));
  if (model !== undefined) {
    const version = await registry.get(model).catch(() => null);
    if (!version)
      throw new UsageError(
        `--model ${model} is neither a model folder (no config.json) nor a version in ${registry.root}`,
      );
    return { dir: version.modelDir, name: version.id };
  }
  const active = await registry.active();
  if (!active)
    throw new UsageError(
      `no model version is active in ${registry.root}: train one (cli train --base tiny) or pass --model`,
    );
  return { dir: active.modelDir, name: active.id };
}

const percent = (x: number | undefined) => (x === undefined ? '   -' : `${(100 * x).toFixed(0).padStart(3)}%`);

export async function run(args: string[]): Promise<number> {
  try {
    const { values } = parseArgs({
      args,
      options: {
        model: { type: 'string' },
        samples: { type: 'string' },
        'seed-dir': { type: 'string' },
        threads: { type: 'string' },
      },
    });
    const samples = wholeNumber(values.samples, 'samples') ?? 100;
    const threads = wholeNumber(values.threads, 'threads');
    loadDotEnv();
    const config = loadConfig();
    const model = await modelFolder(values.model, config);
    const test = spread(await loadSeed(values['seed-dir'] ?? SHIPPED_SEED_DIR, 'test'), samples);
    const reader = await usersReader(config);
    const metrics = await metricsOf(model.dir, {
      services: { ...trainingServices, rules: reader },
      validation: { batches: [], examples: test.map(scored) },
      generationSamples: samples,
      threads,
      dtype: config.model.dtype,
    });
    const rules = parseAccuracy(test.map((e) => ({ expected: e.query, predicted: reader.understand(e.message) })));
    const rulesMean = QUERY_FIELDS.reduce((sum, field) => sum + rules[field], 0) / QUERY_FIELDS.length;
    const field = (name: string) => (metrics[name] ?? undefined) as number | undefined;
    const rows = QUERY_FIELDS.map(
      (f) => `  ${f.padEnd(17)} ${percent(field(PARSE_METRICS[f]))}   ${percent(rules[f])}`,
    );
    process.stdout.write(
      [
        `${model.name} on ${test.length} held-out seed conversations`,
        `  parse accuracy    model  rules`,
        ...rows,
        `  mean              ${percent(field('parseMean'))}   ${percent(rulesMean)}`,
        `  the bot (the model's queries guarded by the rules) ${percent(field('guardedParseMean'))}`,
        `  answers: fact consistency ${percent(field('factConsistency'))}, usable ${percent(field('answerUsable'))}, chrF ${(field('chrF') ?? 0).toFixed(3)}; generation p50 ${Math.round(field('latencyMsP50') ?? 0)} ms`,
        `model_parse_mean=${(field('parseMean') ?? 0).toFixed(3)} bot_parse_mean=${(field('guardedParseMean') ?? 0).toFixed(3)} rules_parse_mean=${rulesMean.toFixed(3)} fact_consistency=${(field('factConsistency') ?? 0).toFixed(3)} samples=${test.length}`,
      ].join('\n') + '\n',
    );
    return 0;
  } catch (error) {
    if (!(error instanceof UsageError) && (error as { code?: string }).code !== 'ERR_PARSE_ARGS_UNKNOWN_OPTION')
      throw error;
    process.stderr.write(`evaluate: ${(error as Error).message}\n${USAGE}`);
    return 2;
  }
}
