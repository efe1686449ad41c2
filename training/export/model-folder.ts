/**
 * Export to the transformers.js model folder: `config.json` (with its "transformers.js_config"),
 * `generation_config.json`, the tokenizer files, and `onnx/model.onnx` + `onnx/model.onnx_data`:
 * the family's one-step graph with a KV cache, the (LoRA-merged) weights as initializers. Its
 * inputs and outputs are those transformers.js feeds a decoder-only model with past —
 * input_ids, attention_mask, position_ids, past_key_values.{i}.key/value (batch, kv heads,
 * past length, head size) → logits, present.{i}.key/value — and its past inputs have the
 * symbolic batch dimension `batch_size` that transformers.js fills in when it makes the empty
 * cache of the first step (every other symbolic dimension becomes 0).
 */
import { copyFile, mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { MODEL_DTYPES, ONNX_FILES, type ModelDtype } from '../../bot/core/generation';
import { saveModel } from '../engine/onnx';
import type { LlamaConfig } from '../model/llama-config';
import { modelFamily } from '../model/families';
import { readLlamaConfig, toHfConfig } from '../model/hf-config';
import type { GraphWeight } from '../model/llama';
import {
  ADAPTER_CONFIG,
  ADAPTER_WEIGHTS,
  loadLoraAdapter,
  loraNames,
  loraScale,
  mergedWeight,
  modulePath,
  type LoraAdapter,
  type LoraTensor,
} from '../model/lora';
import { loadWeights, transposed } from '../model/weights';

export const ONNX_FOLDER = 'onnx';
export const ONNX_MODEL = ONNX_FILES.fp32;
/** transformers.js looks for `<model>.onnx_data` when "use_external_data_format" is set. */
export const ONNX_DATA = `${ONNX_MODEL}_data`;

/** Files transformers.js's AutoTokenizer reads, and those a tokenizer folder may also carry. */
const REQUIRED_TOKENIZER_FILES = ['tokenizer.json', 'tokenizer_config.json'];
const OPTIONAL_TOKENIZER_FILES = [
  'special_tokens_map.json',
  'added_tokens.json',
  'vocab.json',
  'merges.txt',
  'chat_template.jinja',
  'chat_template.json',
];

export interface ExportProgress {
  stage: 'read' | 'merge' | 'graph' | 'write' | 'done';
  message: string;
}

export interface ExportOptions {
  /** An HF model folder: config.json, tokenizer files, safetensors (one file or shards). */
  modelDir: string;
  /** A PEFT LoRA adapter folder, merged into the weights. */
  adapterDir?: string;
  /** Created; it must not exist unless `overwrite`. */
  outDir: string;
  overwrite?: boolean;
  /** The weights to write, each in its file (ONNX_FILES); default all: fp32 and int8. */
  dtypes?: readonly ModelDtype[];
  onProgress?: (event: ExportProgress) => void;
}

export interface ExportResult {
  outDir: string;
  /** Paths relative to outDir, sorted. */
  files: string[];
}

export class ExportError extends Error {
  override name = 'ExportError';
}

/**
 * Writes the transformers.js folder into a sibling temporary folder and renames it to `outDir`
 * when complete, so a reader (the bot, the registry) never sees half an export.
 */
export async function exportModel(options: ExportOptions): Promise<ExportResult> {
  const { modelDir, adapterDir, outDir } = options;
  const progress = options.onProgress ?? (() => {});
  await requireFolder(modelDir, 'model', ['config.json', ...REQUIRED_TOKENIZER_FILES]);
  if (adapterDir) await requireFolder(adapterDir, 'adapter', [ADAPTER_CONFIG, ADAPTER_WEIGHTS]);
  const existing = await stat(outDir).catch(() => null);
  if (existing && !options.overwrite)
    throw new ExportError(
      `${outDir} already exists (overwrite it with the overwrite option, --force on the command line)`,
    );

  progress({ stage: 'read', message: `reading ${modelDir}` });
  const config = await readLlamaConfig(modelDir);
  const family = modelFamily(config.modelType);
  const weights = await loadWeights(modelDir, config);
  if (adapterDir) {
    const adapter = await loadLoraAdapter(adapterDir, config);
    progress({
      stage: 'merge',
      message: `merging the LoRA adapter ${adapterDir} (r=${adapter.lora.r}, alpha=${adapter.lora.alpha}, ${adapter.lora.targetModules.join(', ')})`,
    });
    mergeAdapter(config, weights, adapter);
  }

  await mkdir(dirname(outDir), { recursive: true });
  const partial = join(dirname(outDir), `.${basename(outDir)}.partial-${process.pid}-${Date.now()}`);
  try {
    const files: string[] = [];
    /** The ONNX files whose large weights went into a data file beside them. */
    const withData: string[] = [];
    for (const dtype of MODEL_DTYPES.filter((d) => (options.dtypes ?? MODEL_DTYPES).includes(d))) {
      progress({
        stage: 'graph',
        message: `building the ${dtype} inference graph (${config.numHiddenLayers} layers, KV cache)`,
      });
      const { graph } = family.definition.buildCachedLogitsGraph(config, {
        initializers: weights,
        ...(dtype === 'q8' ? { quantize: 'q8' } : {}),
      });
      const fileName = ONNX_FILES[dtype];
      progress({ stage: 'write', message: `writing ${ONNX_FOLDER}/${fileName}` });
      const saved = await saveModel(graph, join(partial, ONNX_FOLDER), { fileName, dataFileName: `${fileName}_data` });
      files.push(`${ONNX_FOLDER}/${fileName}`, ...(saved.dataPath ? [`${ONNX_FOLDER}/${fileName}_data`] : []));
      withData.push(...(saved.dataPath ? [fileName] : []));
    }
    if (files.length === 0) throw new ExportError(`no dtype to export among ${(options.dtypes ?? []).join(', ')}`);
    await writeJson(join(partial, 'config.json'), exportedConfig(config, withData));
    await writeJson(join(partial, 'generation_config.json'), await generationConfig(modelDir, config));
    files.push('config.json', 'generation_config.json');
    for (const name of [...REQUIRED_TOKENIZER_FILES, ...OPTIONAL_TOKENIZER_FILES]) {
      if (await isFile(join(modelDir, name))) {
        await copyFile(join(modelDir, name), join(partial, name));
        files.push(name);
      }
    }
    if (existing) {
      const old = `${partial}.old`;
      await rename(outDir, old);
      await rename(partial, outDir).catch(async (error: unknown) => {
        await rename(old, outDir);
        throw error;
      });
      await rm(old, { recursive: true, force: true });
    } else {
      await rename(partial, outDir);
    }
    progress({ stage: 'done', message: `exported to ${outDir}` });
    return { outDir, files: files.sort() };
  } catch (error) {
    await rm(partial, { recursive: true, force: true });
    throw error;
  }
}

/**
 * Adds scale·B·A to each adapted weight, in graph layout [in, out]: (W + s·B·A)ᵀ = Wᵀ + s·Aᵀ·Bᵀ,
 * which is lora.ts's mergedWeight with Bᵀ [r, out] in the role of A and Aᵀ [in, r] in that of B.
 */
export function mergeAdapter(config: LlamaConfig, weights: Map<string, GraphWeight>, adapter: LoraAdapter): void {
  const scale = loraScale(adapter.lora);
  const transpose = (t: LoraTensor): LoraTensor => ({
    shape: [t.shape[1], t.shape[0]],
    data: transposed(t.data, t.shape[0], t.shape[1]),
  });
  for (let layer = 0; layer < config.numHiddenLayers; layer++) {
    for (const target of adapter.lora.targetModules) {
      const names = loraNames(layer, target);
      const [a, b] = [adapter.weights.get(names.a), adapter.weights.get(names.b)];
      if (!a || !b) throw new ExportError(`the adapter has no ${!a ? names.a : names.b}`);
      const name = `model.layers.${layer}.${modulePath(target)}.weight`;
      const weight = weights.get(name)!;
      weights.set(name, {
        shape: weight.shape,
        data: mergedWeight(weight.data as Float32Array, transpose(b), transpose(a), scale),
      });
    }
  }
}

/**
 * The model's config.json as transformers.js reads it: the model type picks the class
 * (LlamaForCausalLM, Qwen2ForCausalLM, ...), and "transformers.js_config" names the dtype of
 * the one ONNX file (fp32: `model.onnx`, no suffix) and says its weights are in `model.onnx_data`.
 */
export function exportedConfig(config: LlamaConfig, withData: readonly string[] = []): Record<string, unknown> {
  const { exportedAs } = modelFamily(config.modelType);
  // transformers.js takes `true` for every file, or the number of data files by ONNX file name.
  const everyFile = MODEL_DTYPES.every((dtype) => withData.includes(ONNX_FILES[dtype]));
  const external = everyFile ? true : Object.fromEntries(withData.map((file) => [file, 1]));
  return {
    ...toHfConfig({ ...config, torchDtype: 'float32' }),
    ...(exportedAs ? { model_type: exportedAs } : {}),
    'transformers.js_config': { dtype: 'fp32', ...(withData.length > 0 ? { use_external_data_format: external } : {}) },
  };
}

/** The base's generation_config.json when it has one; otherwise the special tokens of config.json. */
async function generationConfig(modelDir: string, config: LlamaConfig): Promise<Record<string, unknown>> {
  const path = join(modelDir, 'generation_config.json');
  if (await isFile(path)) {
    try {
      return JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
    } catch (error) {
      throw new ExportError(`${path}: not valid JSON (${(error as Error).message})`);
    }
  }
  const ids = config.eosTokenIds;
  return {
    bos_token_id: config.bosTokenId,
    eos_token_id: ids.length === 0 ? null : ids.length === 1 ? ids[0] : ids,
    pad_token_id: config.padTokenId,
  };
}

async function requireFolder(dir: string, what: string, files: readonly string[]): Promise<void> {
  const info = await stat(dir).catch(() => null);
  if (!info) throw new ExportError(`${what} folder ${dir} does not exist`);
  if (!info.isDirectory()) throw new ExportError(`${what} folder ${dir} is not a folder`);
  const missing: string[] = [];
  for (const file of files) if (!(await isFile(join(dir, file)))) missing.push(file);
  if (missing.length > 0) throw new ExportError(`${what} folder ${dir} has no ${missing.join(', ')}`);
}

async function isFile(path: string): Promise<boolean> {
  return (await stat(path).catch(() => null))?.isFile() ?? false;
}

async function writeJson(path: string, json: unknown): Promise<void> {
  await writeFile(path, `${JSON.stringify(json, null, 2)}\n`);
}
