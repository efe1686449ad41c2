/**
 * Initial weights, seeded: a new LoRA adapter as PEFT makes it, and a random base model as HF
 * initialises one. The same seed gives the same values, tensor by tensor.
 */
import type { LlamaConfig } from './llama-config';
import { modelFamily } from './families';
import { loraShapes, type LoraConfig, type LoraTensor } from './lora';
import { random, seededRandom } from '../random';

/** PEFT's initial adapter: A uniform in ±1/√in (Kaiming-uniform, a = √5), seeded per tensor; B zero. */
export function initLoraWeights(config: LlamaConfig, lora: LoraConfig, seed = 0): Map<string, LoraTensor> {
  const weights = new Map<string, LoraTensor>();
  [...loraShapes(config, lora)].forEach(([name, shape], i) => {
    const isA = name.endsWith('lora_A.weight');
    const bound = 1 / Math.sqrt(shape[1]);
    const data = isA
      ? Float32Array.from(random(shape, { seed: seed * 100_003 + i + 1, low: -bound, high: bound }))
      : new Float32Array(shape[0] * shape[1]);
    weights.set(name, { shape, data });
  });
  return weights;
}

/**
 * Random weights for `config`, initialised as HF does — Normal(0, 0.02) — except that norm
 * weights are 1 ± a little and biases are small but non-zero, so a model that forgets a norm
 * weight or a bias gives measurably different outputs.
 */
export function randomWeights(config: LlamaConfig, seed = 0): Map<string, { shape: number[]; data: Float32Array }> {
  const weights = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const [name, shape] of modelFamily(config.modelType).definition.weightShapes(config)) {
    const size = shape.reduce((n, d) => n * d, 1);
    const isNorm = name.endsWith('norm.weight');
    const data = isNorm ? normalFill(size, 1, 0.1, seed, name) : normalFill(size, 0, 0.02, seed, name);
    weights.set(name, { shape, data });
  }
  return weights;
}

/**
 * Normal(mean, std) by Box–Muller; each tensor gets its own stream (seed mixed with its name), so adding a tensor
 * leaves the others unchanged.
 */
function normalFill(size: number, mean: number, std: number, seed: number, name: string): Float32Array {
  let streamSeed = seed ^ 0x811c9dc5;
  for (let i = 0; i < name.length; i++) streamSeed = Math.imul(streamSeed ^ name.charCodeAt(i), 0x01000193);
  const uniform = seededRandom(streamSeed);
  const values = new Float32Array(size);
  for (let i = 0; i < size; i += 2) {
    const radius = Math.sqrt(-2 * Math.log(1 - uniform()));
    const angle = 2 * Math.PI * uniform();
    values[i] = mean + std * radius * Math.cos(angle);
    if (i + 1 < size) values[i + 1] = mean + std * radius * Math.sin(angle);
  }
  return values;
}
