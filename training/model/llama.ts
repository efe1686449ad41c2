/**
 * The Llama-family model (Llama, SmolLM, Mistral without a sliding window, Qwen2's q/k/v bias)
 * written once against the graph builder, in nanoGPT's order: parameters, RMSNorm, attention,
 * MLP, block, the decoder that stacks them, the LM head; then the graphs built from it (the
 * training loss with LoRA gradients; logits of whole sequences; one decoding step with a KV
 * cache, as transformers.js runs it) and `LoraModel`, which runs them for the trainer. Shape comments name B batch, T new tokens, S keys (past + new), C hidden
 * size, nh/kv query/key-value heads, hs head size, g = nh/kv queries per key-value head.
 *
 * Frozen weights enter a graph as inputs (default) or initializers; Linear weights in graph
 * layout [in, out] (transposed once at load, so no Transpose runs per step).
 */
import { gradients } from '../engine/autodiff';
import { Graph } from '../engine/graph';
import type { Dim, Value } from '../engine/graph';
import { crossEntropy } from '../engine/loss';
import * as op from '../engine/ops';
import { Runner } from '../engine/session';
import type { Feed, RunnerOptions } from '../engine/session';
import type { Batch, LossResult, TrainableModel, TrainableParameter } from '../trainer/trainable';
import { llamaWeightShapes, readLlamaConfig, type LlamaConfig } from './config';
import { initLoraWeights, loraNames, loraScale, loraShapes, modulePath, type LoraAdapter, type LoraConfig, type LoraTarget } from './lora';
import { applyRope, ropeTables, type RopeTables } from './rope';
import { openSafetensors } from './safetensors';

export type FloatType = 'float32' | 'float64';

// ─── parameters ─────────────────────────────────────────────────────────────────────────────

export interface LoraParams {
  readonly a: Value; // [r, in]
  readonly b: Value; // [out, r]
  readonly scale: number;
}

export interface LinearParams {
  readonly weight: Value; // [in, out]
  readonly bias?: Value; // [out]
  readonly lora?: LoraParams;
}

export interface BlockParams {
  readonly inputNorm: Value; // [C]
  readonly q: LinearParams;
  readonly k: LinearParams;
  readonly v: LinearParams;
  readonly o: LinearParams;
  readonly postNorm: Value; // [C]
  readonly gate: LinearParams;
  readonly up: LinearParams;
  readonly down: LinearParams;
}

export interface LlamaParams {
  readonly embed: Value; // [V, C]
  readonly blocks: readonly BlockParams[];
  readonly norm: Value; // [C]
  /** [V, C]: the embedding itself when tied. */
  readonly head: Value;
}

/** The graph value of a frozen weight, by HF name and graph shape (Linear weights [in, out]). */
export type WeightSource = (name: string, shape: number[]) => Value;

/** HF's [out, in] Linear weights are [in, out] in a graph; every other weight keeps its shape. */
export function graphShape(name: string, hfShape: readonly number[]): number[] {
  return isLinearWeight(name) ? [hfShape[1], hfShape[0]] : [...hfShape];
}

function isLinearWeight(name: string): boolean {
  return name.endsWith('_proj.weight');
}

/**
 * Every parameter of the model as graph values: frozen weights from `frozen`, LoRA matrices
 * (PEFT names) from `trainable`, when `lora` is given.
 */
export function llamaParams(config: LlamaConfig, frozen: WeightSource, lora?: { config: LoraConfig; trainable: WeightSource }): LlamaParams {
  const shapes = llamaWeightShapes(config);
  const weight = (name: string): Value => frozen(name, graphShape(name, shapes.get(name)!));
  const loraShape = lora ? loraShapes(config, lora.config) : new Map<string, number[]>();
  const adapter = (layer: number, target: LoraTarget): { lora?: LoraParams } => {
    if (!lora?.config.targetModules.includes(target)) return {};
    const { a, b } = loraNames(layer, target);
    return { lora: { a: lora.trainable(a, loraShape.get(a)!), b: lora.trainable(b, loraShape.get(b)!), scale: loraScale(lora.config) } };
  };
  const linear = (layer: number, target: LoraTarget): LinearParams => {
    const prefix = `model.layers.${layer}.${modulePath(target)}`;
    const bias = shapes.has(`${prefix}.bias`) ? { bias: weight(`${prefix}.bias`) } : {};
    return { weight: weight(`${prefix}.weight`), ...bias, ...adapter(layer, target) };
  };
  const embed = weight('model.embed_tokens.weight');
  const blocks = Array.from({ length: config.numHiddenLayers }, (_, i): BlockParams => ({
    inputNorm: weight(`model.layers.${i}.input_layernorm.weight`),
    q: linear(i, 'q_proj'),
    k: linear(i, 'k_proj'),
    v: linear(i, 'v_proj'),
    o: linear(i, 'o_proj'),
    postNorm: weight(`model.layers.${i}.post_attention_layernorm.weight`),
    gate: linear(i, 'gate_proj'),
    up: linear(i, 'up_proj'),
    down: linear(i, 'down_proj'),
  }));
  const norm = weight('model.norm.weight');
  return { embed, blocks, norm, head: config.tieWordEmbeddings ? embed : weight('lm_head.weight') };
}

// ─── layers ─────────────────────────────────────────────────────────────────────────────────

/** x·W (+ b) (+ scale·x·Aᵀ·Bᵀ, the scale applied on the narrow rank-r side). */
export function linear(x: Value, p: LinearParams): Value {
  let y = op.matmul(x, p.weight); // (..., out)
  if (p.bias) y = op.add(y, p.bias);
  if (p.lora) {
    const down = op.mul(op.matmul(x, op.transpose(p.lora.a)), p.lora.scale); // (..., r)
    y = op.add(y, op.matmul(down, op.transpose(p.lora.b))); // (..., out)
  }
  return y;
}

export function rmsNorm(x: Value, weight: Value, eps: number): Value {
  const inverseRms = op.reciprocal(op.sqrt(op.add(op.reduceMean(op.mul(x, x), [-1], true), eps))); // (..., 1)
  return op.mul(op.mul(x, inverseRms), weight);
}

/** Keys and values of one layer, (B, kv, S, hs): the KV cache's layout. */
export interface KeyValue {
  readonly key: Value;
  readonly value: Value;
}

/** What every layer's attention shares: RoPE tables and the mask. */
export interface AttentionContext {
  /** RoPE for queries with 1/√hs folded in, and for keys. */
  readonly ropeQ: RopeTables;
  readonly ropeK: RopeTables;
  /** (B, 1, 1, T, S): 0 where a query may attend a key, the dtype's lowest value elsewhere. */
  readonly maskBias: Value;
}

const LOWEST: Record<FloatType, number> = { float32: -3.4028234663852886e38, float64: -Number.MAX_VALUE };

/**
 * RoPE tables and the causal + padding mask. `attentionMask` [B, S] int64 (1 = real token)
 * covers past and new tokens; `positionIds` [B, T] defaults to 0..T−1 after the past;
 * `pastLength` (a scalar int64, run-time) is 0 without a cache.
 */
export function attentionContext(
  config: LlamaConfig,
  dtype: FloatType,
  { inputIds, attentionMask, positionIds, pastLength }: { inputIds: Value; attentionMask: Value; positionIds?: Value; pastLength?: Value },
): AttentionContext {
  const graph = inputIds.graph;
  const newTokens = op.indicesAlong(inputIds, 1); // (T)
  const queryIndex = pastLength ? op.add(newTokens, pastLength) : newTokens; // index of each query among the keys
  const positions = positionIds ?? queryIndex;
  const causal = op.lessOrEqual(op.unsqueeze(op.indicesAlong(attentionMask, 1), [0]), op.unsqueeze(queryIndex, [1])); // (T, S)
  const keep = op.unsqueeze(op.cast(attentionMask, 'bool'), [1, 2, 3]); // (B, 1, 1, 1, S)
  const maskBias = op.where(op.logicalAnd(causal, keep), graph.scalar(0, dtype), LOWEST[dtype]); // (B, 1, 1, T, S)
  return {
    ropeQ: ropeTables(config, positions, dtype, 1 / Math.sqrt(config.headDim)),
    ropeK: ropeTables(config, positions, dtype),
    maskBias,
  };
}

/**
 * Causal self-attention with grouped key-value heads: the g query heads that share a key-value
 * head are an axis of their own, so keys and values broadcast instead of being repeated.
 * `past` (B, kv, P, hs) is prepended to this step's keys and values; `present` returns them all.
 */
export function attention(x: Value, p: BlockParams, context: AttentionContext, config: LlamaConfig, past?: KeyValue): { y: Value; present: KeyValue } {
  const { numAttentionHeads: nh, numKeyValueHeads: kv, headDim: hs } = config;
  const [B, T] = x.shape;
  const heads = (y: Value, perKv: number) => op.transpose(op.reshape(y, [B, T, kv, perKv, hs]), [0, 2, 3, 1, 4]);
  const q = applyRope(heads(linear(x, p.q), nh / kv), context.ropeQ); // (B, kv, g, T, hs), scaled by 1/√hs
  let k = applyRope(heads(linear(x, p.k), 1), context.ropeK); // (B, kv, 1, T, hs)
  let v = heads(linear(x, p.v), 1); // (B, kv, 1, T, hs)
  if (past) {
    k = op.concat([op.unsqueeze(past.key, [2]), k], 3); // (B, kv, 1, S, hs)
    v = op.concat([op.unsqueeze(past.value, [2]), v], 3);
  }
  const scores = op.add(op.matmul(q, op.transposeLast2(k)), context.maskBias); // (B, kv, g, T, S)
  const weights = op.softmax(scores, -1);
  const y = op.matmul(weights, v); // (B, kv, g, T, hs)
  const merged = op.reshape(op.transpose(y, [0, 3, 1, 2, 4]), [B, T, nh * hs]); // (B, T, nh·hs)
  return { y: linear(merged, p.o), present: { key: op.squeeze(k, [2]), value: op.squeeze(v, [2]) } };
}

/** SwiGLU: down(silu(gate(x)) · up(x)). */
export function mlp(x: Value, p: BlockParams): Value {
  const gate = linear(x, p.gate); // (B, T, ff)
  return linear(op.mul(op.mul(gate, op.sigmoid(gate)), linear(x, p.up)), p.down); // (B, T, C)
}

export function block(x: Value, p: BlockParams, context: AttentionContext, config: LlamaConfig, past?: KeyValue): { x: Value; present: KeyValue } {
  const { y, present } = attention(rmsNorm(x, p.inputNorm, config.rmsNormEps), p, context, config, past);
  const h = op.add(x, y); // (B, T, C)
  return { x: op.add(h, mlp(rmsNorm(h, p.postNorm, config.rmsNormEps), p)), present };
}

/** Embedding and every block: the residual stream (B, T, C) before the final norm, and each layer's keys and values. */
export function decoder(
  config: LlamaConfig,
  params: LlamaParams,
  inputIds: Value,
  context: AttentionContext,
  pasts?: readonly KeyValue[],
): { hidden: Value; presents: KeyValue[] } {
  let x = op.gather(params.embed, inputIds); // (B, T, C)
  const presents: KeyValue[] = [];
  params.blocks.forEach((p, i) => {
    const out = block(x, p, context, config, pasts?.[i]);
    x = out.x;
    presents.push(out.present);
  });
  return { hidden: x, presents };
}

/** Final norm and LM head: (..., C) → (..., V). Rows [N, C] go through one Gemm against the [V, C] head. */
export function lmHead(config: LlamaConfig, params: LlamaParams, hidden: Value): Value {
  const h = rmsNorm(hidden, params.norm, config.rmsNormEps);
  return h.rank === 2 ? op.gemm(h, params.head, { transB: true }) : op.matmul(h, op.transpose(params.head)); // (..., V)
}

// ─── graphs ─────────────────────────────────────────────────────────────────────────────────

export interface GraphWeight {
  readonly shape: readonly number[];
  readonly data: Float32Array | Float64Array;
}

export interface LlamaGraphOptions {
  readonly batch: Dim;
  readonly seq: Dim;
  readonly dtype?: FloatType;
  readonly lora?: LoraConfig;
  /** Frozen weights as initializers holding these (graph layout); graph inputs when omitted. */
  readonly initializers?: ReadonlyMap<string, GraphWeight>;
}

export interface LlamaGraph {
  readonly graph: Graph;
  readonly params: LlamaParams;
  /** The LoRA inputs, by PEFT name. */
  readonly lora: ReadonlyMap<string, Value>;
  /** The frozen weights that are graph inputs, by HF name. */
  readonly frozenInputs: ReadonlyMap<string, Value>;
}

/** A graph with every parameter of the model: frozen weights as inputs or initializers, LoRA as inputs. */
function graphWithParams(name: string, config: LlamaConfig, options: Omit<LlamaGraphOptions, 'batch' | 'seq'>) {
  const graph = new Graph(name);
  const dtype = options.dtype ?? 'float32';
  const frozenInputs = new Map<string, Value>();
  const lora = new Map<string, Value>();
  const frozen: WeightSource = (weightName, shape) => {
    if (!options.initializers) {
      const value = graph.input(weightName, dtype, shape);
      frozenInputs.set(weightName, value);
      return value;
    }
    const weight = options.initializers.get(weightName);
    if (!weight) throw new WeightsError(`no weight ${weightName} among the initializers`);
    return graph.initializer(weightName, weight.data, shape);
  };
  const trainable: WeightSource = (weightName, shape) => {
    const value = graph.input(weightName, dtype, shape);
    lora.set(weightName, value);
    return value;
  };
  const params = llamaParams(config, frozen, options.lora && { config: options.lora, trainable });
  return { graph, dtype, params, lora, frozenInputs };
}

/** The residual stream (B, T, C) of a whole sequence: inputs input_ids, attention_mask [B, T] int64. */
function startGraph(name: string, config: LlamaConfig, options: LlamaGraphOptions) {
  const start = graphWithParams(name, config, options);
  const inputIds = start.graph.input('input_ids', 'int64', [options.batch, options.seq]);
  const attentionMask = start.graph.input('attention_mask', 'int64', [options.batch, options.seq]);
  const { hidden } = decoder(config, start.params, inputIds, attentionContext(config, start.dtype, { inputIds, attentionMask }));
  return { ...start, hidden };
}

/**
 * The training loss: masked mean cross-entropy of the tokens at `loss_positions` (flat indices
 * into B·T, a run-time count M), whose hidden rows alone go through the final norm and the LM
 * head — logits [M, V] instead of [B, T, V]. Inputs input_ids, attention_mask [B, T] int64;
 * loss_positions, loss_targets [M] int64; loss_weights [M]. Outputs `loss` and, with
 * `withGradients`, `grad.<PEFT name>` for every LoRA matrix.
 */
export function buildLossGraph(config: LlamaConfig, options: LlamaGraphOptions & { withGradients?: boolean }): LlamaGraph & { loss: Value } {
  const { graph, dtype, params, lora, frozenInputs, hidden } = startGraph('llama-loss', config, options);
  const positions = graph.input('loss_positions', 'int64', ['tokens']);
  const targets = graph.input('loss_targets', 'int64', ['tokens']);
  const weights = graph.input('loss_weights', dtype, ['tokens']);
  const rows = op.gather(op.reshape(hidden, [-1, config.hiddenSize]), positions); // (M, C)
  const loss = crossEntropy(lmHead(config, params, rows), targets, weights); // logits (M, V)
  graph.output('loss', loss);
  if (options.withGradients) {
    const values = [...lora.values()];
    gradients(loss, values).forEach((grad, i) => graph.output(`grad.${values[i].name}`, grad));
  }
  return { graph, params, lora, frozenInputs, loss };
}

/** Logits [B, T, V] for every position (parity checks, evaluation). Inputs input_ids, attention_mask. */
export function buildLogitsGraph(config: LlamaConfig, options: LlamaGraphOptions): LlamaGraph & { logits: Value } {
  const { graph, params, lora, frozenInputs, hidden } = startGraph('llama-logits', config, options);
  const logits = lmHead(config, params, hidden); // (B, T, V)
  graph.output('logits', logits);
  return { graph, params, lora, frozenInputs, logits };
}

/**
 * One decoding step with a KV cache, in the input and output names transformers.js feeds:
 * input_ids, position_ids [B, T]; attention_mask [B, P+T]; past_key_values.{i}.key/.value
 * (B, kv, P, hs) → logits [B, T, V] and present.{i}.key/.value (B, kv, P+T, hs). Batch and both
 * lengths are symbolic; P may be 0 (the prompt).
 */
export function buildCachedLogitsGraph(config: LlamaConfig, options: Omit<LlamaGraphOptions, 'batch' | 'seq'>): LlamaGraph & { logits: Value } {
  const { graph, dtype, params, lora, frozenInputs } = graphWithParams('llama-cached', config, options);
  const [B, T, P] = ['batch_size', 'sequence_length', 'past_sequence_length'];
  const inputIds = graph.input('input_ids', 'int64', [B, T]);
  const attentionMask = graph.input('attention_mask', 'int64', [B, `${P}+${T}`]);
  const positionIds = graph.input('position_ids', 'int64', [B, T]);
  const pasts = params.blocks.map((_, i): KeyValue => ({
    key: graph.input(`past_key_values.${i}.key`, dtype, [B, config.numKeyValueHeads, P, config.headDim]),
    value: graph.input(`past_key_values.${i}.value`, dtype, [B, config.numKeyValueHeads, P, config.headDim]),
  }));
  const pastLength = op.squeeze(op.shapeOf(pasts[0].key, 2, 3), [0]);
  const context = attentionContext(config, dtype, { inputIds, attentionMask, positionIds, pastLength });
  const { hidden, presents } = decoder(config, params, inputIds, context, pasts);
  const logits = lmHead(config, params, hidden); // (B, T, V)
  graph.output('logits', logits);
  presents.forEach((present, i) => {
    graph.output(`present.${i}.key`, present.key);
    graph.output(`present.${i}.value`, present.value);
  });
  return { graph, params, lora, frozenInputs, logits };
}

// ─── weights ────────────────────────────────────────────────────────────────────────────────

export class WeightsError extends Error {
  override name = 'WeightsError';
}

/** Tensors a checkpoint may carry that the model does not read. */
const IGNORED_WEIGHTS = /(^|\.)rotary_emb\.inv_freq$/;

/**
 * Reads a model folder's safetensors (one file or shards; F32, F16 or BF16) into graph layout:
 * every weight `llamaWeightShapes` names, shape checked, Linear weights transposed to [in, out].
 * A missing weight, a wrong shape or a tensor the model does not know is an error naming it.
 */
export async function loadLlamaWeights(modelDir: string, config: LlamaConfig): Promise<Map<string, GraphWeight>> {
  const shapes = llamaWeightShapes(config);
  const reader = await openSafetensors(modelDir);
  const weights = new Map<string, GraphWeight>();
  try {
    const unknown = reader.names.filter((n) => !shapes.has(n) && !IGNORED_WEIGHTS.test(n) && !(n === 'lm_head.weight' && config.tieWordEmbeddings));
    if (unknown.length > 0) throw new WeightsError(`${modelDir}: tensors this ${config.modelType} configuration does not have: ${unknown.slice(0, 5).join(', ')}${unknown.length > 5 ? ', ...' : ''}`);
    for (const [name, shape] of shapes) {
      if (!reader.has(name)) throw new WeightsError(`${modelDir}: weight "${name}" [${shape}] is missing`);
      const tensor = await reader.readFloat32(name);
      if (tensor.shape.join(',') !== shape.join(',')) throw new WeightsError(`${modelDir}: weight "${name}" is [${tensor.shape}], config.json implies [${shape}]`);
      weights.set(name, isLinearWeight(name) ? { shape: graphShape(name, shape), data: transposed(tensor.data, shape[0], shape[1]) } : tensor);
    }
  } finally {
    await reader.close();
  }
  return weights;
}

/** A row-major [rows, cols] matrix as [cols, rows]. */
export function transposed(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) out[c * rows + r] = data[r * cols + c];
  }
  return out;
}

// ─── the trainable model ────────────────────────────────────────────────────────────────────

export interface LoraModelOptions {
  /** Rank, alpha and targets of a new adapter; ignored when `adapter` is given. */
  lora?: LoraConfig;
  /** Seeds a new adapter's A matrices. */
  seed?: number;
  /** Continue from these LoRA weights (loadLoraAdapter). */
  adapter?: LoraAdapter;
  /** Intra-op threads per session; ORT's default when omitted. */
  threads?: number;
  optimization?: RunnerOptions['optimization'];
}

/** Token ids of a batch for the logits graph. */
export type TokenBatch = Pick<Batch, 'batchSize' | 'seqLen' | 'inputIds' | 'attentionMask'>;

/**
 * A base model with a LoRA adapter, frozen but for the adapter: loss and LoRA gradients for a
 * batch. One ORT session per graph kind (training, loss, logits) serves every batch shape: its
 * batch and length are symbolic (measured as fast as per-shape static sessions, without a
 * session and an arena per bucket). The frozen weights are fed as inputs, so the sessions
 * share the one copy held here (initializers measured ~3% faster but cost +2.7 GB per session).
 */
export class LoraModel implements TrainableModel {
  readonly parameters: ReadonlyMap<string, TrainableParameter>;
  private readonly sessions = new Map<string, Promise<Runner>>();
  private readonly frozenFeeds: Record<string, Feed>;

  constructor(
    readonly config: LlamaConfig,
    readonly lora: LoraConfig,
    weights: ReadonlyMap<string, GraphWeight>,
    parameters: ReadonlyMap<string, TrainableParameter>,
    private readonly options: Pick<LoraModelOptions, 'threads' | 'optimization'> = {},
    /** Where the base came from, for adapter_config.json. */
    readonly baseModel: string | null = null,
  ) {
    const expected = loraShapes(config, lora);
    for (const [name, shape] of expected) {
      const p = parameters.get(name);
      if (!p || p.shape.join(',') !== shape.join(',')) throw new WeightsError(`LoRA tensor ${name}: expected [${shape}], got ${p ? `[${p.shape}]` : 'nothing'}`);
    }
    this.parameters = parameters;
    this.frozenFeeds = Object.fromEntries([...weights].map(([name, w]) => [name, w.data as Float32Array]));
  }

  /** Loads config.json and the weights of `modelDir`, with a new adapter or `options.adapter`. */
  static async load(modelDir: string, options: LoraModelOptions): Promise<LoraModel> {
    const config = await readLlamaConfig(modelDir);
    const lora = options.adapter?.lora ?? options.lora;
    if (!lora) throw new Error('LoraModel.load needs options.lora or options.adapter');
    const weights = await loadLlamaWeights(modelDir, config);
    const initial = options.adapter?.weights ?? initLoraWeights(config, lora, options.seed ?? 0);
    const parameters = new Map([...initial].map(([name, t]) => [name, { shape: [...t.shape], data: Float32Array.from(t.data) }]));
    return new LoraModel(config, lora, weights, parameters, options, options.adapter?.baseModelNameOrPath ?? modelDir);
  }

  /** The current LoRA weights as a PEFT adapter (copies), for saveLoraAdapter or merging. */
  adapter(): LoraAdapter {
    const weights = new Map([...this.parameters].map(([name, p]) => [name, { shape: [...p.shape], data: Float32Array.from(p.data) }]));
    return { lora: this.lora, weights, baseModelNameOrPath: this.baseModel };
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
    const out = await runner.run({ ...this.frozenFeeds, ...this.loraFeeds(), ...tokenFeeds(batch) });
    return out.logits.data as Float32Array;
  }

  async dispose(): Promise<void> {
    const sessions = [...this.sessions.values()];
    this.sessions.clear();
    await Promise.all(sessions.map(async (s) => (await s).release()));
  }

  private loraFeeds(): Record<string, Feed> {
    return Object.fromEntries([...this.parameters].map(([name, p]) => [name, p.data]));
  }

  private feeds(batch: Batch, counted: LossRows): Record<string, Feed> {
    const dims = [counted.tokens];
    return {
      ...this.frozenFeeds,
      ...this.loraFeeds(),
      ...tokenFeeds(batch),
      loss_positions: { data: counted.positions, dims },
      loss_targets: { data: counted.targets, dims },
      loss_weights: { data: counted.weights, dims },
    };
  }

  /** One session per graph kind, whatever the batch shape (symbolic batch and length). */
  private session(kind: 'train' | 'loss' | 'logits'): Promise<Runner> {
    let session = this.sessions.get(kind);
    if (!session) {
      const shape = { batch: 'batch', seq: 'seq', lora: this.lora };
      const { graph } = kind === 'logits' ? buildLogitsGraph(this.config, shape) : buildLossGraph(this.config, { ...shape, withGradients: kind === 'train' });
      session = Runner.create(graph, { intraOpThreads: this.options.threads, optimization: this.options.optimization });
      this.sessions.set(kind, session);
      session.catch(() => this.sessions.delete(kind));
    }
    return session;
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
  for (const [field, data] of [['inputIds', batch.inputIds], ['attentionMask', batch.attentionMask], ['targets', batch.targets], ['lossMask', batch.lossMask]] as const) {
    if (data.length !== size) throw new Error(`batch.${field} has ${data.length} values, not ${batch.batchSize}x${batch.seqLen}`);
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
