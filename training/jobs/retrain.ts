/**
 * The retrain pipeline, as named steps so that progress says where it is:
 *
 *   resolve-base → prepare → encode → train → save-adapter → export → evaluate → report → register → promote
 *
 * The candidate is built in a work folder (`<dataDir>/jobs/<id>/`, removed at the end however
 * the run ends) and moved into the registry whole. The active version changes only in the last
 * step, by one pointer switch, so a failed or cancelled run leaves it as it was; a version
 * registered but not promoted by a run that then fails is marked failed.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { AutoTokenizer } from '@huggingface/transformers';
import type { ModelDtype } from '../../bot/core/generation';
import type { RulesReader } from '../../bot/core/guard';
import type { ExchangeSource } from '../../bot/core/store';
import { batchedData, encodeChats, type ChatExample } from '../encoding';
import { prepareDataset, type PreparedDataset, type PreparedExample } from '../dataset';
import { exportModel } from '../export/model-folder';
import { DEFAULT_BASE_MODEL } from '../hub';
import { readLlamaConfig } from '../model/hf-config';
import { loraConfig, saveLoraAdapter, type LoraConfig } from '../model/lora';
import { LoraModel } from '../model/model-runner';
import { seededRandom } from '../random';
import { openRegistry, registryPath, type Hyperparameter } from '../registry';
import { train } from '../trainer';
import { resolveBase, TINY_BASE } from './resolve-base';
import { evaluateCandidate, taughtSlice, type EvaluationServices, type TaughtScope } from './evaluate';
import { checkGate, decidePromotion, type GateDecision, type PromotionGate } from './gate';
import { jobsDir, writeLastTraining } from './files';
import { RETRAIN_STEPS, type RetrainProgress, type RetrainStep } from './progress';
import { REPORT_FILES, writeReport, type RetrainReport } from './report';
import { SHIPPED_SEED_DIR } from '../dataset/seed';

export { renderRetrainProgress, RETRAIN_STEPS } from './progress';
export type { RetrainProgress, RetrainStep } from './progress';

export interface Hyperparameters {
  loraR: number;
  loraAlpha: number;
  /** Modules LoRA adapts: q, k, v, o, gate, up, down (or q_proj, ...). */
  loraTargets: string[];
  /** Peak learning rate (linear warmup, cosine decay). */
  learningRate: number;
  epochs: number;
  /** Sequences per micro-batch. */
  batchSize: number;
  /** Micro-batches per optimiser step. */
  gradientAccumulation: number;
  /** Longer conversations are left out, never cut. */
  maxSeqLen: number;
  warmupRatio: number;
  weightDecay: number;
  /** Seeds the adapter's initial A matrices, the shuffles and the example caps. */
  seed: number;
  /** Share of questions held out for validation. */
  validationFraction: number;
  /** Caps on conversations per run: moderated exchanges first, then seed examples drawn by `seed`. */
  maxTrainExamples: number;
  maxValidationExamples: number;
}

/** For the tiny model: it learns from scratch, so a higher rate; a run takes seconds. */
export const TINY_HYPERPARAMETERS: Hyperparameters = {
  loraR: 8,
  loraAlpha: 16,
  loraTargets: ['q', 'v'],
  learningRate: 3e-3,
  epochs: 1,
  batchSize: 8,
  gradientAccumulation: 1,
  maxSeqLen: 512,
  warmupRatio: 0.05,
  weightDecay: 0,
  seed: 0,
  validationFraction: 0.1,
  maxTrainExamples: 1024,
  maxValidationExamples: 128,
};

/**
 * For a pretrained base such as SmolLM2-135M-Instruct: the usual LoRA recipe (r 8, alpha 16 on
 * q and v, 2e-4), effective batch 8. Its conversations take ~230 tokens (p90 ~280), so 384
 * keeps nearly all; 1024 of them are about 25 minutes an epoch on 2 cores.
 */
export const PRETRAINED_HYPERPARAMETERS: Hyperparameters = {
  loraR: 8,
  loraAlpha: 16,
  loraTargets: ['q', 'v'],
  learningRate: 2e-4,
  epochs: 2,
  batchSize: 4,
  gradientAccumulation: 2,
  maxSeqLen: 384,
  warmupRatio: 0.05,
  weightDecay: 0,
  seed: 0,
  validationFraction: 0.1,
  maxTrainExamples: 1024,
  maxValidationExamples: 128,
};

export function defaultHyperparameters(base: string): Hyperparameters {
  return base === TINY_BASE ? TINY_HYPERPARAMETERS : PRETRAINED_HYPERPARAMETERS;
}

/** The seed shipped in data/seed. */

export interface RetrainOptions {
  /** The runtime data folder: store in `store/`, registry in `models/`, work in `jobs/`. */
  dataDir: string;
  /** `tiny`, a model folder, or a hub repo id in the HF cache. Default HuggingFaceTB/SmolLM2-135M-Instruct. */
  base?: string;
  /** Moderated exchanges are read (read-only) from here. Default `<dataDir>/store`; null trains on the seed alone. */
  storeDir?: string | null;
  storeSalt?: string;
  /** Default the shipped data/seed; null trains on moderated exchanges alone. */
  seedDir?: string | null;
  /** Each overrides the base's default (defaultHyperparameters). */
  hyperparameters?: Partial<Hyperparameters>;
  gate?: PromotionGate;
  /** Temporary files; removed at the end. Default `<dataDir>/jobs/retrain-<random>`. */
  workDir?: string;
  /** Names of people to scrub from the training text. */
  knownNames?: string[];
  /** ORT intra-op threads; ORT's default when omitted. */
  threads?: number;
  /** The weights the evaluation and the gate run on: those the bot will serve (default q8). */
  dtype?: ModelDtype;
  /** Recorded in the manifest; default the gate's verdict ("gate passed: …" / "gate failed: …"). */
  note?: string;
  /** Conversations added to the training split as they are, after the caps (e.g. `cli train --data`). */
  extraTrain?: ChatExample[];
  /** Validation conversations each model writes queries and answers for when evaluated (default 32). */
  generationSamples?: number;
}

/**
 * The bot's pieces a retrain works with, built by a composition root (bot/training.ts) and
 * handed in: training knows them by these interfaces only.
 */
export interface RetrainServices extends EvaluationServices {
  /** The bot's store, opened read-only for its moderated exchanges. */
  openStore(options: { dir: string; salt?: string }): Promise<ExchangeSource>;
  /**
   * The rules as the bot reads with them now: `rules` and the lessons the store's corrected exchanges taught. The
   * evaluation reads with it, so the gate judges what users get (rules, lessons and model together).
   */
  readerOf(store: Pick<ExchangeSource, 'exchanges'>): Promise<RulesReader>;
}

export interface RetrainHooks {
  /** Checked between steps and between training steps; aborting rejects with RetrainCancelledError. */
  signal?: AbortSignal;
  onProgress?: (event: RetrainProgress) => void;
}

export interface RetrainSummary {
  versionId: string;
  promoted: boolean;
  /** Why it was promoted or not, in a sentence. */
  reason: string;
  metrics: Record<string, number>;
  /** The Markdown report in the version folder (report.json and loss.svg sit beside it). */
  reportPath: string;
  /** The loss chart as a PNG picture, for chats. */
  chartPath: string;
  durationMs: number;
  baseModel: string;
  /** The version active when the run started. */
  parent: string | null;
  dataset: { sha256: string; train: number; validation: number };
  /** The taught slice (corrected readings) and where it was scored; null when nothing was taught. */
  taught: { examples: number; scoredOn: TaughtScope } | null;
}

/** The run was cancelled; nothing it did changed the active version. */
export class RetrainCancelledError extends Error {
  override name = 'AbortError';
  constructor(
    readonly step: RetrainStep,
    cause: unknown,
  ) {
    super(`the retrain was cancelled during ${step}; the active model is unchanged`, { cause });
  }
}

export class RetrainError extends Error {
  override name = 'RetrainError';
}

export async function retrain(
  options: RetrainOptions,
  services: RetrainServices,
  hooks: RetrainHooks = {},
): Promise<RetrainSummary> {
  const { dataDir } = options;
  const { signal } = hooks;
  const onProgress = hooks.onProgress ?? (() => undefined);
  const started = performance.now();
  const startedAt = new Date();
  const base = options.base ?? DEFAULT_BASE_MODEL;
  const seedDir = options.seedDir === undefined ? SHIPPED_SEED_DIR : options.seedDir;
  const storeDir = options.storeDir === undefined ? join(dataDir, 'store') : options.storeDir;
  const hp: Hyperparameters = { ...defaultHyperparameters(base), ...options.hyperparameters };
  const workDir = options.workDir ?? join(jobsDir(dataDir), `retrain-${randomBytes(4).toString('hex')}`);
  const timings: RetrainReport['timings'] = [];
  const lora = loraConfig(hp.loraR, hp.loraAlpha, hp.loraTargets);
  checkGate(options.gate);

  const step = async <T>(name: RetrainStep, run: () => Promise<T>): Promise<T> => {
    if (signal?.aborted) throw new RetrainCancelledError(name, signal.reason);
    onProgress({ type: 'step', step: name, index: RETRAIN_STEPS.indexOf(name) + 1, total: RETRAIN_STEPS.length });
    const stepStart = performance.now();
    try {
      return await run();
    } catch (error) {
      throw signal?.aborted ? new RetrainCancelledError(name, error) : error;
    } finally {
      timings.push({ step: name, ms: Math.round(performance.now() - stepStart) });
    }
  };
  const info = (name: RetrainStep, message: string) => onProgress({ type: 'info', step: name, message });

  await mkdir(workDir, { recursive: true });
  const registry = await openRegistry(registryPath(dataDir));
  const active = await registry.active();
  const loaded: { model?: LoraModel } = {};
  let registered: string | null = null;
  let promoted = false;
  try {
    const { resolved, tokenizer } = await step('resolve-base', async () => {
      const resolved = await resolveBase(base, {
        dataDir,
        seedDir,
        threads: options.threads,
        signal,
        onProgress: (event) => onProgress({ type: 'train', event }),
      });
      return { resolved, tokenizer: await AutoTokenizer.from_pretrained(resolved.dir, { local_files_only: true }) };
    });
    info('resolve-base', `base model ${resolved.name}${resolved.name === resolved.dir ? '' : ` (${resolved.dir})`}`);

    const preparedAt = new Date();
    const { prepared, rules } = await step('prepare', async () => {
      const store =
        storeDir === null ? undefined : await services.openStore({ dir: storeDir, salt: options.storeSalt });
      try {
        const rules = store ? await services.readerOf(store) : services.rules;
        const prepared = await prepareDataset({
          store,
          seedDir: seedDir ?? undefined,
          tokenizer,
          maxTokens: hp.maxSeqLen,
          validationFraction: hp.validationFraction,
          knownNames: options.knownNames,
        });
        return { prepared, rules };
      } finally {
        await store?.close();
      }
    });
    const trainSet = capped(
      prepared.examples.filter((e) => e.split === 'train'),
      hp.maxTrainExamples,
      hp.seed,
    );
    const validationSet = capped(
      prepared.examples.filter((e) => e.split === 'validation'),
      hp.maxValidationExamples,
      hp.seed,
    );
    const taught = taughtSlice(validationSet, [...trainSet, ...validationSet]);
    info(
      'prepare',
      `${prepared.report.kept} conversations prepared (${prepared.report.bySource.store} from moderated exchanges, ${prepared.report.bySlice.taught} taught); training on ${trainSet.length}, validating on ${validationSet.length}`,
    );

    const encoded = await step('encode', async () => {
      const encodeOptions = { maxSeqLen: hp.maxSeqLen };
      const trainEncoded = encodeChats(
        tokenizer,
        [...trainSet.map((e) => e.chat), ...(options.extraTrain ?? [])],
        encodeOptions,
      );
      const validationEncoded = encodeChats(
        tokenizer,
        validationSet.map((e) => e.chat),
        encodeOptions,
      );
      if (trainEncoded.examples.length === 0) throw new RetrainError(`nothing to train on: ${describeEmpty(prepared)}`);
      const config = await readLlamaConfig(resolved.dir);
      const padId = config.padTokenId ?? config.eosTokenIds[0] ?? 0;
      return {
        train: trainEncoded.examples.length,
        validation: validationEncoded.examples.length,
        unencodable: trainEncoded.dropped.length + validationEncoded.dropped.length,
        data: batchedData(trainEncoded.examples, validationEncoded.examples, {
          batchSize: hp.batchSize,
          padId,
          maxSeqLen: hp.maxSeqLen,
        }),
      };
    });

    const { candidate, training } = await step('train', async () => {
      const candidate = await LoraModel.load(resolved.dir, { lora, seed: hp.seed, threads: options.threads });
      loaded.model = candidate;
      const training = await train(
        candidate,
        encoded.data,
        {
          epochs: hp.epochs,
          learningRate: hp.learningRate,
          warmupRatio: hp.warmupRatio,
          weightDecay: hp.weightDecay,
          gradientAccumulation: hp.gradientAccumulation,
          seed: hp.seed,
        },
        { signal, onProgress: (event) => onProgress({ type: 'train', event }) },
      );
      return { candidate, training };
    });

    const versionDir = join(workDir, 'version');
    const adapterDir = join(versionDir, 'adapter');
    const modelDir = join(versionDir, 'model');
    await step('save-adapter', () =>
      saveLoraAdapter(adapterDir, {
        ...candidate.adapter(),
        baseModelNameOrPath: resolved.name === TINY_BASE ? resolved.dir : resolved.name,
      }),
    );
    await step('export', () => exportModel({ modelDir: resolved.dir, adapterDir, outDir: modelDir }));

    const { evaluation, decision } = await step('evaluate', async () => {
      const evaluation = await evaluateCandidate({
        services: { ...services, rules },
        candidate,
        candidateModelDir: modelDir,
        baseDir: resolved.dir,
        baseModel: resolved.name,
        active,
        validation: { batches: encoded.data.validationBatches(), examples: validationSet },
        taught: taught?.examples,
        training,
        signal,
        threads: options.threads,
        dtype: options.dtype,
        generationSamples: options.generationSamples,
      });
      return { evaluation, decision: decidePromotion(evaluation, options.gate) };
    });
    info('evaluate', `${decision.promote ? 'passes' : 'fails'} the gate: ${decision.reason}`);

    const hyperparameters = manifestHyperparameters(hp, lora);
    const taughtSummary = taught && { examples: taught.examples.length, scoredOn: taught.scoredOn };
    await step('report', () =>
      writeReport(versionDir, {
        format: 'weatherbot-retrain-report/1',
        startedAt: startedAt.toISOString(),
        writtenAt: new Date().toISOString(),
        baseModel: resolved.name,
        baseDir: resolved.dir,
        parent: active?.id ?? null,
        dataset: {
          sha256: prepared.manifest.sha256,
          prepared: prepared.report,
          train: encoded.train,
          validation: encoded.validation,
          unencodable: encoded.unencodable,
        },
        hyperparameters,
        slices: { everyday: validationSet.filter((e) => e.slice !== 'taught').length, taught: taughtSummary },
        training: {
          steps: training.steps,
          epochs: training.epochs,
          initialValidationLoss: training.initialValidationLoss,
          bestValidationLoss: training.bestValidationLoss,
          bestEpoch: training.bestEpoch,
          stoppedEarly: training.stoppedEarly,
          tokensSeen: training.tokensSeen,
          elapsedMs: training.elapsedMs,
          tokensPerSecond: training.tokensSeen / Math.max(training.elapsedMs / 1000, 1e-9),
          history: training.history,
        },
        metrics: evaluation.metrics,
        active: evaluation.active,
        decision,
        timings,
      }),
    );

    const version = await step('register', async () => {
      const version = await registry.register(
        versionDir,
        {
          baseModel: resolved.name,
          dataset: { hash: `sha256:${prepared.manifest.sha256}`, examples: encoded.train },
          hyperparameters,
          metrics: evaluation.metrics,
          parent: active?.id ?? null,
          note: options.note ?? `gate ${decision.promote ? 'passed' : 'failed'}: ${decision.reason}`,
        },
        { move: true },
      );
      registered = version.id;
      onProgress({ type: 'registered', versionId: version.id });
      return version;
    });

    const outcome = await step('promote', () => promote(registry, version.id, active?.id ?? null, decision));
    promoted = outcome.promote;
    info('promote', `${version.id} ${promoted ? 'is now active' : 'stays a candidate'}: ${outcome.reason}`);
    await writeLastTraining(dataDir, {
      versionId: version.id,
      promoted,
      preparedAt: preparedAt.toISOString(),
      finishedAt: new Date().toISOString(),
    });
    return {
      versionId: version.id,
      promoted,
      reason: outcome.reason,
      metrics: evaluation.metrics,
      reportPath: join(version.dir, REPORT_FILES.markdown),
      chartPath: join(version.dir, REPORT_FILES.picture),
      durationMs: Math.round(performance.now() - started),
      baseModel: resolved.name,
      parent: active?.id ?? null,
      dataset: { sha256: prepared.manifest.sha256, train: encoded.train, validation: encoded.validation },
      taught: taughtSummary,
    };
  } catch (error) {
    if (registered !== null && !promoted) {
      const what = error instanceof RetrainCancelledError ? 'was cancelled' : `failed (${(error as Error).message})`;
      await registry
        .markFailed(registered, `the job that registered it ${what} before promoting it`)
        .catch(() => undefined);
    }
    throw error;
  } finally {
    await loaded.model?.dispose();
    await rm(workDir, { recursive: true, force: true });
  }
}

/** Activates the candidate if the gate passed and nobody switched the active version while it trained. */
async function promote(
  registry: Awaited<ReturnType<typeof openRegistry>>,
  id: string,
  activeAtStart: string | null,
  decision: GateDecision,
): Promise<GateDecision> {
  if (!decision.promote) return decision;
  const now = (await registry.active())?.id ?? null;
  if (now !== activeAtStart) {
    return {
      promote: false,
      reason: `the active version changed to ${now ?? 'none'} during training (it was ${activeAtStart ?? 'none'}); activate ${id} by hand if it should replace it`,
    };
  }
  await registry.activate(id);
  return decision;
}

/** At most `cap` examples: moderated exchanges first, then seed examples, each group in a seeded random order. */
function capped(examples: PreparedExample[], cap: number, seed: number): PreparedExample[] {
  if (examples.length <= cap) return examples;
  const random = seededRandom(seed);
  const shuffled = (list: PreparedExample[]) => {
    const out = [...list];
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [out[i], out[j]] = [out[j], out[i]];
    }
    return out;
  };
  return [
    ...shuffled(examples.filter((e) => e.source === 'store')),
    ...shuffled(examples.filter((e) => e.source === 'seed')),
  ].slice(0, cap);
}

function describeEmpty(prepared: PreparedDataset): string {
  const dropped = Object.entries(prepared.report.dropped)
    .filter(([, n]) => n > 0)
    .map(([why, n]) => `${n} ${why}`);
  return `${prepared.report.considered} records looked at, none usable for training${dropped.length > 0 ? ` (${dropped.join(', ')})` : ''}; approve some answers or give a seed`;
}

function manifestHyperparameters(hp: Hyperparameters, lora: LoraConfig): Record<string, Hyperparameter> {
  return { ...hp, loraTargets: lora.targetModules.join(',') };
}
