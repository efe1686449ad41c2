/**
 * LoRA adapters in PEFT's format: for each adapted Linear W [out, in], A [r, in] and B [out, r]
 * so that the layer computes x·Wᵀ + (alpha / r)·x·Aᵀ·Bᵀ. A new adapter (init.ts) has B zero, so
 * the adapted model equals the base, and A uniform in ±1/√in as PEFT's Kaiming-uniform gives.
 * Saved as `adapter_config.json` + `adapter_model.safetensors` with PEFT's tensor names
 * (`base_model.model.model.layers.{i}.self_attn.q_proj.lora_A.weight`), so PEFT and other
 * tools load them; merging writes W + (alpha / r)·B·A back into a plain model folder.
 */
import { copyFile, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { LlamaConfig } from './llama-config';
import {
  openSafetensors,
  SHARD_INDEX,
  SINGLE_FILE,
  writeSafetensors,
  type SafetensorsDType,
  type TensorToWrite,
} from './safetensors';

export const LORA_TARGETS = ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'] as const;
export type LoraTarget = (typeof LORA_TARGETS)[number];

export interface LoraConfig {
  r: number;
  alpha: number;
  /** In layer order: q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj. */
  targetModules: LoraTarget[];
}

export interface LoraTensor {
  shape: number[];
  data: Float32Array;
}

export interface LoraAdapter {
  lora: LoraConfig;
  /** By PEFT name, A before B, layer by layer. */
  weights: Map<string, LoraTensor>;
  baseModelNameOrPath: string | null;
}

export class LoraError extends Error {
  override name = 'LoraError';
}

export const ADAPTER_CONFIG = 'adapter_config.json';
export const ADAPTER_WEIGHTS = 'adapter_model.safetensors';

/** Accepts `q` or `q_proj` (and so on); returns HF module names in layer order. */
export function parseLoraTargets(names: readonly string[]): LoraTarget[] {
  const wanted = new Set<LoraTarget>();
  for (const name of names) {
    const target = (name.endsWith('_proj') ? name : `${name}_proj`) as LoraTarget;
    if (!LORA_TARGETS.includes(target))
      throw new LoraError(
        `LoRA target "${name}" is not one of ${LORA_TARGETS.join(', ')} (or q, k, v, o, gate, up, down)`,
      );
    wanted.add(target);
  }
  if (wanted.size === 0) throw new LoraError('LoRA needs at least one target module');
  return LORA_TARGETS.filter((t) => wanted.has(t));
}

export function loraConfig(r: number, alpha: number, targets: readonly string[]): LoraConfig {
  if (!Number.isInteger(r) || r <= 0) throw new LoraError(`LoRA rank r must be a positive integer, got ${r}`);
  if (!(alpha > 0)) throw new LoraError(`lora_alpha must be positive, got ${alpha}`);
  return { r, alpha, targetModules: parseLoraTargets(targets) };
}

export function loraScale(lora: LoraConfig): number {
  return lora.alpha / lora.r;
}

/** `self_attn.q_proj`, `mlp.down_proj`, ...: where the module sits in a decoder layer. */
export function modulePath(target: LoraTarget): string {
  return `${target.startsWith('gate') || target.startsWith('up') || target.startsWith('down') ? 'mlp' : 'self_attn'}.${target}`;
}

/** [out, in] of the Linear a target adapts. */
export function linearShape(config: LlamaConfig, target: LoraTarget): [out: number, inFeatures: number] {
  const { hiddenSize: h, intermediateSize: ff, headDim: d } = config;
  const q = config.numAttentionHeads * d;
  const kv = config.numKeyValueHeads * d;
  const shapes: Record<LoraTarget, [number, number]> = {
    q_proj: [q, h],
    k_proj: [kv, h],
    v_proj: [kv, h],
    o_proj: [h, q],
    gate_proj: [ff, h],
    up_proj: [ff, h],
    down_proj: [h, ff],
  };
  return shapes[target];
}

export function loraNames(layer: number, target: LoraTarget): { a: string; b: string } {
  const prefix = `base_model.model.model.layers.${layer}.${modulePath(target)}`;
  return { a: `${prefix}.lora_A.weight`, b: `${prefix}.lora_B.weight` };
}

/** Every LoRA tensor's PEFT name and shape, layer by layer, A before B. */
export function loraShapes(config: LlamaConfig, lora: LoraConfig): Map<string, number[]> {
  const shapes = new Map<string, number[]>();
  for (let layer = 0; layer < config.numHiddenLayers; layer++) {
    for (const target of lora.targetModules) {
      const [out, inFeatures] = linearShape(config, target);
      const { a, b } = loraNames(layer, target);
      shapes.set(a, [lora.r, inFeatures]);
      shapes.set(b, [out, lora.r]);
    }
  }
  return shapes;
}

/** Writes a PEFT adapter folder: adapter_config.json and adapter_model.safetensors. */
export async function saveLoraAdapter(dir: string, adapter: LoraAdapter): Promise<void> {
  const { lora } = adapter;
  await mkdir(dir, { recursive: true });
  const config = {
    peft_type: 'LORA',
    task_type: 'CAUSAL_LM',
    base_model_name_or_path: adapter.baseModelNameOrPath,
    r: lora.r,
    lora_alpha: lora.alpha,
    lora_dropout: 0,
    target_modules: lora.targetModules,
    bias: 'none',
    fan_in_fan_out: false,
    inference_mode: true,
    init_lora_weights: true,
    use_rslora: false,
    use_dora: false,
    modules_to_save: null,
    layers_to_transform: null,
    layers_pattern: null,
    rank_pattern: {},
    alpha_pattern: {},
  };
  await writeSafetensors(
    join(dir, ADAPTER_WEIGHTS),
    [...adapter.weights].map(([name, t]) => [name, { shape: t.shape, data: t.data }]),
    { format: 'pt' },
  );
  await writeFile(join(dir, ADAPTER_CONFIG), `${JSON.stringify(config, null, 2)}\n`);
}

/**
 * Reads a PEFT LoRA adapter folder; with `config`, checks that every tensor the configuration
 * implies is there with its shape, and nothing else.
 */
export async function loadLoraAdapter(dir: string, config?: LlamaConfig): Promise<LoraAdapter> {
  const path = join(dir, ADAPTER_CONFIG);
  const json = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
  const fail = (why: string): never => {
    throw new LoraError(`${path}: ${why}`);
  };
  if (json.peft_type !== 'LORA') fail(`peft_type must be "LORA", got ${JSON.stringify(json.peft_type)}`);
  for (const [field, unsupported] of [
    ['use_dora', true],
    ['use_rslora', true],
    ['fan_in_fan_out', true],
  ] as const) {
    if (json[field] === unsupported) fail(`${field} is not supported`);
  }
  if (json.bias !== undefined && json.bias !== 'none') fail(`bias must be "none", got ${JSON.stringify(json.bias)}`);
  for (const field of ['rank_pattern', 'alpha_pattern']) {
    const value = json[field];
    if (value && typeof value === 'object' && Object.keys(value).length > 0) fail(`${field} is not supported`);
  }
  const targets = json.target_modules;
  if (!Array.isArray(targets) || !targets.every((t) => typeof t === 'string'))
    fail('target_modules must be a list of module names');
  const lora = loraConfig(Number(json.r), Number(json.lora_alpha), targets as string[]);

  const reader = await openSafetensors(join(dir, ADAPTER_WEIGHTS));
  const weights = new Map<string, LoraTensor>();
  try {
    const expected = config ? loraShapes(config, lora) : undefined;
    const names = expected ? [...expected.keys()] : reader.names;
    for (const name of names) {
      if (!reader.has(name)) fail(`${ADAPTER_WEIGHTS} has no tensor "${name}"`);
      const { shape, data } = await reader.readFloat32(name);
      const want = expected?.get(name);
      if (want && want.join(',') !== shape.join(','))
        fail(`${ADAPTER_WEIGHTS}: "${name}" is [${shape}], expected [${want}]`);
      weights.set(name, { shape, data });
    }
    const extra = reader.names.filter((n) => !weights.has(n));
    if (extra.length > 0)
      fail(`${ADAPTER_WEIGHTS} has tensors this configuration does not use: ${extra.slice(0, 3).join(', ')}`);
  } finally {
    await reader.close();
  }
  const base = json.base_model_name_or_path;
  return { lora, weights, baseModelNameOrPath: typeof base === 'string' ? base : null };
}

/** W [out, in] + scale·B·A, a new array. */
export function mergedWeight(weight: Float32Array, a: LoraTensor, b: LoraTensor, scale: number): Float32Array {
  const [r, inFeatures] = a.shape;
  const out = b.shape[0];
  if (b.shape[1] !== r || weight.length !== out * inFeatures) {
    throw new LoraError(`cannot merge A [${a.shape}] and B [${b.shape}] into a weight of ${weight.length} values`);
  }
  const merged = Float32Array.from(weight);
  for (let o = 0; o < out; o++) {
    const row = merged.subarray(o * inFeatures, (o + 1) * inFeatures);
    for (let k = 0; k < r; k++) {
      const coefficient = scale * b.data[o * r + k];
      if (coefficient === 0) continue;
      const aRow = a.data.subarray(k * inFeatures, (k + 1) * inFeatures);
      for (let i = 0; i < inFeatures; i++) row[i] += coefficient * aRow[i];
    }
  }
  return merged;
}

/**
 * A plain model folder with the adapter merged in: `model.safetensors` (each tensor in its
 * stored dtype) and copies of the base folder's other files (config, tokenizer, ...).
 */
export async function writeMergedModel(baseDir: string, adapter: LoraAdapter, outDir: string): Promise<void> {
  const scale = loraScale(adapter.lora);
  const reader = await openSafetensors(baseDir);
  const tensors: Array<[string, TensorToWrite]> = [];
  const used = new Set<string>();
  try {
    for (const name of reader.names) {
      const { dtype } = reader.info(name);
      const tensor = await reader.read(name);
      const target = /^model\.layers\.(\d+)\.(?:self_attn|mlp)\.(\w+_proj)\.weight$/.exec(name);
      const names =
        target && (LORA_TARGETS as readonly string[]).includes(target[2])
          ? loraNames(Number(target[1]), target[2] as LoraTarget)
          : undefined;
      const a = names && adapter.weights.get(names.a);
      const b = names && adapter.weights.get(names.b);
      if (names && a && b) {
        tensors.push([
          name,
          {
            shape: tensor.shape,
            data: mergedWeight(tensor.data as Float32Array, a, b, scale),
            dtype: dtype as SafetensorsDType,
          },
        ]);
        used.add(names.a).add(names.b);
      } else {
        tensors.push([name, { ...tensor, dtype: dtype as SafetensorsDType }]);
      }
    }
  } finally {
    await reader.close();
  }
  const unused = [...adapter.weights.keys()].filter((n) => !used.has(n));
  if (unused.length > 0)
    throw new LoraError(
      `the base model in ${baseDir} has no weight for adapter tensors ${unused.slice(0, 3).join(', ')}`,
    );
  await mkdir(outDir, { recursive: true });
  await writeSafetensors(join(outDir, SINGLE_FILE), tensors, { format: 'pt' });
  for (const entry of await readdir(baseDir, { withFileTypes: true })) {
    const isWeights = entry.name.endsWith('.safetensors') || entry.name === SHARD_INDEX;
    if (!isWeights && (entry.isFile() || entry.isSymbolicLink()))
      await copyFile(join(baseDir, entry.name), join(outDir, entry.name));
  }
}
