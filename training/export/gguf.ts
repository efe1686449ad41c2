/**
 * Export to GGUF, the single-file format llama.cpp and Ollama load: architecture `llama`, the hyperparameters, the
 * byte-level BPE tokenizer (tokens, types, merges, special ids) with the chat template, and every weight under
 * llama.cpp's names, in f16 or q8_0 (blocks of 32 int8 values with an f16 scale). The layout follows the GGUF
 * specification (ggml's docs/gguf.md, version 3); the q and k projections are permuted as llama.cpp's converter does,
 * because its rotary embedding pairs neighbouring dimensions where HF's pairs the two halves of a head.
 */
import { mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { readLlamaConfig } from '../model/hf-config';
import type { LlamaConfig } from '../model/llama-config';
import { isLinearWeight, type GraphWeight } from '../model/llama';
import { loadLoraAdapter } from '../model/lora';
import { loadWeights, transposed } from '../model/weights';
import { ExportError, mergeAdapter } from './model-folder';

export const GGUF_DTYPES = ['f16', 'q8_0'] as const;
export type GgufDtype = (typeof GGUF_DTYPES)[number];

const ALIGNMENT = 32;
/** ggml tensor types and llama.cpp file types. */
const GGML_TYPE = { f32: 0, f16: 1, q8_0: 8 } as const;
const FILE_TYPE: Record<GgufDtype, number> = { f16: 1, q8_0: 7 };
const Q8_BLOCK = 32;
/** GGUF metadata value types. */
const VALUE = { uint32: 4, int32: 5, float32: 6, bool: 7, string: 8, array: 9 } as const;
/** llama.cpp's token types. */
const TOKEN_TYPE = { normal: 1, control: 3, unused: 5 } as const;

type Metadata = ReadonlyArray<
  readonly [
    key: string,
    value:
      | { uint32: number }
      | { float32: number }
      | { bool: boolean }
      | { string: string }
      | { strings: readonly string[] }
      | { int32s: readonly number[] },
  ]
>;

interface GgufTensor {
  name: string;
  /** ggml order: the fastest-varying dimension first (an HF [out, in] matrix is [in, out]). */
  dims: number[];
  type: number;
  data: Uint8Array;
}

/** The tokenizer as GGUF carries it, from a model folder's tokenizer.json and tokenizer_config.json. */
async function tokenizerMetadata(modelDir: string, config: LlamaConfig): Promise<Metadata> {
  const tokenizer = JSON.parse(await readFile(`${modelDir}/tokenizer.json`, 'utf8')) as {
    model: { type: string; vocab: Record<string, number>; merges: Array<string | [string, string]> };
    added_tokens?: Array<{ id: number; content: string; special: boolean }>;
  };
  if (tokenizer.model.type !== 'BPE') throw new Error(`GGUF export needs a BPE tokenizer, not ${tokenizer.model.type}`);
  const settings = JSON.parse(await readFile(`${modelDir}/tokenizer_config.json`, 'utf8')) as {
    chat_template?: string;
  };
  const tokens = Array.from({ length: config.vocabSize }, (_, id) => `[PAD${id}]`);
  const types = Array.from({ length: config.vocabSize }, (): number => TOKEN_TYPE.unused);
  for (const [token, id] of Object.entries(tokenizer.model.vocab)) {
    if (id >= config.vocabSize) throw new Error(`token ${id} lies beyond the model's ${config.vocabSize} embeddings`);
    [tokens[id], types[id]] = [token, TOKEN_TYPE.normal];
  }
  for (const { id, content, special } of tokenizer.added_tokens ?? []) {
    [tokens[id], types[id]] = [content, special ? TOKEN_TYPE.control : TOKEN_TYPE.normal];
  }
  const merges = tokenizer.model.merges.map((merge) => (typeof merge === 'string' ? merge : merge.join(' ')));
  const ids: Metadata = [
    ...(config.bosTokenId !== null ? [['tokenizer.ggml.bos_token_id', { uint32: config.bosTokenId }] as const] : []),
    ...(config.eosTokenIds.length > 0
      ? [['tokenizer.ggml.eos_token_id', { uint32: config.eosTokenIds[0] }] as const]
      : []),
    ...(config.padTokenId !== null
      ? [['tokenizer.ggml.padding_token_id', { uint32: config.padTokenId }] as const]
      : []),
  ];
  return [
    ['tokenizer.ggml.model', { string: 'gpt2' }],
    ['tokenizer.ggml.tokens', { strings: tokens }],
    ['tokenizer.ggml.token_type', { int32s: types }],
    ['tokenizer.ggml.merges', { strings: merges }],
    ...ids,
    ['tokenizer.ggml.add_bos_token', { bool: false }],
    ...(settings.chat_template ? [['tokenizer.chat_template', { string: settings.chat_template }] as const] : []),
  ];
}

/** llama.cpp's name for an HF weight name. */
function ggufName(name: string): string {
  const fixed: Record<string, string> = {
    'model.embed_tokens.weight': 'token_embd.weight',
    'model.norm.weight': 'output_norm.weight',
    'lm_head.weight': 'output.weight',
  };
  if (fixed[name]) return fixed[name];
  const match = /^model\.layers\.(\d+)\.(.+)$/.exec(name);
  const parts: Record<string, string> = {
    'input_layernorm.weight': 'attn_norm.weight',
    'self_attn.q_proj.weight': 'attn_q.weight',
    'self_attn.k_proj.weight': 'attn_k.weight',
    'self_attn.v_proj.weight': 'attn_v.weight',
    'self_attn.o_proj.weight': 'attn_output.weight',
    'self_attn.q_proj.bias': 'attn_q.bias',
    'self_attn.k_proj.bias': 'attn_k.bias',
    'self_attn.v_proj.bias': 'attn_v.bias',
    'post_attention_layernorm.weight': 'ffn_norm.weight',
    'mlp.gate_proj.weight': 'ffn_gate.weight',
    'mlp.up_proj.weight': 'ffn_up.weight',
    'mlp.down_proj.weight': 'ffn_down.weight',
  };
  if (!match || !parts[match[2]]) throw new Error(`no GGUF name for the weight ${name}`);
  return `blk.${match[1]}.${parts[match[2]]}`;
}

/** Rows of each head reordered from HF's halves to llama.cpp's interleaved pairs (its converter's `permute`). */
function permuteHeads(w: Float32Array, heads: number, cols: number): Float32Array {
  const headDim = w.length / cols / heads;
  const out = new Float32Array(w.length);
  for (let h = 0; h < heads; h++) {
    for (let i = 0; i < headDim / 2; i++) {
      for (let j = 0; j < 2; j++) {
        const from = (h * headDim + j * (headDim / 2) + i) * cols;
        out.set(w.subarray(from, from + cols), (h * headDim + 2 * i + j) * cols);
      }
    }
  }
  return out;
}

const scratch = new DataView(new ArrayBuffer(4));

/** IEEE half precision of a float, rounded to nearest even. */
export function toHalf(value: number): number {
  scratch.setFloat32(0, value);
  const bits = scratch.getUint32(0);
  const sign = (bits >>> 16) & 0x8000;
  const exponent = ((bits >>> 23) & 0xff) - 127 + 15;
  const mantissa = bits & 0x7fffff;
  if (((bits >>> 23) & 0xff) === 0xff) return sign | 0x7c00 | (mantissa ? 0x200 : 0);
  if (exponent >= 31) return sign | 0x7c00;
  if (exponent <= 0) {
    if (exponent < -10) return sign;
    const full = mantissa | 0x800000;
    const shift = 14 - exponent;
    const rest = full & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    let half = full >>> shift;
    if (rest > halfway || (rest === halfway && half & 1)) half++;
    return sign | half;
  }
  let half = sign | (exponent << 10) | (mantissa >>> 13);
  const rest = mantissa & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && half & 1)) half++;
  return half;
}

function f16Bytes(w: Float32Array): Uint8Array {
  const out = new DataView(new ArrayBuffer(w.length * 2));
  w.forEach((v, i) => out.setUint16(i * 2, toHalf(v), true));
  return new Uint8Array(out.buffer);
}

/** ggml's q8_0: per block of 32 values, an f16 scale d = max|x| / 127 and the 32 values round(x / d) as int8. */
export function q8_0Bytes(w: Float32Array): Uint8Array {
  if (w.length % Q8_BLOCK !== 0) throw new Error(`q8_0 needs rows in blocks of ${Q8_BLOCK}`);
  const blocks = w.length / Q8_BLOCK;
  const out = new DataView(new ArrayBuffer(blocks * (2 + Q8_BLOCK)));
  for (let b = 0; b < blocks; b++) {
    const block = w.subarray(b * Q8_BLOCK, (b + 1) * Q8_BLOCK);
    const d = block.reduce((m, v) => Math.max(m, Math.abs(v)), 0) / 127;
    const at = b * (2 + Q8_BLOCK);
    out.setUint16(at, toHalf(d), true);
    block.forEach((v, i) => out.setInt8(at + 2 + i, d === 0 ? 0 : Math.round(v / d)));
  }
  return new Uint8Array(out.buffer);
}

/** The tensors of the model in llama.cpp's layout: 2-D weights in `dtype` where their rows allow, vectors in f32. */
function ggufTensors(config: LlamaConfig, weights: ReadonlyMap<string, GraphWeight>, dtype: GgufDtype): GgufTensor[] {
  return [...weights].map(([name, weight]): GgufTensor => {
    let data: Float32Array = Float32Array.from(weight.data);
    let [rows, cols] = weight.shape.length === 2 ? weight.shape : [1, weight.shape[0]];
    // Graph layout [in, out] back to HF's [out, in]: a row per output.
    if (isLinearWeight(name)) [data, rows, cols] = [transposed(data, rows, cols), cols, rows];
    if (name.endsWith('q_proj.weight')) data = permuteHeads(data, config.numAttentionHeads, cols);
    if (name.endsWith('k_proj.weight')) data = permuteHeads(data, config.numKeyValueHeads, cols);
    const dims = weight.shape.length === 2 ? [cols, rows] : [cols];
    if (weight.shape.length === 1)
      return { name: ggufName(name), dims, type: GGML_TYPE.f32, data: new Uint8Array(data.buffer) };
    if (dtype === 'q8_0' && cols % Q8_BLOCK === 0)
      return { name: ggufName(name), dims, type: GGML_TYPE.q8_0, data: q8_0Bytes(data) };
    return { name: ggufName(name), dims, type: GGML_TYPE.f16, data: f16Bytes(data) };
  });
}

/**
 * Writes the GGUF file of an HF model folder, with a LoRA adapter merged in when given, through a temporary file
 * renamed into place (a reader never sees half a file; an existing one is kept unless `overwrite`).
 */
export async function exportGguf(options: {
  modelDir: string;
  adapterDir?: string;
  outFile: string;
  dtype: GgufDtype;
  overwrite?: boolean;
}): Promise<{ outFile: string; bytes: number }> {
  const { modelDir, adapterDir, outFile, dtype } = options;
  if ((await stat(outFile).catch(() => null)) && !options.overwrite)
    throw new ExportError(
      `${outFile} already exists (overwrite it with the overwrite option, --force on the command line)`,
    );
  const config = await readLlamaConfig(modelDir);
  const weights = await loadWeights(modelDir, config);
  if (adapterDir) mergeAdapter(config, weights, await loadLoraAdapter(adapterDir, config));
  await mkdir(dirname(outFile), { recursive: true });
  const partial = `${outFile}.partial-${process.pid}-${Date.now()}`;
  try {
    await writeGguf(partial, { config, modelDir, weights, dtype, name: basename(outFile, '.gguf') });
    await rename(partial, outFile);
  } catch (error) {
    await rm(partial, { force: true });
    throw error;
  }
  return { outFile, bytes: (await stat(outFile)).size };
}

/** Writes the GGUF file of a model: its config, tokenizer folder and (merged) weights in graph layout. */
export async function writeGguf(
  file: string,
  {
    config,
    modelDir,
    weights,
    dtype,
    name,
  }: {
    config: LlamaConfig;
    modelDir: string;
    weights: ReadonlyMap<string, GraphWeight>;
    dtype: GgufDtype;
    name: string;
  },
): Promise<void> {
  const metadata: Metadata = [
    ['general.architecture', { string: 'llama' }],
    ['general.name', { string: name }],
    ['general.file_type', { uint32: FILE_TYPE[dtype] }],
    ['general.alignment', { uint32: ALIGNMENT }],
    ['llama.vocab_size', { uint32: config.vocabSize }],
    ['llama.context_length', { uint32: config.maxPositionEmbeddings }],
    ['llama.embedding_length', { uint32: config.hiddenSize }],
    ['llama.block_count', { uint32: config.numHiddenLayers }],
    ['llama.feed_forward_length', { uint32: config.intermediateSize }],
    ['llama.rope.dimension_count', { uint32: config.headDim }],
    ['llama.attention.head_count', { uint32: config.numAttentionHeads }],
    ['llama.attention.head_count_kv', { uint32: config.numKeyValueHeads }],
    ['llama.attention.layer_norm_rms_epsilon', { float32: config.rmsNormEps }],
    ['llama.rope.freq_base', { float32: config.ropeTheta }],
    ...(await tokenizerMetadata(modelDir, config)),
  ];
  const tensors = ggufTensors(config, weights, dtype);
  const header = new GgufBuffer();
  header.raw(new TextEncoder().encode('GGUF'));
  header.u32(3);
  header.u64(tensors.length);
  header.u64(metadata.length);
  for (const [key, value] of metadata) header.metadata(key, value);
  let offset = 0;
  const offsets: number[] = [];
  for (const tensor of tensors) {
    header.string(tensor.name);
    header.u32(tensor.dims.length);
    for (const dim of tensor.dims) header.u64(dim);
    header.u32(tensor.type);
    header.u64(offset);
    offsets.push(offset);
    offset = align(offset + tensor.data.length);
  }
  const start = align(header.length);
  const handle = await open(file, 'w');
  try {
    await handle.write(header.bytes(), 0, header.length, 0);
    for (const [i, tensor] of tensors.entries())
      await handle.write(tensor.data, 0, tensor.data.length, start + offsets[i]);
    // The last tensor's padding too, so the file ends on the alignment.
    await handle.truncate(start + offset);
  } finally {
    await handle.close();
  }
}

const align = (n: number) => Math.ceil(n / ALIGNMENT) * ALIGNMENT;

/** A growing little-endian buffer of GGUF's primitive values. */
class GgufBuffer {
  private buffer = new Uint8Array(1 << 16);
  private view = new DataView(this.buffer.buffer);
  length = 0;

  bytes(): Uint8Array {
    return this.buffer.subarray(0, this.length);
  }

  raw(bytes: Uint8Array): void {
    this.reserve(bytes.length);
    this.buffer.set(bytes, this.length);
    this.length += bytes.length;
  }

  u32(value: number): void {
    this.put(4, (at) => this.view.setUint32(at, value, true));
  }

  i32(value: number): void {
    this.put(4, (at) => this.view.setInt32(at, value, true));
  }

  f32(value: number): void {
    this.put(4, (at) => this.view.setFloat32(at, value, true));
  }

  u64(value: number): void {
    this.put(8, (at) => this.view.setBigUint64(at, BigInt(value), true));
  }

  string(text: string): void {
    const bytes = new TextEncoder().encode(text);
    this.u64(bytes.length);
    this.raw(bytes);
  }

  metadata(key: string, value: Metadata[number][1]): void {
    this.string(key);
    if ('uint32' in value) {
      this.u32(VALUE.uint32);
      this.u32(value.uint32);
    } else if ('float32' in value) {
      this.u32(VALUE.float32);
      this.f32(value.float32);
    } else if ('bool' in value) {
      this.u32(VALUE.bool);
      this.raw(Uint8Array.of(value.bool ? 1 : 0));
    } else if ('string' in value) {
      this.u32(VALUE.string);
      this.string(value.string);
    } else if ('strings' in value) {
      this.array(VALUE.string, value.strings.length);
      for (const text of value.strings) this.string(text);
    } else {
      this.array(VALUE.int32, value.int32s.length);
      for (const n of value.int32s) this.i32(n);
    }
  }

  private array(type: number, length: number): void {
    this.u32(VALUE.array);
    this.u32(type);
    this.u64(length);
  }

  private put(bytes: number, write: (at: number) => void): void {
    this.reserve(bytes);
    write(this.length);
    this.length += bytes;
  }

  private reserve(bytes: number): void {
    if (this.length + bytes <= this.buffer.length) return;
    const grown = new Uint8Array(Math.max(this.buffer.length * 2, this.length + bytes));
    grown.set(this.buffer.subarray(0, this.length));
    [this.buffer, this.view] = [grown, new DataView(grown.buffer)];
  }
}
