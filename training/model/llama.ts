/**
 * The Llama-family model (Llama, SmolLM, Mistral without a sliding window, Qwen2's q/k/v bias)
 * written once against the graph builder, in nanoGPT's order: parameters, RMSNorm, attention,
 * MLP, block, the decoder that stacks them, the LM head; then the graphs built from it: the
 * training loss, logits of whole sequences, and one decoding step with a KV cache, as
 * transformers.js runs it. Shape comments name B batch, T new tokens, S keys (past + new), C
 * hidden size, nh/kv query/key-value heads, hs head size, g = nh/kv queries per key-value head.
 *
 * Frozen weights enter a graph as inputs (default) or initializers, LoRA matrices as inputs;
 * Linear weights in graph layout [in, out] (transposed once at load, so no Transpose runs per step).
 */
import { Graph } from '../engine/graph';
import type { Dim, Value } from '../engine/graph';
import { crossEntropy } from '../engine/loss';
import * as op from '../engine/ops';
import type { LlamaConfig } from './llama-config';
import { loraNames, loraScale, loraShapes, modulePath, type LoraConfig, type LoraTarget } from './lora';
import { quantizeColumns, quantizeRows, quantizeTransposed } from './quantize';
import { applyRope, ropeTables, type RopeTables } from './rope';

export type FloatType = 'float32' | 'float64';

// ─── parameters ─────────────────────────────────────────────────────────────────────────────

export interface LoraParams {
  readonly a: Value; // [r, in]
  readonly b: Value; // [out, r]
  readonly scale: number;
}

export interface LinearParams {
  /** [in, out]: float, or int8 standing for `scale[out]`·weight (quantize.ts). */
  readonly weight: Value;
  readonly scale?: Value; // [out]
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
  /** The head as an int8 Linear [C, V], in an inference graph of quantized weights. */
  readonly quantizedHead?: LinearParams;
  /** The embedding as int8 rows [V, C] with a scale per row, there too: the float table is then left out. */
  readonly quantizedEmbed?: Required<Pick<LinearParams, 'weight' | 'scale'>>;
}

/** Every weight the configuration implies, by HF name, with its shape (Linear weights are [out, in]). */
export function llamaWeightShapes(config: LlamaConfig): Map<string, number[]> {
  const { hiddenSize: h, intermediateSize: ff, vocabSize: v, headDim: d } = config;
  const q = config.numAttentionHeads * d;
  const kv = config.numKeyValueHeads * d;
  const shapes = new Map<string, number[]>([['model.embed_tokens.weight', [v, h]]]);
  for (let layer = 0; layer < config.numHiddenLayers; layer++) {
    const p = `model.layers.${layer}`;
    shapes.set(`${p}.input_layernorm.weight`, [h]);
    shapes.set(`${p}.self_attn.q_proj.weight`, [q, h]);
    shapes.set(`${p}.self_attn.k_proj.weight`, [kv, h]);
    shapes.set(`${p}.self_attn.v_proj.weight`, [kv, h]);
    if (config.qkvBias) {
      shapes.set(`${p}.self_attn.q_proj.bias`, [q]);
      shapes.set(`${p}.self_attn.k_proj.bias`, [kv]);
      shapes.set(`${p}.self_attn.v_proj.bias`, [kv]);
    }
    shapes.set(`${p}.self_attn.o_proj.weight`, [h, q]);
    if (config.outputBias) shapes.set(`${p}.self_attn.o_proj.bias`, [h]);
    shapes.set(`${p}.post_attention_layernorm.weight`, [h]);
    shapes.set(`${p}.mlp.gate_proj.weight`, [ff, h]);
    shapes.set(`${p}.mlp.up_proj.weight`, [ff, h]);
    shapes.set(`${p}.mlp.down_proj.weight`, [h, ff]);
  }
  shapes.set('model.norm.weight', [h]);
  if (!config.tieWordEmbeddings) shapes.set('lm_head.weight', [v, h]);
  return shapes;
}

/** The graph value of a frozen weight, by HF name and graph shape (Linear weights [in, out]). */
export type WeightSource = (name: string, shape: number[]) => Value;

/**
 * A weight in int8 with its scales, by HF name and the part it plays: a Linear's [in, out] or the head's [C, V] (a
 * scale per column, for DynamicQuantizeMatMul), or the embedding's rows [V, C] (a scale per row, for Gather).
 */
export type QuantizedSource = (
  name: string,
  part: 'linear' | 'head' | 'embedding',
) => Required<Pick<LinearParams, 'weight' | 'scale'>>;

/** HF's [out, in] Linear weights are [in, out] in a graph; every other weight keeps its shape. */
export function graphShape(name: string, hfShape: readonly number[]): number[] {
  return isLinearWeight(name) ? [hfShape[1], hfShape[0]] : [...hfShape];
}

/** A Linear's weight: [out, in] in a checkpoint, [in, out] in a graph. */
export function isLinearWeight(name: string): boolean {
  return name.endsWith('_proj.weight');
}

/**
 * Every parameter of the model as graph values: frozen weights from `frozen`, LoRA matrices
 * (PEFT names) from `trainable`, when `lora` is given; the Linears and the head in int8 from `quantized`, when given.
 */
export function llamaParams(
  config: LlamaConfig,
  frozen: WeightSource,
  lora?: { config: LoraConfig; trainable: WeightSource },
  quantized?: QuantizedSource,
): LlamaParams {
  if (lora && quantized) throw new Error('LoRA trains float weights: a graph of quantized weights takes no adapter');
  const shapes = llamaWeightShapes(config);
  const weight = (name: string): Value => frozen(name, graphShape(name, shapes.get(name)!));
  const loraShape = lora ? loraShapes(config, lora.config) : new Map<string, number[]>();
  const adapter = (layer: number, target: LoraTarget): { lora?: LoraParams } => {
    if (!lora?.config.targetModules.includes(target)) return {};
    const { a, b } = loraNames(layer, target);
    return {
      lora: {
        a: lora.trainable(a, loraShape.get(a)!),
        b: lora.trainable(b, loraShape.get(b)!),
        scale: loraScale(lora.config),
      },
    };
  };
  const linear = (layer: number, target: LoraTarget): LinearParams => {
    const prefix = `model.layers.${layer}.${modulePath(target)}`;
    const bias = shapes.has(`${prefix}.bias`) ? { bias: weight(`${prefix}.bias`) } : {};
    const name = `${prefix}.weight`;
    if (quantized) return { ...quantized(name, 'linear'), ...bias };
    return { weight: weight(name), ...bias, ...adapter(layer, target) };
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
  const headName = config.tieWordEmbeddings ? 'model.embed_tokens.weight' : 'lm_head.weight';
  return {
    embed,
    blocks,
    norm,
    head: config.tieWordEmbeddings ? embed : weight(headName),
    ...(quantized
      ? {
          quantizedHead: quantized(headName, 'head'),
          quantizedEmbed: quantized('model.embed_tokens.weight', 'embedding'),
        }
      : {}),
  };
}

// ─── layers ─────────────────────────────────────────────────────────────────────────────────

/** x·W (+ b) (+ scale·x·Aᵀ·Bᵀ, the scale applied on the narrow rank-r side). */
export function linear(x: Value, p: LinearParams): Value {
  let y = p.scale ? op.dynamicQuantizeMatMul(x, p.weight, p.scale) : op.matmul(x, p.weight); // (..., out)
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
  {
    inputIds,
    attentionMask,
    positionIds,
    pastLength,
  }: { inputIds: Value; attentionMask: Value; positionIds?: Value; pastLength?: Value },
): AttentionContext {
  const graph = inputIds.graph;
  const newTokens = op.indicesAlong(inputIds, 1); // (T)
  const queryIndex = pastLength ? op.add(newTokens, pastLength) : newTokens; // index of each query among the keys
  const positions = positionIds ?? queryIndex;
  const keyIndex = op.unsqueeze(op.indicesAlong(attentionMask, 1), [0]); // (1, S)
  const causal = op.lessOrEqual(keyIndex, op.unsqueeze(queryIndex, [1])); // (T, S)
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
export function attention(
  x: Value,
  p: BlockParams,
  context: AttentionContext,
  config: LlamaConfig,
  past?: KeyValue,
): { y: Value; present: KeyValue } {
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

export function block(
  x: Value,
  p: BlockParams,
  context: AttentionContext,
  config: LlamaConfig,
  past?: KeyValue,
): { x: Value; present: KeyValue } {
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
  let x = embedding(params, inputIds); // (B, T, C)
  const presents: KeyValue[] = [];
  params.blocks.forEach((p, i) => {
    const out = block(x, p, context, config, pasts?.[i]);
    x = out.x;
    presents.push(out.present);
  });
  return { hidden: x, presents };
}

/** The rows of the embedding the tokens pick: int8 ones scaled back to float in a quantized graph. */
function embedding(params: LlamaParams, inputIds: Value): Value {
  const quantized = params.quantizedEmbed;
  if (!quantized) return op.gather(params.embed, inputIds);
  const rows = op.cast(op.gather(quantized.weight, inputIds), 'float32'); // (B, T, C)
  return op.mul(rows, op.unsqueeze(op.gather(quantized.scale, inputIds), [-1]));
}

/** Final norm and LM head: (..., C) → (..., V). Rows [N, C] go through one Gemm against the [V, C] head. */
export function lmHead(config: LlamaConfig, params: LlamaParams, hidden: Value): Value {
  const h = rmsNorm(hidden, params.norm, config.rmsNormEps);
  if (params.quantizedHead) return linear(h, params.quantizedHead); // (..., V)
  return h.rank === 2 ? op.gemm(h, params.head, { transB: true }) : op.matmul(h, op.transpose(params.head)); // (..., V)
}

// ─── graphs ─────────────────────────────────────────────────────────────────────────────────

/** A weight in graph layout, as weights.ts loads it and an initializer holds it. */
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
  /** 'q8': the Linears and the head as int8 initializers with per-column scales (inference; needs `initializers`). */
  readonly quantize?: 'q8';
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
    if (!weight) throw new Error(`no weight ${weightName} among the initializers`);
    return graph.initializer(weightName, weight.data, shape);
  };
  const trainable: WeightSource = (weightName, shape) => {
    const value = graph.input(weightName, dtype, shape);
    lora.set(weightName, value);
    return value;
  };
  const quantized: QuantizedSource | undefined = options.quantize
    ? (weightName, part) => {
        const weight = options.initializers?.get(weightName);
        if (!weight) throw new Error(`no weight ${weightName} among the initializers to quantize`);
        // Linears are [in, out] already; the head and the embedding are the [V, C] table.
        const [rows, cols] = weight.shape;
        const { data, scale } =
          part === 'linear'
            ? quantizeColumns(weight.data, rows, cols)
            : part === 'head'
              ? quantizeTransposed(weight.data, rows, cols)
              : quantizeRows(weight.data, rows, cols);
        const name = `${weightName}.${part === 'embedding' ? 'rows' : 'int8'}`;
        return {
          weight: graph.initializer(name, data, part === 'head' ? [cols, rows] : [rows, cols]),
          scale: graph.initializer(`${name}.scale`, scale, [scale.length]),
        };
      }
    : undefined;
  const params = llamaParams(config, frozen, options.lora && { config: options.lora, trainable }, quantized);
  return { graph, dtype, params, lora, frozenInputs };
}

/** The residual stream (B, T, C) of a whole sequence: inputs input_ids, attention_mask [B, T] int64. */
function startGraph(name: string, config: LlamaConfig, options: LlamaGraphOptions) {
  const start = graphWithParams(name, config, options);
  const inputIds = start.graph.input('input_ids', 'int64', [options.batch, options.seq]);
  const attentionMask = start.graph.input('attention_mask', 'int64', [options.batch, options.seq]);
  const { hidden } = decoder(
    config,
    start.params,
    inputIds,
    attentionContext(config, start.dtype, { inputIds, attentionMask }),
  );
  return { ...start, hidden };
}

/**
 * The training loss: masked mean cross-entropy of the tokens at `loss_positions` (flat indices
 * into B·T, a run-time count M), whose hidden rows alone go through the final norm and the LM
 * head — logits [M, V] instead of [B, T, V]. Inputs input_ids, attention_mask [B, T] int64;
 * loss_positions, loss_targets [M] int64; loss_weights [M]. Output `loss` (model-runner.ts adds
 * the gradients of what it trains).
 */
export function buildLossGraph(config: LlamaConfig, options: LlamaGraphOptions): LlamaGraph & { loss: Value } {
  const { graph, dtype, params, lora, frozenInputs, hidden } = startGraph('llama-loss', config, options);
  const positions = graph.input('loss_positions', 'int64', ['tokens']);
  const targets = graph.input('loss_targets', 'int64', ['tokens']);
  const weights = graph.input('loss_weights', dtype, ['tokens']);
  const rows = op.gather(op.reshape(hidden, [-1, config.hiddenSize]), positions); // (M, C)
  const loss = crossEntropy(lmHead(config, params, rows), targets, weights); // logits (M, V)
  graph.output('loss', loss);
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
 * (B, kv, P, hs); num_logits_to_keep, an int64 scalar → logits [B, K, V] of the last K positions (all T when it is
 * 0: transformers.js asks for 1 while generating, so a prompt's prefill runs the LM head once, not T times) and
 * present.{i}.key/.value (B, kv, P+T, hs). Batch and both lengths are symbolic; P may be 0 (the prompt).
 */
export function buildCachedLogitsGraph(
  config: LlamaConfig,
  options: Omit<LlamaGraphOptions, 'batch' | 'seq'>,
): LlamaGraph & { logits: Value } {
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
  const keep = graph.input('num_logits_to_keep', 'int64', []);
  const logits = lmHead(config, params, op.lastEntries(hidden, 1, keep)); // (B, K, V)
  graph.output('logits', logits);
  presents.forEach((present, i) => {
    graph.output(`present.${i}.key`, present.key);
    graph.output(`present.${i}.value`, present.value);
  });
  return { graph, params, lora, frozenInputs, logits };
}
