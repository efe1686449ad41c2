/** Seeded randomness for the training side: initial weights, shuffles, reproducible test tensors. */
import { sizeOf, type Shape } from './engine/graph';

/** mulberry32: uniform floats in [0, 1) from a 32-bit seed — the one seeded generator of the training side. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Seeded uniform values in [low, high), for reproducible test tensors. */
export function random(shape: Shape, { seed = 1, low = -1, high = 1 } = {}): Float64Array {
  const uniform = seededRandom(seed);
  return Float64Array.from({ length: sizeOf(shape) }, () => low + (high - low) * uniform());
}
