/**
 * The model families, by config.json's `model_type`, as transformers.js's AutoModel maps a type to
 * its class: what each family's config.json looks like to its HF classes, and the definition that
 * builds its graphs. All four are Llama-shaped and share llama.ts; another Llama-shaped family is
 * one more entry here.
 */
import { ModelConfigError, type LlamaConfig } from './llama-config';
import { buildCachedLogitsGraph, buildLogitsGraph, buildLossGraph, isLinearWeight, llamaWeightShapes } from './llama';

/** What the rest of training asks of a model definition. */
export interface ModelDefinition {
  /** Every weight by HF name, with its shape in a checkpoint. */
  weightShapes(config: LlamaConfig): Map<string, number[]>;
  /** Whether a graph takes the weight transposed: a Linear's [out, in] as [in, out]. */
  isLinearWeight(name: string): boolean;
  buildLossGraph: typeof buildLossGraph;
  buildLogitsGraph: typeof buildLogitsGraph;
  buildCachedLogitsGraph: typeof buildCachedLogitsGraph;
}

export const LLAMA: ModelDefinition = {
  weightShapes: llamaWeightShapes,
  isLinearWeight,
  buildLossGraph,
  buildLogitsGraph,
  buildCachedLogitsGraph,
};

export interface ModelFamily {
  /** The HF classes: the configuration's (named in messages) and the model's (config.json's "architectures"). */
  readonly configClass: string;
  readonly architecture: string;
  /** max_position_embeddings when config.json leaves it out: the config class's default. */
  readonly defaultMaxPositions: number;
  /**
   * Which attention projections have a bias: config.json's `attention_bias` for q, k, v and o
   * together; or, fixed by the family (no such field), q, k and v always and o never.
   */
  readonly attentionBias: 'attention_bias' | 'qkv';
  /**
   * Sliding-window attention is not supported; config.json keeps it off with `sliding_window`
   * null (or no shorter than the context), or with a `use_sliding_window` flag.
   */
  readonly slidingWindow: 'sliding_window' | 'use_sliding_window';
  /** The config class's sliding_window when it has one: config.json must then say null. */
  readonly defaultSlidingWindow?: number;
  /** The model_type transformers.js knows the family by, when that is another. */
  readonly exportedAs?: string;
  readonly definition: ModelDefinition;
}

export const MODEL_FAMILIES: Readonly<Record<string, ModelFamily>> = {
  llama: {
    configClass: 'LlamaConfig',
    architecture: 'LlamaForCausalLM',
    defaultMaxPositions: 2048,
    attentionBias: 'attention_bias',
    slidingWindow: 'sliding_window',
    definition: LLAMA,
  },
  qwen2: {
    configClass: 'Qwen2Config',
    architecture: 'Qwen2ForCausalLM',
    defaultMaxPositions: 32768,
    attentionBias: 'qkv',
    slidingWindow: 'use_sliding_window',
    definition: LLAMA,
  },
  mistral: {
    configClass: 'MistralConfig',
    architecture: 'MistralForCausalLM',
    defaultMaxPositions: 131072,
    attentionBias: 'attention_bias',
    slidingWindow: 'sliding_window',
    defaultSlidingWindow: 4096,
    definition: LLAMA,
  },
  // SmolLM2 is a Llama, and transformers.js knows it by that name only.
  smollm: {
    configClass: 'LlamaConfig',
    architecture: 'LlamaForCausalLM',
    defaultMaxPositions: 2048,
    attentionBias: 'attention_bias',
    slidingWindow: 'sliding_window',
    exportedAs: 'llama',
    definition: LLAMA,
  },
};

export const MODEL_TYPES: readonly string[] = Object.keys(MODEL_FAMILIES);

export function isModelType(value: unknown): value is string {
  return typeof value === 'string' && Object.hasOwn(MODEL_FAMILIES, value);
}

/** The family of `modelType`; an unsupported one is an error that names it. */
export function modelFamily(modelType: string): ModelFamily {
  if (!isModelType(modelType)) {
    throw new ModelConfigError(
      `model_type ${JSON.stringify(modelType)} is not supported (supported: ${MODEL_TYPES.join(', ')})`,
    );
  }
  return MODEL_FAMILIES[modelType];
}
