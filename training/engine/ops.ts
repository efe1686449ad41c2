/**
 * Every op the engine knows, where the forward and backward passes live together: each op
 * checks its operands and infers its output, and the `vjp` line under it gives the gradients of
 * its inputs from the gradient `g` of its output (each as a thunk, so that autodiff only builds
 * the gradients it needs). Grouped by kind: unary, binary, reduce, movement, indexing, linear
 * algebra. Ops without a rule (comparisons, shapes, scatters) are not differentiable.
 */

import { ONNX_TYPES, ShapeError, formatShape, isFloat, isStatic, sizeOf, typedArray } from './graph';
import type { AttributeValue, DType, Dim, Graph, Node, Shape, Value } from './graph';
import { broadcastShapes, fail, matmulShape, normalizeAxes, normalizeAxis, reshapeTarget } from './shapes';

/** A value, or a number that becomes a scalar constant of the other operand's dtype. */
export type Operand = Value | number;
type GradThunk = (() => Value) | undefined;
export type VjpRule = (g: Value, node: Node) => readonly GradThunk[];

const rules = new Map<string, VjpRule>();

function vjp(op: string, rule: VjpRule): void {
  rules.set(op, rule);
}

export function vjpRule(op: string): VjpRule | undefined {
  return rules.get(op);
}

function emit(
  op: string,
  inputs: readonly Value[],
  attributes: Record<string, AttributeValue>,
  dtype: DType,
  shape: Shape,
): Value {
  return inputs[0].graph.node(op, inputs, attributes, [{ dtype, shape }])[0];
}

function requireFloat(op: string, ...values: Value[]): void {
  for (const v of values) if (!isFloat(v.dtype)) throw new ShapeError(`${op}: needs a float tensor, got ${v}`);
}

function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Contents of a constant input (axes, pads, an exponent). */
function constantValues(value: Value): number[] {
  if (!value.data) throw new Error(`${value.name} is not a constant`);
  return Array.from(value.data, Number);
}

// ─── constants and shapes ───────────────────────────────────────────────────────────────────

/** A tensor of zeros, built at run time so that no large constant lands in the model. */
export function zeros(graph: Graph, shape: Shape, dtype: DType, like?: Value): Value {
  const value = { tensor: { dtype, dims: [1], data: typedArray(dtype, [0]) } };
  return emit('ConstantOfShape', [shapeTensor(graph, shape, like ? [like] : [], false)], { value }, dtype, shape);
}

/** ONNX Shape: the dims `start..end` of `x` as an int64 vector. */
export function shapeOf(x: Value, start = 0, end = x.rank): Value {
  return emit('Shape', [x], { start, end }, 'int64', [end - start]);
}

/**
 * A 1-D int64 tensor holding `dims`: a constant when static; otherwise each symbolic dim is
 * read at run time from a value that has it, `sources` first, then the graph inputs (a name
 * means the same size everywhere). A reshape may leave one unknown dim as -1.
 */
function shapeTensor(graph: Graph, dims: Shape, sources: readonly Value[], allowHole: boolean): Value {
  if (isStatic(dims)) return graph.ints(dims);
  let holes = 0;
  const parts = dims.map((d) => {
    if (typeof d === 'number') return graph.ints([d]);
    for (const source of [...sources, ...graph.inputs]) {
      const at = source.shape.indexOf(d);
      if (at >= 0) return shapeOf(source, at, at + 1);
    }
    if (!allowHole || ++holes > 1)
      throw new ShapeError(`cannot build shape ${formatShape(dims)}: no value has dim ${d}`);
    return graph.ints([-1]);
  });
  return concat(parts, 0);
}

/** 0, 1, …, n−1 (int64), n being the size of `x` along `axis` (read at run time if symbolic). */
export function indicesAlong(x: Value, axis: number): Value {
  const at = normalizeAxis('Range', axis, x.rank);
  const size = x.shape[at];
  const graph = x.graph;
  if (typeof size === 'number') return graph.ints(Array.from({ length: size }, (_, i) => i));
  const limit = squeeze(shapeOf(x, at, at + 1), [0]);
  return emit('Range', [graph.scalar(0, 'int64'), limit, graph.scalar(1, 'int64')], {}, 'int64', [size]);
}

/** Reshapes `x` to the shape of `like` (read at run time if symbolic). */
function reshapeLike(x: Value, like: Value): Value {
  if (sameShape(x.shape, like.shape)) return x;
  if (isStatic(like.shape)) return reshape(x, like.shape);
  return emit('Reshape', [x, shapeOf(like)], {}, x.dtype, like.shape);
}

/** Broadcasts `x` to the shape of `like` (read at run time if symbolic). */
function expandLike(x: Value, like: Value): Value {
  if (sameShape(x.shape, like.shape)) return x;
  if (isStatic(like.shape)) return expand(x, like.shape);
  return emit('Expand', [x, shapeOf(like)], {}, x.dtype, like.shape);
}

/**
 * Sums a gradient over the axes that broadcasting expanded, so it takes the shape of `input`
 * (tinygrad's Expand.backward). Every broadcasting op's rule goes through here.
 */
export function unbroadcast(g: Value, input: Value): Value {
  if (sameShape(g.shape, input.shape)) return g;
  const lead = g.rank - input.rank;
  const axes = g.shape.map((_, i) => i).filter((i) => i < lead || (input.shape[i - lead] === 1 && g.shape[i] !== 1));
  return reshapeLike(reduceSum(g, axes, true), input);
}

// ─── unary ──────────────────────────────────────────────────────────────────────────────────

function unary(op: string, x: Value): Value {
  requireFloat(op, x);
  return emit(op, [x], {}, x.dtype, x.shape);
}

export const identity = (x: Value): Value => emit('Identity', [x], {}, x.dtype, x.shape);
vjp('Identity', (g) => [() => g]);

export const neg = (x: Value): Value => unary('Neg', x);
vjp('Neg', (g) => [() => neg(g)]);

export const exp = (x: Value): Value => unary('Exp', x);
vjp('Exp', (g, { outputs: [y] }) => [() => mul(g, y)]);

export const log = (x: Value): Value => unary('Log', x);
vjp('Log', (g, { inputs: [x] }) => [() => div(g, x)]);

export const sqrt = (x: Value): Value => unary('Sqrt', x);
vjp('Sqrt', (g, { outputs: [y] }) => [() => div(mul(g, 0.5), y)]);

export const reciprocal = (x: Value): Value => unary('Reciprocal', x);
vjp('Reciprocal', (g, { outputs: [y] }) => [() => neg(mul(g, mul(y, y)))]);

export const tanh = (x: Value): Value => unary('Tanh', x);
vjp('Tanh', (g, { outputs: [y] }) => [() => mul(g, sub(1, mul(y, y)))]);

export const sigmoid = (x: Value): Value => unary('Sigmoid', x);
vjp('Sigmoid', (g, { outputs: [y] }) => [() => mul(g, mul(y, sub(1, y)))]);

export const cos = (x: Value): Value => unary('Cos', x);
vjp('Cos', (g, { inputs: [x] }) => [() => neg(mul(g, sin(x)))]);

export const sin = (x: Value): Value => unary('Sin', x);
vjp('Sin', (g, { inputs: [x] }) => [() => mul(g, cos(x))]);

/** `x ** exponent` for a constant exponent. */
export function pow(x: Value, exponent: number): Value {
  requireFloat('Pow', x);
  return emit('Pow', [x, x.graph.scalar(exponent, x.dtype)], {}, x.dtype, x.shape);
}
vjp('Pow', (g, { inputs: [x, exponent] }) => {
  const p = constantValues(exponent)[0];
  return [() => mul(g, mul(pow(x, p - 1), p)), undefined];
});

export function cast(x: Value, dtype: DType): Value {
  return x.dtype === dtype ? x : emit('Cast', [x], { to: ONNX_TYPES[dtype] }, dtype, x.shape);
}
vjp('Cast', (g, { inputs: [x] }) => [isFloat(x.dtype) ? () => cast(g, x.dtype) : undefined]);

// ─── binary (broadcasting) ──────────────────────────────────────────────────────────────────

function operands(op: string, a: Operand, b: Operand): [Value, Value] {
  if (typeof a === 'number' && typeof b === 'number') throw new ShapeError(`${op}: needs at least one tensor operand`);
  const like = typeof a === 'number' ? (b as Value) : a;
  const lift = (x: Operand): Value => (typeof x === 'number' ? like.graph.scalar(x, like.dtype) : x);
  const [x, y] = [lift(a), lift(b)];
  if (x.dtype !== y.dtype) throw new ShapeError(`${op}: dtypes differ, ${x} and ${y}`);
  return [x, y];
}

function binary(op: string, a: Operand, b: Operand, dtype?: DType): Value {
  const [x, y] = operands(op, a, b);
  return emit(op, [x, y], {}, dtype ?? x.dtype, broadcastShapes(op, x.shape, y.shape));
}

export const add = (a: Operand, b: Operand): Value => binary('Add', a, b);
vjp('Add', (g, { inputs: [a, b] }) => [() => unbroadcast(g, a), () => unbroadcast(g, b)]);

export const sub = (a: Operand, b: Operand): Value => binary('Sub', a, b);
vjp('Sub', (g, { inputs: [a, b] }) => [() => unbroadcast(g, a), () => unbroadcast(neg(g), b)]);

export const mul = (a: Operand, b: Operand): Value => binary('Mul', a, b);
vjp('Mul', (g, { inputs: [a, b] }) => [() => unbroadcast(mul(g, b), a), () => unbroadcast(mul(g, a), b)]);

export const div = (a: Operand, b: Operand): Value => binary('Div', a, b);
vjp('Div', (g, { inputs: [a, b], outputs: [y] }) => [
  () => unbroadcast(div(g, b), a),
  () => unbroadcast(neg(div(mul(g, y), b)), b),
]);

/** Elementwise maximum; where equal, the gradient goes to `a`. */
export const maximum = (a: Operand, b: Operand): Value => binary('Max', a, b);
vjp('Max', (g, { inputs: [a, b] }) => routeBy(g, a, b, greaterOrEqual(a, b)));

/** Elementwise minimum; where equal, the gradient goes to `a`. */
export const minimum = (a: Operand, b: Operand): Value => binary('Min', a, b);
vjp('Min', (g, { inputs: [a, b] }) => routeBy(g, a, b, lessOrEqual(a, b)));

function routeBy(g: Value, a: Value, b: Value, toA: Value): GradThunk[] {
  return [() => unbroadcast(where(toA, g, 0), a), () => unbroadcast(where(toA, 0, g), b)];
}

/** `cond ? a : b`, elementwise with broadcasting. */
export function where(cond: Value, a: Operand, b: Operand): Value {
  if (cond.dtype !== 'bool') throw new ShapeError(`Where: condition must be bool, got ${cond}`);
  const [x, y] = operands('Where', a, b);
  return emit('Where', [cond, x, y], {}, x.dtype, broadcastShapes('Where', cond.shape, x.shape, y.shape));
}
vjp('Where', (g, { inputs: [cond, a, b] }) => [
  undefined,
  () => unbroadcast(where(cond, g, 0), a),
  () => unbroadcast(where(cond, 0, g), b),
]);

export const equal = (a: Operand, b: Operand): Value => binary('Equal', a, b, 'bool');
export const less = (a: Operand, b: Operand): Value => binary('Less', a, b, 'bool');
export const lessOrEqual = (a: Operand, b: Operand): Value => binary('LessOrEqual', a, b, 'bool');
export const greater = (a: Operand, b: Operand): Value => binary('Greater', a, b, 'bool');
export const greaterOrEqual = (a: Operand, b: Operand): Value => binary('GreaterOrEqual', a, b, 'bool');
export const logicalAnd = (a: Value, b: Value): Value => binary('And', a, b);
export const logicalOr = (a: Value, b: Value): Value => binary('Or', a, b);
export const logicalNot = (x: Value): Value => emit('Not', [x], {}, 'bool', x.shape);

// ─── reduce ─────────────────────────────────────────────────────────────────────────────────

/** Reduces over `axes` (all when omitted); negative axes count from the end. */
function reduce(op: string, x: Value, axes: readonly number[] | undefined, keepDims: boolean): Value {
  if (x.dtype === 'bool') throw new ShapeError(`${op}: cannot reduce a bool tensor ${x}; cast it first`);
  const reduced = axes === undefined ? x.shape.map((_, i) => i) : normalizeAxes(op, axes, x.rank);
  if (reduced.length === 0) return x;
  const shape = keepDims
    ? x.shape.map((d, i) => (reduced.includes(i) ? 1 : d))
    : x.shape.filter((_, i) => !reduced.includes(i));
  return emit(op, [x, x.graph.ints(reduced)], { keepdims: keepDims ? 1 : 0 }, x.dtype, shape);
}

/** The gradient of a reduction's output, with the reduced axes back as size 1. */
function keptDims(g: Value, node: Node): Value {
  return node.attributes.keepdims === 1 ? g : unsqueeze(g, constantValues(node.inputs[1]));
}

export const reduceSum = (x: Value, axes?: readonly number[], keepDims = false): Value =>
  reduce('ReduceSum', x, axes, keepDims);
vjp('ReduceSum', (g, node) => [() => expandLike(keptDims(g, node), node.inputs[0]), undefined]);

export const reduceMean = (x: Value, axes?: readonly number[], keepDims = false): Value =>
  reduce('ReduceMean', x, axes, keepDims);
vjp('ReduceMean', (g, node) => {
  const [x, axes] = node.inputs;
  const count = sizeOf(constantValues(axes).map((a) => x.shape[a]));
  return [() => expandLike(div(keptDims(g, node), count), x), undefined];
});

/** Maximum over `axes`; tied maxima share the gradient equally. */
export const reduceMax = (x: Value, axes?: readonly number[], keepDims = false): Value =>
  reduce('ReduceMax', x, axes, keepDims);
vjp('ReduceMax', (g, node) => {
  const [x, axes] = node.inputs;
  return [
    () => {
      const isMax = cast(equal(x, keptDims(node.outputs[0], node)), x.dtype);
      const ties = reduceSum(isMax, constantValues(axes), true);
      return mul(isMax, div(keptDims(g, node), ties));
    },
    undefined,
  ];
});

export function softmax(x: Value, axis = -1): Value {
  requireFloat('Softmax', x);
  return emit('Softmax', [x], { axis: normalizeAxis('Softmax', axis, x.rank) }, x.dtype, x.shape);
}
vjp('Softmax', (g, { outputs: [y], attributes }) => {
  const axis = attributes.axis as number;
  return [() => mul(y, sub(g, reduceSum(mul(g, y), [axis], true)))];
});

export function logSoftmax(x: Value, axis = -1): Value {
  requireFloat('LogSoftmax', x);
  return emit('LogSoftmax', [x], { axis: normalizeAxis('LogSoftmax', axis, x.rank) }, x.dtype, x.shape);
}
vjp('LogSoftmax', (g, { outputs: [y], attributes }) => {
  const axis = attributes.axis as number;
  return [() => sub(g, mul(exp(y), reduceSum(g, [axis], true)))];
});

// ─── movement ───────────────────────────────────────────────────────────────────────────────

/** Reshape; one dim may be -1, symbolic dims must come from `x`. */
export function reshape(x: Value, shape: Shape): Value {
  const target = reshapeTarget(x, shape);
  if (sameShape(target, x.shape)) return x;
  return emit('Reshape', [x, shapeTensor(x.graph, shape, [x], true)], {}, x.dtype, target);
}
vjp('Reshape', (g, { inputs: [x] }) => [() => reshapeLike(g, x), undefined]);

/** Permutes the axes; reverses them when `perm` is omitted. */
export function transpose(x: Value, perm: readonly number[] = x.shape.map((_, i) => x.rank - 1 - i)): Value {
  const sorted = [...perm].sort((a, b) => a - b);
  if (perm.length !== x.rank || sorted.some((p, i) => p !== i)) {
    fail('Transpose', `[${perm.join(',')}] is not a permutation of ${x.rank} axes`, x);
  }
  return emit(
    'Transpose',
    [x],
    { perm },
    x.dtype,
    perm.map((p) => x.shape[p]),
  );
}
vjp('Transpose', (g, { attributes }) => {
  const perm = attributes.perm as number[];
  const inverse = perm.map((_, i) => perm.indexOf(i));
  return [() => transpose(g, inverse)];
});

/** Swaps the last two axes (`x.T` of a matrix, or of each matrix in a batch). */
export function transposeLast2(x: Value): Value {
  const perm = x.shape.map((_, i) => i);
  [perm[x.rank - 2], perm[x.rank - 1]] = [perm[x.rank - 1], perm[x.rank - 2]];
  return transpose(x, perm);
}

/** Inserts size-1 axes at `axes` (positions in the output). */
export function unsqueeze(x: Value, axes: readonly number[]): Value {
  const inserted = normalizeAxes('Unsqueeze', axes, x.rank + axes.length);
  const shape: Dim[] = [...x.shape];
  for (const a of inserted) shape.splice(a, 0, 1);
  return emit('Unsqueeze', [x, x.graph.ints(inserted)], {}, x.dtype, shape);
}
vjp('Unsqueeze', (g, { inputs: [, axes] }) => [() => squeeze(g, constantValues(axes)), undefined]);

/** Removes the size-1 axes `axes`. */
export function squeeze(x: Value, axes: readonly number[]): Value {
  const removed = normalizeAxes('Squeeze', axes, x.rank);
  for (const a of removed) if (x.shape[a] !== 1) fail('Squeeze', `axis ${a} has size ${x.shape[a]}, not 1`, x);
  return emit(
    'Squeeze',
    [x, x.graph.ints(removed)],
    {},
    x.dtype,
    x.shape.filter((_, i) => !removed.includes(i)),
  );
}
vjp('Squeeze', (g, { inputs: [, axes] }) => [() => unsqueeze(g, constantValues(axes)), undefined]);

/** Broadcasts `x` to `shape` (numpy rules, both ways). */
export function expand(x: Value, shape: Shape): Value {
  const out = broadcastShapes('Expand', x.shape, shape);
  if (sameShape(out, x.shape)) return x;
  const lead = out.length - x.rank;
  const dims = out.map((d, i) => (i >= lead && x.shape[i - lead] === d ? 1 : d));
  return emit('Expand', [x, shapeTensor(x.graph, dims, [x], false)], {}, x.dtype, out);
}
vjp('Expand', (g, { inputs: [x] }) => [() => unbroadcast(g, x), undefined]);

export function concat(values: readonly Value[], axis: number): Value {
  const [first] = values;
  const at = normalizeAxis('Concat', axis, first.rank);
  for (const v of values) {
    const matches =
      v.dtype === first.dtype && v.rank === first.rank && v.shape.every((d, i) => i === at || d === first.shape[i]);
    if (!matches) fail('Concat', `operands must share dtype and every dim but axis ${axis}`, ...values);
  }
  const sizes = values.map((v) => v.shape[at]);
  const size: Dim = sizes.every((d) => typeof d === 'number')
    ? (sizes as number[]).reduce((s, d) => s + d, 0)
    : sizes.join('+');
  return emit(
    'Concat',
    values,
    { axis: at },
    first.dtype,
    first.shape.map((d, i) => (i === at ? size : d)),
  );
}
vjp('Concat', (g, { inputs, attributes }) => {
  const axis = attributes.axis as number;
  let offset = 0;
  return inputs.map((x) => {
    const start = offset;
    const size = x.shape[axis];
    if (typeof size !== 'number')
      throw new ShapeError(`Concat gradient: needs a static size on axis ${axis}, got ${x}`);
    offset += size;
    return () => slice(g, axis, start, start + size);
  });
});

const TO_THE_END = Number.MAX_SAFE_INTEGER;

/**
 * `x[start:end]` along one axis (python semantics for negative and out-of-range bounds). On a
 * symbolic axis, `slice(x, axis, -n)` is taken to have size n (the last n positions).
 */
export function slice(x: Value, axis: number, start: number, end = TO_THE_END): Value {
  const at = normalizeAxis('Slice', axis, x.rank);
  const dim = x.shape[at];
  let size: Dim;
  if (typeof dim === 'number') {
    const clamp = (i: number): number => Math.min(Math.max(i < 0 ? i + dim : i, 0), dim);
    size = Math.max(clamp(end) - clamp(start), 0);
  } else if (start < 0 && end === TO_THE_END) {
    size = -start;
  } else {
    size = `${dim}[${start}:${end}]`;
  }
  const graph = x.graph;
  return emit(
    'Slice',
    [x, graph.ints([start]), graph.ints([end]), graph.ints([at])],
    {},
    x.dtype,
    x.shape.map((d, i) => (i === at ? size : d)),
  );
}
/**
 * The last `count` entries of `x` along `axis` — all of them when `count` (an int64 scalar, known at run time) is 0
 * or more than there are: HF's `num_logits_to_keep`. Inference only: its start is not a constant to differentiate.
 */
export function lastEntries(x: Value, axis: number, count: Value): Value {
  if (count.dtype !== 'int64' || count.rank !== 0) fail('Slice', 'the count must be an int64 scalar', count);
  const at = normalizeAxis('Slice', axis, x.rank);
  const graph = x.graph;
  const start = sub(0, reshape(count, [1]));
  const shape = x.shape.map((d, i) => (i === at ? `last ${count.name} of ${d}` : d));
  return emit('Slice', [x, start, graph.ints([TO_THE_END]), graph.ints([at])], {}, x.dtype, shape);
}
vjp('Slice', (g, { inputs: [x, starts, ends, axes] }) => {
  const axis = constantValues(axes)[0];
  const dim = x.shape[axis];
  if (typeof dim !== 'number') throw new ShapeError(`Slice gradient: needs a static size on axis ${axis}, got ${x}`);
  const clamp = (i: number): number => Math.min(Math.max(i < 0 ? i + dim : i, 0), dim);
  const start = clamp(constantValues(starts)[0]);
  const end = Math.max(clamp(constantValues(ends)[0]), start);
  return [() => pad(g, axis, start, dim - end), undefined, undefined, undefined];
});

/** Pads one axis with `before` and `after` zeros. */
export function pad(x: Value, axis: number, before: number, after: number): Value {
  const at = normalizeAxis('Pad', axis, x.rank);
  const pads = new Array<number>(2 * x.rank).fill(0);
  pads[at] = before;
  pads[x.rank + at] = after;
  const dim = x.shape[at];
  const size = typeof dim === 'number' ? dim + before + after : `${dim}+${before + after}`;
  return emit(
    'Pad',
    [x, x.graph.ints(pads)],
    {},
    x.dtype,
    x.shape.map((d, i) => (i === at ? size : d)),
  );
}
vjp('Pad', (g, { inputs: [x, pads] }) => {
  const p = constantValues(pads);
  const unpad = (cut: Value, dim: Dim, axis: number): Value => {
    if (!p[axis] && !p[x.rank + axis]) return cut;
    if (typeof dim !== 'number') throw new ShapeError(`Pad gradient: needs a static size on axis ${axis}, got ${x}`);
    return slice(cut, axis, p[axis], p[axis] + dim);
  };
  return [() => x.shape.reduce(unpad, g), undefined];
});

// ─── indexing ───────────────────────────────────────────────────────────────────────────────

function requireIndices(op: string, indices: Value): void {
  if (indices.dtype !== 'int64') throw new ShapeError(`${op}: indices must be int64, got ${indices}`);
}

/** `data` indexed along `axis` by `indices` (an embedding lookup when axis is 0). */
export function gather(data: Value, indices: Value, axis = 0): Value {
  requireIndices('Gather', indices);
  const at = normalizeAxis('Gather', axis, data.rank);
  const shape = [...data.shape.slice(0, at), ...indices.shape, ...data.shape.slice(at + 1)];
  return emit('Gather', [data, indices], { axis: at }, data.dtype, shape);
}
// Scatter-add rather than a one-hot GEMM: 3.5x faster for SmolLM2's 49152x576 table
// (scripts/bench/matmul-peak.ts --engine-choices).
vjp('Gather', (g, { inputs: [data, indices], attributes }) => {
  if (attributes.axis !== 0) return [undefined, undefined];
  return [() => scatterAdd(zeros(data.graph, data.shape, data.dtype, data), unsqueeze(indices, [-1]), g), undefined];
});

/** ScatterND with reduction 'add': `data[indices[...]] += updates` (repeated indices accumulate). */
export function scatterAdd(data: Value, indices: Value, updates: Value): Value {
  requireIndices('ScatterND', indices);
  return emit('ScatterND', [data, indices, updates], { reduction: 'add' }, data.dtype, data.shape);
}

/** `out[i][j] = data[i][indices[i][j]]` along `axis` (numpy take_along_axis). */
export function gatherElements(data: Value, indices: Value, axis: number): Value {
  requireIndices('GatherElements', indices);
  const at = normalizeAxis('GatherElements', axis, data.rank);
  if (indices.rank !== data.rank) fail('GatherElements', 'data and indices need the same rank', data, indices);
  return emit('GatherElements', [data, indices], { axis: at }, data.dtype, indices.shape);
}
vjp('GatherElements', (g, { inputs: [data, indices], attributes }) => [
  () => scatterElementsAdd(zeros(data.graph, data.shape, data.dtype, data), indices, g, attributes.axis as number),
  undefined,
]);

/** ScatterElements with reduction 'add': the inverse of gatherElements, accumulating. */
export function scatterElementsAdd(data: Value, indices: Value, updates: Value, axis: number): Value {
  requireIndices('ScatterElements', indices);
  const at = normalizeAxis('ScatterElements', axis, data.rank);
  return emit('ScatterElements', [data, indices, updates], { axis: at, reduction: 'add' }, data.dtype, data.shape);
}

// ─── linear algebra ─────────────────────────────────────────────────────────────────────────

/** Batched matrix product `[..., m, k] @ [..., k, n]` with broadcast batch dims. */
export function matmul(a: Value, b: Value): Value {
  requireFloat('MatMul', a, b);
  if (a.dtype !== b.dtype) throw new ShapeError(`MatMul: dtypes differ, ${a} and ${b}`);
  return emit('MatMul', [a, b], {}, a.dtype, matmulShape(a, b));
}
vjp('MatMul', (g, { inputs: [a, b] }) => {
  if (b.rank > 2) {
    return [() => unbroadcast(matmul(g, transposeLast2(b)), a), () => unbroadcast(matmul(transposeLast2(a), g), b)];
  }
  // A weight matrix: fold the batch into rows so each gradient is one GEMM, transposes included.
  const rows = (x: Value): Value => reshape(x, [-1, x.shape[x.rank - 1]]);
  return [() => reshapeLike(gemm(rows(g), b, { transB: true }), a), () => gemm(rows(a), rows(g), { transA: true })];
});

/**
 * `a @ b` for an int8 matrix `b` [K, N] whose column n stands for `scale[n]`·b[:, n], with `a` quantized to 8 bits as
 * it comes (onnxruntime's DynamicQuantizeMatMul, a com.microsoft op): int8 products where the CPU has them, a quarter
 * of the weight bytes to read. Inference only: it has no gradient.
 */
export function dynamicQuantizeMatMul(a: Value, b: Value, scale: Value): Value {
  requireFloat('DynamicQuantizeMatMul', a, scale);
  if (b.dtype !== 'int8' || b.rank !== 2) fail('DynamicQuantizeMatMul', 'b must be an int8 matrix', b);
  if (scale.rank !== 1 || scale.shape[0] !== b.shape[1])
    fail('DynamicQuantizeMatMul', 'scale must hold one value per column of b', b, scale);
  const shape = [...a.shape.slice(0, -1), b.shape[1]];
  if (a.shape[a.rank - 1] !== b.shape[0]) fail('DynamicQuantizeMatMul', 'inner dimensions differ', a, b);
  return a.graph.node('DynamicQuantizeMatMul', [a, b, scale], {}, [{ dtype: a.dtype, shape }], 'com.microsoft')[0];
}

/** `op(a) @ op(b)` for matrices, where op transposes when asked. */
export function gemm(a: Value, b: Value, { transA = false, transB = false } = {}): Value {
  requireFloat('Gemm', a, b);
  if (a.rank !== 2 || b.rank !== 2) fail('Gemm', 'operands must be matrices', a, b);
  const [m, k] = transA ? [a.shape[1], a.shape[0]] : a.shape;
  const [k2, n] = transB ? [b.shape[1], b.shape[0]] : b.shape;
  if (k !== k2) fail('Gemm', `inner dimensions ${k} and ${k2} differ (transA=${transA}, transB=${transB})`, a, b);
  return emit('Gemm', [a, b], { transA: Number(transA), transB: Number(transB) }, a.dtype, [m, n]);
}
vjp('Gemm', (g, { inputs: [a, b], attributes }) => {
  const transA = attributes.transA === 1;
  const transB = attributes.transB === 1;
  // Y = op(A) op(B); each case writes dA and dB as one more GEMM.
  if (!transA && !transB) return [() => gemm(g, b, { transB: true }), () => gemm(a, g, { transA: true })];
  if (transA && !transB) return [() => gemm(b, g, { transB: true }), () => gemm(a, g)];
  if (!transA && transB) return [() => gemm(g, b), () => gemm(g, a, { transA: true })];
  return [() => gemm(b, g, { transA: true, transB: true }), () => gemm(g, a, { transA: true, transB: true })];
});
