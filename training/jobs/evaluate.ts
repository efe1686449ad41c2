/**
 * The evaluate step of a retrain: the candidate and the active version scored on the same
 * validation set (gate.ts then decides whether the candidate replaces the active one).
 */
import type { Understanding, WeatherFacts } from '../../bot/core/domain';
import type { Generation, GeneratorLoader, ModelDtype } from '../../bot/core/generation';
import type { Rule } from '../../bot/core/grammar';
import { answerProblem, guardQuery, queryGrammar, readQuery, type RulesReader } from '../../bot/core/guard';
import { answerPrompt, queryPrompt, type ProtocolMessage } from '../../bot/core/protocol';
import { earnedSay, sayMetrics, type EarnedSay } from '../../bot/core/say';
import type { PreparedExample } from '../dataset';
import { loadLoraAdapter } from '../model/lora';
import { LoraModel } from '../model/model-runner';
import type { RegisteredVersion } from '../registry';
import type { Batch, TrainableModel, TrainResult } from '../trainer';
import { chrF, factConsistency, parseAccuracy, parseSamples, QUERY_FIELDS, type QueryField } from './metrics';

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
  /** The taught slice to score (see taughtSlice), apart from the everyday validation; none when empty. */
  taught?: readonly ScoredExample[];
  training: TrainResult;
  signal?: AbortSignal;
  threads?: number;
  /** The weights generations run on (default q8: what the bot serves). */
  dtype?: ModelDtype;
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

/** A conversation to score a model on: the whole chat, the query it should read, its slice (absent: everyday). */
export type ScoredExample = Pick<PreparedExample, 'chat' | 'query'> & { slice?: PreparedExample['slice'] };

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

/** Where the taught slice was scored: on held-out examples (generalisation) or on examples trained on (recall). */
export type TaughtScope = 'validation' | 'training';

/**
 * The taught slice to score: its examples in the validation set, which measure whether the lesson generalises; with
 * none there, every taught example, which were trained on and so measure recall only. Null when nothing was taught.
 */
export function taughtSlice(
  validation: readonly PreparedExample[],
  all: readonly PreparedExample[],
): { examples: PreparedExample[]; scoredOn: TaughtScope } | null {
  const heldOut = validation.filter((e) => e.slice === 'taught');
  if (heldOut.length > 0) return { examples: heldOut, scoredOn: 'validation' };
  const taught = all.filter((e) => e.slice === 'taught');
  return taught.length > 0 ? { examples: taught, scoredOn: 'training' } : null;
}

/** The middle value (mean of the middle two); null for none. */
export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * What an exported model writes on the first `generationSamples` everyday validation conversations, as
 * the bot prompts it: per-field parse accuracy of its queries (parseMean over the fields); the
 * mean accuracy of those queries once the rules guard them, as the bot uses them
 * (guardedParseMean), and of the rules alone, as the bot reads with no model (rulesParseMean) — the rules being
 * the services' reader, which for a retrain holds the lessons moderators taught; and,
 * given the reference query and facts, the share of its answers whose numbers all come from the
 * facts (factConsistency), the share the bot would send (answerUsable), their mean chrF against
 * the reference answers, and the median time of one generation (latencyMsP50). The taught slice
 * (`taught`, corrected readings) is read apart: taughtParseMean, taughtGuardedParseMean, taughtRulesParseMean.
 * On both together, per field, the model's own reading and the rules' (modelWeather, rulesWeather, weatherSamples, …:
 * bot/core/say.ts), from which the say the model earns over the rules; the guarded readings use that say, as the bot
 * will, or `say` when given (the active version's, earned when it was evaluated).
 */
export async function metricsOf(
  modelDir: string,
  context: Pick<
    EvaluationContext,
    'services' | 'validation' | 'taught' | 'signal' | 'threads' | 'dtype' | 'generationSamples'
  > & {
    say?: EarnedSay;
  },
): Promise<Record<string, number | null>> {
  const samples = context.generationSamples ?? DEFAULT_GENERATION_SAMPLES;
  const casesOf = (examples: readonly ScoredExample[]) =>
    examples
      .map(caseOf)
      .filter((c): c is Case => c !== null)
      .slice(0, samples);
  const cases = casesOf(context.validation.examples.filter((e) => e.slice !== 'taught'));
  const taught = casesOf(context.taught ?? []);
  if (cases.length === 0 && taught.length === 0) return {};
  const { loadGenerator, rules: reader } = context.services;
  const generator = await loadGenerator(modelDir, { threads: context.threads, dtype: context.dtype });
  const latencies: number[] = [];
  const generate = async (prompt: ProtocolMessage[], grammar?: Rule): Promise<Generation> => {
    const generation = await generator.generate(prompt, { ...GENERATION_LIMITS, signal: context.signal, grammar });
    latencies.push(generation.ms);
    return generation;
  };
  try {
    const everyday = await readingsOf(cases, generate, reader);
    const answers = [];
    for (const { message, expected, answered } of cases) {
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
    const slice = await readingsOf(taught, generate, reader);
    const said = sayMetricsOf([...everyday, ...slice]);
    const say = context.say ?? earnedSay(said);
    const accuracy = parseAccuracy(ownParses(everyday));
    return {
      ...(cases.length === 0
        ? {}
        : {
            ...Object.fromEntries(QUERY_FIELDS.map((field) => [PARSE_METRICS[field], accuracy[field]])),
            parseMean: mean(QUERY_FIELDS.map((field) => accuracy[field])),
            guardedParseMean: meanAccuracy(guardedParses(everyday, reader, say)),
            rulesParseMean: meanAccuracy(rulesParses(everyday)),
            factConsistency: answers.length === 0 ? null : factConsistency(answers),
            answerUsable: mean(answers.map((a) => (a.usable ? 1 : 0))),
            chrF: mean(answers.map((a) => chrF(a.answer, a.reference))),
            generationSamples: cases.length,
          }),
      ...(taught.length === 0
        ? {}
        : {
            taughtParseMean: meanAccuracy(ownParses(slice)),
            taughtGuardedParseMean: meanAccuracy(guardedParses(slice, reader, say)),
            taughtRulesParseMean: meanAccuracy(rulesParses(slice)),
            taughtSamples: taught.length,
          }),
      ...said,
      latencyMsP50: median(latencies),
    };
  } finally {
    await generator.dispose();
  }
}

type Parse = { expected: Understanding; predicted: Understanding | null };

const mean = (values: number[]) => (values.length === 0 ? null : values.reduce((a, b) => a + b, 0) / values.length);
const meanAccuracy = (pairs: Parse[]) => mean(Object.values(parseAccuracy(pairs)));

/** A message as the model wrote its query and as the rules read it. */
interface Reading {
  message: string;
  expected: Understanding;
  written: string;
  rules: Understanding;
}

async function readingsOf(
  cases: readonly Case[],
  generate: (prompt: ProtocolMessage[], grammar: Rule) => Promise<Generation>,
  reader: RulesReader,
): Promise<Reading[]> {
  const readings: Reading[] = [];
  for (const { message, expected } of cases) {
    const rules = reader.understand(message);
    const written = (await generate(queryPrompt(message), queryGrammar(message, rules, reader.nicknames))).text;
    readings.push({ message, expected, written, rules });
  }
  return readings;
}

/** Each message read by the model's query alone, by the rules, and by the model's query guarded as the bot does. */
const ownParses = (readings: readonly Reading[]): Parse[] =>
  readings.map(({ expected, written }) => ({ expected, predicted: readQuery(written) }));
const rulesParses = (readings: readonly Reading[]): Parse[] =>
  readings.map(({ expected, rules }) => ({ expected, predicted: rules }));
const guardedParses = (readings: readonly Reading[], reader: RulesReader, say: EarnedSay): Parse[] =>
  readings.map(({ message, expected, written, rules }) => ({
    expected,
    predicted: guardQuery(message, written, rules, reader.nicknames, say).query,
  }));

/** Per field, the model's own accuracy, the rules' and the examples scored (bot/core/say.ts names them). */
function sayMetricsOf(readings: readonly Reading[]): Record<string, number> {
  if (readings.length === 0) return {};
  const model = parseAccuracy(ownParses(readings));
  const rules = parseAccuracy(rulesParses(readings));
  const samples = parseSamples(readings);
  return Object.fromEntries(
    QUERY_FIELDS.flatMap((field) => {
      const names = sayMetrics(field);
      return [
        [names.model, model[field]],
        [names.rules, rules[field]],
        [names.samples, samples[field]],
      ];
    }),
  );
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
      metrics: finite({
        validationLoss: loss,
        // Guarded as users get it now: with the say the active version earned when it was evaluated.
        ...(await metricsOf(active.modelDir, { ...context, say: earnedSay(active.manifest.metrics) })),
      }),
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
