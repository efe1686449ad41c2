/**
 * The evaluate step of a retrain: the candidate and the active version scored on the same
 * validation set (gate.ts then decides whether the candidate replaces the active one).
 */
import type { Understanding, WeatherFacts } from '../../bot/core/domain';
import type { Generation, GeneratorLoader } from '../../bot/core/generation';
import { answerProblem, guardQuery, readQuery, type RulesReader } from '../../bot/core/guard';
import { answerPrompt, queryPrompt, type ProtocolMessage } from '../../bot/core/protocol';
import type { PreparedExample } from '../dataset';
import { loadLoraAdapter } from '../model/lora';
import { LoraModel } from '../model/model-runner';
import type { RegisteredVersion } from '../registry';
import type { Batch, TrainableModel, TrainResult } from '../trainer';
import { chrF, factConsistency, parseAccuracy, QUERY_FIELDS, type QueryField } from './metrics';

/**
 * The bot's side of an evaluation, handed in by the composition root (bot/training.ts): what it serves and reads with.
 */
export interface EvaluationServices {
  loadGenerator: GeneratorLoader;
  rules: RulesReader;
}

export interface EvaluationContext {
  services: EvaluationServices;
  /** The candidate with its trained adapter, still loaded. */
  candidate: LoraModel;
  /** The candidate as exported for transformers.js (the folder the bot will load). */
  candidateModelDir: string;
  /** The base model folder, and the name it was given (`tiny`, a repo id or a path). */
  baseDir: string;
  baseModel: string;
  /** The version active when the job started. */
  active: RegisteredVersion | null;
  validation: { batches: readonly Batch[]; examples: readonly ScoredExample[] };
  training: TrainResult;
  signal?: AbortSignal;
  threads?: number;
  /** Validation conversations each model writes queries and answers for. Default DEFAULT_GENERATION_SAMPLES. */
  generationSamples?: number;
}

/** Enough to tell a model that parses from one that does not, few enough to cost seconds on a small model. */
export const DEFAULT_GENERATION_SAMPLES = 32;

/** The bot's own generation budget (MODEL_MAX_NEW_TOKENS); the deadline is loose, latency is measured instead. */
const GENERATION_LIMITS = { maxNewTokens: 96, timeoutMs: 60_000 };

/** The active version scored on this run's validation set, or why it could not be. */
export interface ActiveScore {
  id: string;
  /** Same names as the candidate's metrics. */
  metrics: Record<string, number>;
  /** Why the two cannot be compared; null when they can. */
  incomparable: string | null;
}

export interface Evaluation {
  /** The candidate's metrics, as registered: finite numbers only. */
  metrics: Record<string, number>;
  active: ActiveScore | null;
}

/** Token-weighted mean loss over `batches`; null when they count no token. */
export async function validationLoss(
  model: Pick<TrainableModel, 'loss'>,
  batches: readonly Batch[],
  signal?: AbortSignal,
): Promise<number | null> {
  let lossSum = 0;
  let tokens = 0;
  for (const batch of batches) {
    signal?.throwIfAborted();
    const result = await model.loss(batch);
    lossSum += result.loss * result.tokens;
    tokens += result.tokens;
  }
  return tokens === 0 ? null : lossSum / tokens;
}

/**
 * Scores the candidate and the active version alike: validation loss (the trainer has the
 * candidate's already: it ends on its best epoch), and what each exported model writes on a
 * sample of the validation conversations (metricsOf). Also the untuned base's loss (the adapter
 * starts at zero, so the trainer's first validation is the base's) and the last epoch's training loss.
 */
export async function evaluateCandidate(context: EvaluationContext): Promise<Evaluation> {
  const { training } = context;
  const candidateLoss =
    training.bestValidationLoss ??
    training.finalValidationLoss ??
    (await validationLoss(context.candidate, context.validation.batches, context.signal));
  const metrics = finite({
    validationLoss: candidateLoss,
    baseValidationLoss: training.initialValidationLoss,
    trainLoss: training.history.epochs.at(-1)?.trainLoss ?? null,
    ...(await metricsOf(context.candidateModelDir, context)),
  });
  const active = await scoreActive(context);
  if (active?.metrics.validationLoss !== undefined) metrics.activeValidationLoss = active.metrics.validationLoss;
  return { metrics, active };
}

/** The metric name of each field's parse accuracy. */
export const PARSE_METRICS: Record<QueryField, string> = {
  weather: 'parseWeather',
  location: 'parseLocation',
  region: 'parseRegion',
  when: 'parseWhen',
  aspect: 'parseAspect',
  units: 'parseUnits',
};

/** A conversation to score a model on: the whole chat and the query it should read. */
export type ScoredExample = Pick<PreparedExample, 'chat' | 'query'>;

/**
 * A validation conversation taken apart: the message, the expected query, and the facts and reference answer when it
 * has them.
 */
interface Case {
  message: string;
  expected: PreparedExample['query'];
  answered: { facts: WeatherFacts; reference: string } | null;
}

function caseOf(example: ScoredExample): Case | null {
  const [, user, , tool, answer] = example.chat.messages;
  if (user?.role !== 'user') return null;
  const answered =
    tool?.role === 'tool' && answer?.role === 'assistant'
      ? { facts: JSON.parse(tool.content) as WeatherFacts, reference: answer.content }
      : null;
  return { message: user.content, expected: example.query, answered };
}

/** The middle value (mean of the middle two); null for none. */
export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * What an exported model writes on the first `generationSamples` validation conversations, as
 * the bot prompts it: per-field parse accuracy of its queries (parseMean over the fields); the
 * mean accuracy of those queries once the rules guard them, as the bot uses them
 * (guardedParseMean), and of the rules alone, as the bot reads with no model (rulesParseMean); and,
 * given the reference query and facts, the share of its answers whose numbers all come from the
 * facts (factConsistency), the share the bot would send (answerUsable), their mean chrF against
 * the reference answers, and the median time of one generation (latencyMsP50).
 */
export async function metricsOf(
  modelDir: string,
  context: Pick<EvaluationContext, 'services' | 'validation' | 'signal' | 'threads' | 'generationSamples'>,
): Promise<Record<string, number | null>> {
  const cases = context.validation.examples
    .map(caseOf)
    .filter((c): c is Case => c !== null)
    .slice(0, context.generationSamples ?? DEFAULT_GENERATION_SAMPLES);
  if (cases.length === 0) return {};
  const { loadGenerator, rules: reader } = context.services;
  const generator = await loadGenerator(modelDir, { threads: context.threads });
  const latencies: number[] = [];
  const generate = async (prompt: ProtocolMessage[]): Promise<Generation> => {
    const generation = await generator.generate(prompt, { ...GENERATION_LIMITS, signal: context.signal });
    latencies.push(generation.ms);
    return generation;
  };
  try {
    type Parse = { expected: Understanding; predicted: Understanding | null };
    const parses: Parse[] = [];
    const guarded: Parse[] = [];
    const rules: Parse[] = [];
    const answers = [];
    for (const { message, expected, answered } of cases) {
      const written = (await generate(queryPrompt(message))).text;
      const byRules = reader.understand(message);
      parses.push({ expected, predicted: readQuery(written) });
      guarded.push({ expected, predicted: guardQuery(message, written, byRules, reader.nicknames).query });
      rules.push({ expected, predicted: byRules });
      if (answered === null || !expected.weather) continue;
      const generation = await generate(answerPrompt(message, expected, answered.facts));
      const answer = generation.text.trim();
      answers.push({
        answer,
        facts: answered.facts,
        reference: answered.reference,
        usable: answerProblem(answer, generation.finish, answered.facts) === null,
      });
    }
    const accuracy = parseAccuracy(parses);
    const mean = (values: number[]) => (values.length === 0 ? null : values.reduce((a, b) => a + b, 0) / values.length);
    const meanAccuracy = (pairs: Parse[]) => mean(Object.values(parseAccuracy(pairs)));
    return {
      ...Object.fromEntries(QUERY_FIELDS.map((field) => [PARSE_METRICS[field], accuracy[field]])),
      parseMean: mean(QUERY_FIELDS.map((field) => accuracy[field])),
      guardedParseMean: meanAccuracy(guarded),
      rulesParseMean: meanAccuracy(rules),
      factConsistency: answers.length === 0 ? null : factConsistency(answers),
      answerUsable: mean(answers.map((a) => (a.usable ? 1 : 0))),
      chrF: mean(answers.map((a) => chrF(a.answer, a.reference))),
      latencyMsP50: median(latencies),
      generationSamples: cases.length,
    };
  } finally {
    await generator.dispose();
  }
}

async function scoreActive(context: EvaluationContext): Promise<ActiveScore | null> {
  const { active } = context;
  if (active === null) return null;
  const incomparable = (why: string): ActiveScore => ({ id: active.id, metrics: {}, incomparable: why });
  if (active.manifest.baseModel !== context.baseModel) {
    return incomparable(
      `the active version ${active.id} was trained from ${active.manifest.baseModel}, this one from ${context.baseModel}: their losses are not comparable`,
    );
  }
  if (active.adapterDir === null) return incomparable(`the active version ${active.id} has no adapter to evaluate`);
  let model: LoraModel;
  try {
    const adapter = await loadLoraAdapter(active.adapterDir, context.candidate.config);
    model = await LoraModel.load(context.baseDir, { adapter, threads: context.threads });
  } catch (error) {
    return incomparable(
      `the active version ${active.id}'s adapter cannot be loaded on ${context.baseModel}: ${(error as Error).message}`,
    );
  }
  try {
    const loss = await validationLoss(model, context.validation.batches, context.signal);
    return {
      id: active.id,
      metrics: finite({ validationLoss: loss, ...(await metricsOf(active.modelDir, context)) }),
      incomparable: null,
    };
  } finally {
    await model.dispose();
  }
}

function finite(values: Record<string, number | null>): Record<string, number> {
  return Object.fromEntries(
    Object.entries(values).filter((entry): entry is [string, number] => Number.isFinite(entry[1])),
  );
}
