/**
 * The evaluate step of a retrain: the candidate and the active version scored on the same
 * validation set (gate.ts then decides whether the candidate replaces the active one).
 */
import type { PreparedExample } from '../dataset';
import { LoraModel } from '../model/llama';
import { loadLoraAdapter } from '../model/lora';
import type { RegisteredVersion } from '../registry';
import type { Batch, TrainableModel, TrainResult } from '../trainer';

export interface EvaluationContext {
  /** The candidate with its trained adapter, still loaded. */
  candidate: LoraModel;
  /** The candidate as exported for transformers.js (the folder the bot will load). */
  candidateModelDir: string;
  /** The base model folder, and the name it was given (`tiny`, a repo id or a path). */
  baseDir: string;
  baseModel: string;
  /** The version active when the job started. */
  active: RegisteredVersion | null;
  validation: { batches: readonly Batch[]; examples: readonly PreparedExample[] };
  training: TrainResult;
  signal?: AbortSignal;
  threads?: number;
}

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
export async function validationLoss(model: Pick<TrainableModel, 'loss'>, batches: readonly Batch[], signal?: AbortSignal): Promise<number | null> {
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
 * Scores the candidate and the active version. Today: validation loss of each (the trainer has
 * the candidate's already: it ends on its best epoch), the untuned base's (the adapter starts at
 * zero, so the trainer's first validation is the base's) and the last epoch's training loss.
 * More metrics (parse accuracy, fact consistency, chrF of generated answers, from
 * training/evaluate/metrics.ts) go in `metricsOf`, computed alike for candidate and active.
 */
export async function evaluateCandidate(context: EvaluationContext): Promise<Evaluation> {
  const { training } = context;
  const candidateLoss = training.bestValidationLoss ?? training.finalValidationLoss ?? (await validationLoss(context.candidate, context.validation.batches, context.signal));
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

/** Metrics of an exported model folder on the validation examples; the place for generation-based metrics. */
async function metricsOf(_modelDir: string, _context: EvaluationContext): Promise<Record<string, number | null>> {
  return {};
}

async function scoreActive(context: EvaluationContext): Promise<ActiveScore | null> {
  const { active } = context;
  if (active === null) return null;
  const incomparable = (why: string): ActiveScore => ({ id: active.id, metrics: {}, incomparable: why });
  if (active.manifest.baseModel !== context.baseModel) {
    return incomparable(`the active version ${active.id} was trained from ${active.manifest.baseModel}, this one from ${context.baseModel}: their losses are not comparable`);
  }
  if (active.adapterDir === null) return incomparable(`the active version ${active.id} has no adapter to evaluate`);
  let model: LoraModel;
  try {
    const adapter = await loadLoraAdapter(active.adapterDir, context.candidate.config);
    model = await LoraModel.load(context.baseDir, { adapter, threads: context.threads });
  } catch (error) {
    return incomparable(`the active version ${active.id}'s adapter cannot be loaded on ${context.baseModel}: ${(error as Error).message}`);
  }
  try {
    const loss = await validationLoss(model, context.validation.batches, context.signal);
    return { id: active.id, metrics: finite({ validationLoss: loss, ...(await metricsOf(active.modelDir, context)) }), incomparable: null };
  } finally {
    await model.dispose();
  }
}

function finite(values: Record<string, number | null>): Record<string, number> {
  return Object.fromEntries(Object.entries(values).filter((entry): entry is [string, number] => Number.isFinite(entry[1])));
}
