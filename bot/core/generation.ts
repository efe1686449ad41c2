/**
 * A language model as both halves use it: chat messages in, the assistant's next turn out. The
 * bot serves one (bot/model/generator.ts runs transformers.js); training's evaluation is handed
 * a loader for the same kind, so it scores exactly what the bot would serve.
 */
import type { Rule } from './grammar';
import type { ProtocolMessage } from './protocol';

/**
 * The weights a model folder may hold, in transformers.js's names: fp32 (`onnx/model.onnx`) and q8, int8 weights
 * (`onnx/model_quantized.onnx`). The first is what the bot serves by default.
 */
export const MODEL_DTYPES = ['q8', 'fp32'] as const;
export type ModelDtype = (typeof MODEL_DTYPES)[number];

/** The ONNX file (and its external data beside it, `<file>_data`) of each dtype, inside the folder's `onnx/`. */
export const ONNX_FILES: Record<ModelDtype, string> = { fp32: 'model.onnx', q8: 'model_quantized.onnx' };

export interface GeneratorOptions {
  /** Intra-op threads of the ORT session; ORT's default (all cores) when omitted. */
  threads?: number;
  /** Which weights to load; q8 falls back to fp32 in a folder exported before it had them. Default q8. */
  dtype?: ModelDtype;
  /**
   * Messages every prompt begins with (the system prompt): their KV cache is computed once, right after loading, and
   * kept while the model is loaded, so no prompt computes them again.
   */
  prefix?: readonly ProtocolMessage[];
}

export interface GenerateOptions {
  maxNewTokens: number;
  /** From the call, waiting for an earlier generation included. */
  timeoutMs: number;
  signal?: AbortSignal;
  /** What the text may be (grammar.ts): decoding keeps to it where the model's tokenizer is byte-level. */
  grammar?: Rule;
}

export interface Generation {
  /** The new text, without the stop token or other special tokens. */
  text: string;
  /** New tokens, the stop token included. */
  tokens: number;
  /** Time spent generating (not waiting for the model). */
  ms: number;
  /** Time spent waiting for earlier generations. */
  waitedMs: number;
  /** Prompt tokens whose KV cache came from an earlier generation instead of being computed (0 when none). */
  reusedTokens?: number;
  /** 'stop': the turn ended; 'length': maxNewTokens were written and the turn may be cut short. */
  finish: 'stop' | 'length';
}

export interface TextGenerator {
  generate(messages: ProtocolMessage[], options: GenerateOptions): Promise<Generation>;
  dispose(): Promise<void>;
}

/** Opens the model folder an export wrote (the transformers.js layout). */
export type GeneratorLoader = (modelDir: string, options?: GeneratorOptions) => Promise<TextGenerator>;
