/**
 * A model the trainer can train: its graphs run in ORT sessions, answering loss (and gradients)
 * for a batch. LoRA and full fine-tuning differ only in what they train — an adapter over frozen
 * weights (LoraModel) or every weight (FullModel) — and so in which weights are graph inputs fed
 * as parameters; the graphs, feeds and sessions are ModelRunner's, written once.
 */
import { gradients } from '../engine/autodiff';
import type { Graph } from '../engine/graph';
import { Runner, type Feed, type RunnerOptions } from '../engine/session';
import type { Batch, LossResult, TrainableModel, TrainableParameter } from '../trainer/trainable';
import type { LlamaConfig } from './llama-config';
import { modelFamily } from './families';
import { readLlamaConfig } from './hf-config';
import { initLoraWeights } from './init';
import type { GraphWeight } from './llama';
import { loraShapes, type LoraAdapter, type LoraConfig } from './lora';
import { loadWeights, saveWeights, WeightsError } from './weights';

export interface SessionOptions {
  /** Intra-op threads per session; ORT's default when omitted. */
  threads?: number;
  optimization?: RunnerOptions['optimization'];
}

/** Token ids of a batch for the logits graph. */
export type TokenBatch = Pick<Batch, 'batchSize' | 'seqLen' | 'inputIds' | 'attentionMask'>;

type GraphKind = 'train' | 'loss' | 'logits';

/**
 * Loss, gradients and logits of the model for any batch. One ORT session per graph kind serves
 * every batch shape: its batch and length are symbolic (measured as fast as per-shape static
 * sessions, without a session and an arena per bucket). Frozen weights are fed as inputs, so the
 * sessions share the one copy held here (initializers measured ~3% faster but cost +2.7 GB per
 * session). The training graph returns `grad.<name>` for each parameter.
 */
export class ModelRunner implements TrainableModel {
  private readonly sessions = new Map<GraphKind, Promise<Runner>>();
  private readonly frozenFeeds: Record<string, Feed>;

  constructor(
    readonly config: LlamaConfig,
    /** Weights held fixed (graph layout), by HF name. */
    frozen: ReadonlyMap<string, GraphWeight>,
    /** What the trainer updates, by graph input name: LoRA matrices or the weights themselves. */
    readonly parameters: ReadonlyMap<string, TrainableParameter>,
    /** The adapter the graphs carry, when one is trained. */
    readonly lora: LoraConfig | undefined,
    private readonly options: SessionOptions = {},
  ) {
    this.frozenFeeds = Object.fromEntries([...frozen].map(([name, w]) => [name, w.data as Float32Array]));
  }

  async lossAndGradients(batch: Batch): Promise<LossResult & { gradients: Map<string, Float32Array> }> {
    const counted = lossRows(batch);
    if (counted.tokens === 0) {
      const zeros = new Map([...this.parameters].map(([name, p]) => [name, new Float32Array(p.data.length)]));
      return { loss: 0, tokens: 0, gradients: zeros };
    }
    const runner = await this.session('train');
    const out = await runner.run(this.feeds(batch, counted));
    const grads = new Map([...this.parameters.keys()].map((name) => [name, out[`grad.${name}`].data as Float32Array]));
    return { loss: Number(out.loss.data[0]), tokens: counted.tokens, gradients: grads };
  }

  async loss(batch: Batch): Promise<LossResult> {
    const counted = lossRows(batch);
    if (counted.tokens === 0) return { loss: 0, tokens: 0 };
    const runner = await this.session('loss');
    const out = await runner.run(this.feeds(batch, counted));
    return { loss: Number(out.loss.data[0]), tokens: counted.tokens };
  }

  /** Logits [B, T, V] of every position, row-major. */
  async logits(batch: TokenBatch): Promise<Float32Array> {
    const runner = await this.session('logits');
    const out = await runner.run({ ...this.frozenFeeds, ...this.parameterFeeds(), ...tokenFeeds(batch) });
    return out.logits.data as Float32Array;
  }

  async dispose(): Promise<void> {
    const sessions = [...this.sessions.values()];
    this.sessions.clear();
    await Promise.all(sessions.map(async (s) => (await s).release()));
  }

  private parameterFeeds(): Record<string, Feed> {
    return Object.fromEntries([...this.parameters].map(([name, p]) => [name, p.data]));
  }

  private feeds(batch: Batch, counted: LossRows): Record<string, Feed> {
    const dims = [counted.tokens];
    return {
      ...this.frozenFeeds,
      ...this.parameterFeeds(),
      ...tokenFeeds(batch),
      loss_positions: { data: counted.positions, dims },
      loss_targets: { data: counted.targets, dims },
      loss_weights: { data: counted.weights, dims },
    };
  }

  /** One session per graph kind, whatever the batch shape (symbolic batch and length). */
  private session(kind: GraphKind): Promise<Runner> {
    let session = this.sessions.get(kind);
    if (!session) {
      const { threads, optimization } = this.options;
      session = Runner.create(this.graph(kind), { intraOpThreads: threads, optimization });
      this.sessions.set(kind, session);
      session.catch(() => this.sessions.delete(kind));
    }
    return session;
  }

  private graph(kind: GraphKind): Graph {
    const definition = modelFamily(this.config.modelType).definition;
    const shape = { batch: 'batch', seq: 'seq', lora: this.lora };
    if (kind === 'logits') return definition.buildLogitsGraph(this.config, shape).graph;
    const { graph, loss, lora, frozenInputs } = definition.buildLossGraph(this.config, shape);
    if (kind === 'train') {
      // The weight inputs that are parameters, in the graph's order.
      const trained = [...lora.values(), ...frozenInputs.values()].filter((input) => this.parameters.has(input.name));
      gradients(loss, trained).forEach((grad, i) => graph.output(`grad.${trained[i].name}`, grad));
    }
    return graph;
  }
}

/** Copies, so that training never writes into the tensors it was given. */
function parametersOf(tensors: ReadonlyMap<string, GraphWeight>): Map<string, TrainableParameter> {
  return new Map([...tensors].map(([name, t]) => [name, { shape: [...t.shape], data: Float32Array.from(t.data) }]));
}

export interface LoraModelOptions extends SessionOptions {
  /** Rank, alpha and targets of a new adapter; ignored when `adapter` is given. */
  lora?: LoraConfig;
  /** Seeds a new adapter's A matrices. */
  seed?: number;
  /** Continue from these LoRA weights (loadLoraAdapter). */
  adapter?: LoraAdapter;
}

/** A base model with a LoRA adapter, frozen but for the adapter. */
export class LoraModel extends ModelRunner {
  constructor(
    config: LlamaConfig,
    override readonly lora: LoraConfig,
    weights: ReadonlyMap<string, GraphWeight>,
    parameters: ReadonlyMap<string, TrainableParameter>,
    options: SessionOptions = {},
    /** Where the base came from, for adapter_config.json. */
    readonly baseModel: string | null = null,
  ) {
    for (const [name, shape] of loraShapes(config, lora)) {
      const p = parameters.get(name);
      if (!p || p.shape.join(',') !== shape.join(','))
        throw new WeightsError(`LoRA tensor ${name}: expected [${shape}], got ${p ? `[${p.shape}]` : 'nothing'}`);
    }
    super(config, weights, parameters, lora, options);
  }

  /** Loads config.json and the weights of `modelDir`, with a new adapter or `options.adapter`. */
  static async load(modelDir: string, options: LoraModelOptions): Promise<LoraModel> {
    const config = await readLlamaConfig(modelDir);
    const lora = options.adapter?.lora ?? options.lora;
    if (!lora) throw new Error('LoraModel.load needs options.lora or options.adapter');
    const weights = await loadWeights(modelDir, config);
    const initial = options.adapter?.weights ?? initLoraWeights(config, lora, options.seed ?? 0);
    const baseModel = options.adapter?.baseModelNameOrPath ?? modelDir;
    return new LoraModel(config, lora, weights, parametersOf(initial), options, baseModel);
  }

  /** The current LoRA weights as a PEFT adapter (copies), for saveLoraAdapter or merging. */
  adapter(): LoraAdapter {
    return { lora: this.lora, weights: parametersOf(this.parameters), baseModelNameOrPath: this.baseModel };
  }
}

/**
 * Every weight trained (graph layout: Linear weights [in, out]), by HF name. Pretrains the tiny
 * base, whose random weights LoRA alone cannot turn into a model of the protocol.
 */
export class FullModel extends ModelRunner {
  constructor(config: LlamaConfig, weights: ReadonlyMap<string, GraphWeight>, options: SessionOptions = {}) {
    super(config, new Map(), parametersOf(weights), undefined, options);
  }

  static async load(modelDir: string, options: SessionOptions = {}): Promise<FullModel> {
    const config = await readLlamaConfig(modelDir);
    return new FullModel(config, await loadWeights(modelDir, config), options);
  }

  /** Writes the current weights over `modelDir`'s model.safetensors (F32, HF layout). */
  save(modelDir: string): Promise<void> {
    return saveWeights(modelDir, this.config, this.parameters);
  }
}

function tokenFeeds(batch: TokenBatch): Record<string, Feed> {
  const dims = [batch.batchSize, batch.seqLen];
  return { input_ids: { data: batch.inputIds, dims }, attention_mask: { data: batch.attentionMask, dims } };
}

interface LossRows {
  tokens: number;
  positions: BigInt64Array;
  targets: BigInt64Array;
  weights: Float32Array;
}

/** The flat positions whose targets count (lossMask ≠ 0), with their targets and weights. */
export function lossRows(batch: Batch): LossRows {
  const size = batch.batchSize * batch.seqLen;
  for (const [field, data] of [
    ['inputIds', batch.inputIds],
    ['attentionMask', batch.attentionMask],
    ['targets', batch.targets],
    ['lossMask', batch.lossMask],
  ] as const) {
    if (data.length !== size)
      throw new Error(`batch.${field} has ${data.length} values, not ${batch.batchSize}x${batch.seqLen}`);
  }
  const at: number[] = [];
  batch.lossMask.forEach((w, i) => {
    if (w !== 0) at.push(i);
  });
  return {
    tokens: at.length,
    positions: BigInt64Array.from(at, (i) => BigInt(i)),
    targets: BigInt64Array.from(at, (i) => batch.targets[i]),
    weights: Float32Array.from(at, (i) => batch.lossMask[i]),
  };
}
