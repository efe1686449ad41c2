/**
 * The model configuration, nanoGPT's GPTConfig for the Llama-shaped families: plain typed fields,
 * read from and written to an HF `config.json` by hf-config.ts.
 */

export const TORCH_DTYPES = ['float32', 'float16', 'bfloat16'] as const;
export type TorchDType = (typeof TORCH_DTYPES)[number];

/** Llama 3.1's frequency-dependent RoPE scaling. */
export interface Llama3RopeScaling {
  type: 'llama3';
  factor: number;
  lowFreqFactor: number;
  highFreqFactor: number;
  originalMaxPositionEmbeddings: number;
}

export interface LlamaConfig {
  /** config.json's model_type: a key of the family registry (families.ts). */
  modelType: string;
  vocabSize: number;
  hiddenSize: number;
  intermediateSize: number;
  numHiddenLayers: number;
  numAttentionHeads: number;
  numKeyValueHeads: number;
  headDim: number;
  rmsNormEps: number;
  ropeTheta: number;
  ropeScaling: Llama3RopeScaling | null;
  maxPositionEmbeddings: number;
  tieWordEmbeddings: boolean;
  /** Bias on the q, k and v projections (Qwen2, or Llama with attention_bias). */
  qkvBias: boolean;
  /** Bias on the output projection (Llama with attention_bias; never Qwen2). */
  outputBias: boolean;
  bosTokenId: number | null;
  /** One or more ids that end generation (Llama 3.1 lists several). */
  eosTokenIds: number[];
  padTokenId: number | null;
  torchDtype: TorchDType;
}

/** A configuration this project cannot run; the message names the field and what it expects. */
export class ModelConfigError extends Error {
  override name = 'ModelConfigError';
}
