/** Shape rules the ops share: broadcasting, axes, and the sizes movement ops produce. */

import { ShapeError, formatShape } from './graph';
import type { Dim, Shape, Value } from './graph';

export function fail(op: string, message: string, ...operands: (Value | Shape)[]): never {
  const shapes = operands.map((o) => formatShape(Array.isArray(o) ? o : (o as Value).shape)).join(' and ');
  throw new ShapeError(`${op}: ${message}${shapes ? ` (got ${shapes})` : ''}`);
}

/** Numpy broadcasting: dims align from the right; equal dims or a 1 combine. */
export function broadcastShapes(op: string, ...shapes: Shape[]): Dim[] {
  const rank = Math.max(...shapes.map((s) => s.length));
  const result: Dim[] = [];
  for (let i = 0; i < rank; i++) {
    let dim: Dim = 1;
    for (const shape of shapes) {
      const d = shape[shape.length - rank + i] ?? 1;
      if (d === 1 || d === dim) continue;
      if (dim !== 1) fail(op, `cannot broadcast dimension ${dim} with ${d}`, ...shapes);
      dim = d;
    }
    result.push(dim);
  }
  return result;
}

export function normalizeAxis(op: string, axis: number, rank: number): number {
  const normalized = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(axis) || normalized < 0 || normalized >= rank) {
    throw new ShapeError(`${op}: axis ${axis} is out of range for rank ${rank}`);
  }
  return normalized;
}

export function normalizeAxes(op: string, axes: readonly number[], rank: number): number[] {
  const normalized = axes.map((a) => normalizeAxis(op, a, rank)).sort((a, b) => a - b);
  if (new Set(normalized).size !== normalized.length)
    throw new ShapeError(`${op}: repeated axis in [${axes.join(',')}]`);
  return normalized;
}

/** Shape of `[..., m, k] @ [..., k, n]` with broadcast batch dims. */
export function matmulShape(a: Value, b: Value): Dim[] {
  if (a.rank < 2 || b.rank < 2) fail('MatMul', 'operands need rank >= 2 (unsqueeze vectors first)', a, b);
  const [m, k] = a.shape.slice(-2);
  const [k2, n] = b.shape.slice(-2);
  if (k !== k2) fail('MatMul', `inner dimensions ${k} and ${k2} differ`, a, b);
  return [...broadcastShapes('MatMul', a.shape.slice(0, -2), b.shape.slice(0, -2)), m, n];
}

/**
 * Resolves a reshape target: -1 takes what is left. With symbolic dims the leftover gets the
 * product of the input's unused symbols as its name ('batch*seq').
 */
export function reshapeTarget(x: Value, target: Shape): Dim[] {
  const fail_ = (why: string): never => fail('Reshape', `cannot reshape to ${formatShape(target)}: ${why}`, x);
  const holes = target.filter((d) => d === -1).length;
  if (holes > 1) fail_('more than one -1');
  const numeric = (shape: Shape) => shape.reduce<number>((n, d) => (typeof d === 'number' && d !== -1 ? n * d : n), 1);
  const symbols = (shape: Shape) => shape.filter((d): d is string => typeof d === 'string');
  const inSymbols = symbols(x.shape);
  const outSymbols = symbols(target);
  const leftover = [...inSymbols];
  for (const s of outSymbols) {
    const at = leftover.indexOf(s);
    if (at < 0) fail_(`symbol ${s} is not in the input`);
    leftover.splice(at, 1);
  }
  const inSize = numeric(x.shape);
  const outSize = numeric(target);
  if (holes === 0) {
    if (leftover.length > 0 || inSize !== outSize) fail_('sizes differ');
    return [...target];
  }
  if (inSize % outSize !== 0) fail_('sizes do not divide');
  const rest = inSize / outSize;
  const hole: Dim = leftover.length === 0 ? rest : [...(rest === 1 ? [] : [String(rest)]), ...leftover].join('*');
  return target.map((d) => (d === -1 ? hole : d));
}
