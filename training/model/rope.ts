/**
 * Rotary position embeddings as HF Llama computes them: one inverse frequency per pair of
 * head dims, theta^(−2i/d), optionally adjusted by Llama 3.1's frequency-dependent scaling;
 * a position's angles repeat once per half of the head ([f0 … f(d/2−1), f0 … f(d/2−1)]), and a
 * head vector x turns into x·cos + rotate_half(x)·sin.
 */
import type { DType, Value } from '../engine/graph';
import * as op from '../engine/ops';
import type { LlamaConfig } from './llama-config';

export type RopeConfig = Pick<LlamaConfig, 'headDim' | 'ropeTheta' | 'ropeScaling'>;

/** The d/2 inverse frequencies, in float64, Llama 3.1 scaling applied when configured. */
export function inverseFrequencies({ headDim, ropeTheta, ropeScaling }: RopeConfig): Float64Array {
  const frequencies = Float64Array.from({ length: headDim / 2 }, (_, i) => ropeTheta ** (-(2 * i) / headDim));
  if (!ropeScaling) return frequencies;
  // Wavelengths shorter than the original context / high factor stay; longer than / low factor
  // are slowed by `factor`; those between blend the two smoothly.
  const { factor, lowFreqFactor, highFreqFactor, originalMaxPositionEmbeddings: context } = ropeScaling;
  const lowFreqWavelength = context / lowFreqFactor;
  const highFreqWavelength = context / highFreqFactor;
  return frequencies.map((frequency) => {
    const wavelength = (2 * Math.PI) / frequency;
    if (wavelength < highFreqWavelength) return frequency;
    if (wavelength > lowFreqWavelength) return frequency / factor;
    const smooth = (context / wavelength - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
    return (1 - smooth) * (frequency / factor) + smooth * frequency;
  });
}

export interface RopeTables {
  /** (P, 1, 1, T, hs), P being 1 or the batch: broadcasts against (B, kv, group, T, hs). */
  readonly cos: Value;
  readonly sin: Value;
}

/**
 * cos and sin of every position's angles, computed in the graph from int64 `positions` of shape
 * [T] or [B, T] (constants fold at session creation), each multiplied by `scale`.
 */
export function ropeTables(config: RopeConfig, positions: Value, dtype: DType, scale = 1): RopeTables {
  const graph = positions.graph;
  const frequencies = graph.constant(Float64Array.from(inverseFrequencies(config)), [config.headDim / 2]);
  const rows = positions.rank === 1 ? op.unsqueeze(positions, [0]) : positions; // (P, T)
  const half = op.mul(op.unsqueeze(op.cast(rows, 'float64'), [-1]), frequencies); // (P, T, hs/2)
  const angles = op.unsqueeze(op.concat([half, half], -1), [1, 2]); // (P, 1, 1, T, hs)
  const table = (f: (x: Value) => Value) => op.cast(scale === 1 ? f(angles) : op.mul(f(angles), scale), dtype);
  return { cos: table(op.cos), sin: table(op.sin) };
}

/** x·cos + rotate_half(x)·sin on the last axis, rotate_half(x) = [−x2, x1]. */
export function applyRope(x: Value, { cos, sin }: RopeTables): Value {
  const half = (x.shape[x.rank - 1] as number) / 2;
  const rotated = op.concat([op.neg(op.slice(x, -1, half)), op.slice(x, -1, 0, half)], -1);
  return op.add(op.mul(x, cos), op.mul(rotated, sin));
}
