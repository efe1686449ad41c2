/**
 * An HF `config.json` read into the plain typed fields of config.ts, checked loudly (every error
 * names the field and what it expects), and written back. Its model_type picks the family
 * (families.ts): how the file spells biases and sliding windows, and the defaults it may leave out.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  ModelConfigError,
  TORCH_DTYPES,
  type Llama3RopeScaling,
  type LlamaConfig,
  type TorchDType,
} from './llama-config';
import { isModelType, modelFamily, MODEL_TYPES, type ModelFamily } from './families';

type Json = Record<string, unknown>;

/** Typed accessors over one JSON object; each failure names `source`, the field and the expectation. */
function fieldReader(json: Json, source: string) {
  const fail = (field: string, expected: string): never => {
    throw new ModelConfigError(
      `${source}: "${field}" must be ${expected}, got ${JSON.stringify(json[field]) ?? 'nothing'}`,
    );
  };
  const present = (field: string) => json[field] !== undefined && json[field] !== null;
  const positiveInt = (field: string, fallback?: number): number => {
    if (!present(field) && fallback !== undefined) return fallback;
    const value = json[field];
    return typeof value === 'number' && Number.isInteger(value) && value > 0
      ? value
      : fail(field, 'a positive integer');
  };
  const positiveNumber = (field: string, fallback?: number): number => {
    if (!present(field) && fallback !== undefined) return fallback;
    const value = json[field];
    return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : fail(field, 'a positive number');
  };
  const boolean = (field: string, fallback: boolean): boolean => {
    if (!present(field)) return fallback;
    const value = json[field];
    return typeof value === 'boolean' ? value : fail(field, 'true or false');
  };
  const tokenIds = (field: string): number[] => {
    if (!present(field)) return [];
    const value = json[field];
    const ids = Array.isArray(value) ? value : [value];
    return ids.every((id) => typeof id === 'number' && Number.isInteger(id) && id >= 0)
      ? (ids as number[])
      : fail(field, 'a token id, a list of token ids, or null');
  };
  const tokenId = (field: string): number | null => {
    const ids = tokenIds(field);
    return ids.length === 0 ? null : ids.length === 1 ? ids[0] : fail(field, 'a single token id or null');
  };
  return { fail, present, positiveInt, positiveNumber, boolean, tokenIds, tokenId };
}

function parseRopeScaling(value: unknown, source: string): Llama3RopeScaling | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new ModelConfigError(`${source}: "rope_scaling" must be null or an object, got ${JSON.stringify(value)}`);
  }
  const scaling = value as Json;
  const type = scaling.rope_type ?? scaling.type;
  if (type === 'default') return null;
  if (type !== 'llama3') {
    throw new ModelConfigError(
      `${source}: rope_scaling type ${JSON.stringify(type)} is not supported (expected null or "llama3")`,
    );
  }
  const fields = fieldReader(scaling, `${source} rope_scaling`);
  return {
    type: 'llama3',
    factor: fields.positiveNumber('factor'),
    lowFreqFactor: fields.positiveNumber('low_freq_factor'),
    highFreqFactor: fields.positiveNumber('high_freq_factor'),
    originalMaxPositionEmbeddings: fields.positiveInt('original_max_position_embeddings'),
  };
}

/** Validates a parsed `config.json` of the Llama family; `source` names it in error messages. */
export function parseLlamaConfig(json: unknown, source = 'config.json'): LlamaConfig {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new ModelConfigError(`${source}: expected a JSON object`);
  }
  const raw = json as Json;
  const fields = fieldReader(raw, source);

  const type = raw.model_type;
  if (!isModelType(type)) return fields.fail('model_type', `one of ${MODEL_TYPES.join(', ')}`);
  const family = modelFamily(type);

  const hiddenAct = raw.hidden_act ?? 'silu';
  if (hiddenAct !== 'silu') fields.fail('hidden_act', '"silu" (SwiGLU MLP)');
  if (fields.boolean('mlp_bias', false)) fields.fail('mlp_bias', 'false (MLP biases are not supported)');

  const hiddenSize = fields.positiveInt('hidden_size');
  const numAttentionHeads = fields.positiveInt('num_attention_heads');
  const numKeyValueHeads = fields.positiveInt('num_key_value_heads', numAttentionHeads);
  if (numAttentionHeads % numKeyValueHeads !== 0) {
    fields.fail('num_key_value_heads', `a divisor of num_attention_heads (${numAttentionHeads})`);
  }
  if (!fields.present('head_dim') && hiddenSize % numAttentionHeads !== 0) {
    fields.fail('hidden_size', `a multiple of num_attention_heads (${numAttentionHeads}) when head_dim is not given`);
  }
  const headDim = fields.positiveInt('head_dim', hiddenSize / numAttentionHeads);
  if (headDim % 2 !== 0) fields.fail('head_dim', 'even (RoPE rotates pairs)');

  const maxPositionEmbeddings = fields.positiveInt('max_position_embeddings', family.defaultMaxPositions);
  checkNoSlidingWindow(raw, family, maxPositionEmbeddings, fields.fail);

  // transformers v5 moves rope_theta and the scaling into "rope_parameters".
  const ropeParameters = raw.rope_parameters;
  const rope = ropeParameters && typeof ropeParameters === 'object' ? (ropeParameters as Json) : null;
  const ropeTheta = rope
    ? fieldReader(rope, `${source} rope_parameters`).positiveNumber('rope_theta', 10000)
    : fields.positiveNumber('rope_theta', 10000);

  const attentionBias = fields.boolean('attention_bias', false);
  const torchDtype = raw.torch_dtype ?? raw.dtype ?? 'float32';
  if (!(TORCH_DTYPES as readonly unknown[]).includes(torchDtype))
    fields.fail('torch_dtype', `one of ${TORCH_DTYPES.join(', ')}`);

  return {
    modelType: type,
    vocabSize: fields.positiveInt('vocab_size'),
    hiddenSize,
    intermediateSize: fields.positiveInt('intermediate_size'),
    numHiddenLayers: fields.positiveInt('num_hidden_layers'),
    numAttentionHeads,
    numKeyValueHeads,
    headDim,
    rmsNormEps: fields.positiveNumber('rms_norm_eps', 1e-6),
    ropeTheta,
    ropeScaling: parseRopeScaling(rope ?? raw.rope_scaling, source),
    maxPositionEmbeddings,
    tieWordEmbeddings: fields.boolean('tie_word_embeddings', false),
    qkvBias: family.attentionBias === 'qkv' || attentionBias,
    outputBias: family.attentionBias === 'attention_bias' && attentionBias,
    bosTokenId: fields.tokenId('bos_token_id'),
    eosTokenIds: fields.tokenIds('eos_token_id'),
    padTokenId: fields.tokenId('pad_token_id'),
    torchDtype: torchDtype as TorchDType,
  };
}

/** A sliding window shorter than the context changes attention; this model does not implement it. */
function checkNoSlidingWindow(
  raw: Json,
  family: ModelFamily,
  maxPositions: number,
  fail: (field: string, expected: string) => never,
): void {
  if (family.slidingWindow === 'use_sliding_window') {
    if (raw.use_sliding_window === true)
      fail('use_sliding_window', 'false (sliding-window attention is not supported)');
    return;
  }
  const window = raw.sliding_window;
  if (window === undefined && family.defaultSlidingWindow !== undefined) {
    fail(
      'sliding_window',
      `given (${family.configClass} defaults to a ${family.defaultSlidingWindow} window, which is not supported); null for none`,
    );
  }
  if (window === undefined || window === null) return;
  if (typeof window !== 'number' || window < maxPositions) {
    fail(
      'sliding_window',
      `null or at least max_position_embeddings (${maxPositions}); sliding-window attention is not supported`,
    );
  }
}

export async function readLlamaConfig(modelDir: string): Promise<LlamaConfig> {
  const path = join(modelDir, 'config.json');
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new ModelConfigError(`cannot read ${path}: ${(error as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ModelConfigError(`${path}: not valid JSON (${(error as Error).message})`);
  }
  return parseLlamaConfig(json, path);
}

/** The `config.json` HF transformers and transformers.js read for this configuration. */
export function toHfConfig(config: LlamaConfig): Record<string, unknown> {
  const family = modelFamily(config.modelType);
  if (family.attentionBias === 'attention_bias' && config.qkvBias !== config.outputBias) {
    throw new ModelConfigError(
      `${config.modelType}: attention_bias covers q, k, v and o together; only qwen2 has q/k/v bias alone`,
    );
  }
  const single = (ids: number[]) => (ids.length === 0 ? null : ids.length === 1 ? ids[0] : ids);
  return {
    architectures: [family.architecture],
    model_type: config.modelType,
    vocab_size: config.vocabSize,
    hidden_size: config.hiddenSize,
    intermediate_size: config.intermediateSize,
    num_hidden_layers: config.numHiddenLayers,
    num_attention_heads: config.numAttentionHeads,
    num_key_value_heads: config.numKeyValueHeads,
    head_dim: config.headDim,
    hidden_act: 'silu',
    rms_norm_eps: config.rmsNormEps,
    rope_theta: config.ropeTheta,
    rope_scaling: config.ropeScaling && {
      rope_type: 'llama3',
      factor: config.ropeScaling.factor,
      low_freq_factor: config.ropeScaling.lowFreqFactor,
      high_freq_factor: config.ropeScaling.highFreqFactor,
      original_max_position_embeddings: config.ropeScaling.originalMaxPositionEmbeddings,
    },
    max_position_embeddings: config.maxPositionEmbeddings,
    tie_word_embeddings: config.tieWordEmbeddings,
    ...(family.attentionBias === 'attention_bias' ? { attention_bias: config.outputBias, mlp_bias: false } : {}),
    ...(family.slidingWindow === 'use_sliding_window' ? { use_sliding_window: false } : {}),
    attention_dropout: 0,
    initializer_range: 0.02,
    bos_token_id: config.bosTokenId,
    eos_token_id: single(config.eosTokenIds),
    pad_token_id: config.padTokenId,
    torch_dtype: config.torchDtype,
    use_cache: true,
  };
}
