/**
 * A model folder's weights in graph layout, by HF name. Loading is one function that maps every
 * name the family's definition expects, asserts its shape and transposes Linear weights to
 * [in, out], loudly; saving writes them back in HF layout.
 */
import { join } from 'node:path';
import type { TrainableParameter } from '../trainer/trainable';
import type { LlamaConfig } from './llama-config';
import { modelFamily } from './families';
import type { GraphWeight } from './llama';
import { openSafetensors, SINGLE_FILE, writeSafetensors, type TensorToWrite } from './safetensors';

export class WeightsError extends Error {
  override name = 'WeightsError';
}

/** Tensors a checkpoint may carry that the model does not read. */
const IGNORED_WEIGHTS = /(^|\.)rotary_emb\.inv_freq$/;

/**
 * Reads a model folder's safetensors (one file or shards; F32, F16 or BF16) into graph layout:
 * every weight the definition names, shape checked, Linear weights transposed to [in, out].
 * A missing weight, a wrong shape or a tensor the model does not know is an error naming it.
 */
export async function loadWeights(modelDir: string, config: LlamaConfig): Promise<Map<string, GraphWeight>> {
  const definition = modelFamily(config.modelType).definition;
  const shapes = definition.weightShapes(config);
  const reader = await openSafetensors(modelDir);
  const weights = new Map<string, GraphWeight>();
  try {
    const unknown = reader.names.filter(
      (n) => !shapes.has(n) && !IGNORED_WEIGHTS.test(n) && !(n === 'lm_head.weight' && config.tieWordEmbeddings),
    );
    if (unknown.length > 0)
      throw new WeightsError(
        `${modelDir}: tensors this ${config.modelType} configuration does not have: ${unknown.slice(0, 5).join(', ')}${unknown.length > 5 ? ', ...' : ''}`,
      );
    for (const [name, shape] of shapes) {
      if (!reader.has(name)) throw new WeightsError(`${modelDir}: weight "${name}" [${shape}] is missing`);
      const tensor = await reader.readFloat32(name);
      if (tensor.shape.join(',') !== shape.join(','))
        throw new WeightsError(`${modelDir}: weight "${name}" is [${tensor.shape}], config.json implies [${shape}]`);
      weights.set(
        name,
        definition.isLinearWeight(name)
          ? { shape: [shape[1], shape[0]], data: transposed(tensor.data, shape[0], shape[1]) }
          : tensor,
      );
    }
  } finally {
    await reader.close();
  }
  return weights;
}

/** Writes weights in graph layout to `modelDir`'s model.safetensors, as F32 in HF layout. */
export async function saveWeights(
  modelDir: string,
  config: LlamaConfig,
  weights: ReadonlyMap<string, TrainableParameter>,
) {
  const definition = modelFamily(config.modelType).definition;
  const shapes = definition.weightShapes(config);
  const tensors = [...weights].map(([name, { shape, data }]): [string, TensorToWrite] => {
    const hfData = definition.isLinearWeight(name) ? transposed(data, shape[0], shape[1]) : Float32Array.from(data);
    return [name, { shape: shapes.get(name)!, data: hfData }];
  });
  await writeSafetensors(join(modelDir, SINGLE_FILE), tensors, { format: 'pt' });
}

/** A row-major [rows, cols] matrix as [cols, rows]. */
export function transposed(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) out[c * rows + r] = data[r * cols + c];
  }
  return out;
}
