/**
 * @jest-environment ./test/env/typed-arrays.js
 */
import { Graph, typedArray } from '../../training/engine/graph';
import type { DType, Shape, TensorData, Value } from '../../training/engine/graph';
import * as op from '../../training/engine/ops';
import { checkGradients, probe } from '../../training/engine/gradcheck';
import { random } from '../../training/random';

/** One input of a case: a float64 tensor of random values in [low, high), or given values. */
interface InputSpec {
  shape: Shape;
  dtype?: DType;
  low?: number;
  high?: number;
  values?: readonly number[];
}

interface Case {
  name: string;
  inputs: Record<string, Shape | InputSpec>;
  build: (x: Record<string, Value>) => Value;
  tolerance?: number;
  epsilon?: number;
}

const positive = (shape: Shape): InputSpec => ({ shape, low: 0.5, high: 2 });
const cases: Case[] = [
  // unary
  { name: 'neg', inputs: { x: [2, 3] }, build: ({ x }) => op.neg(x) },
  { name: 'exp', inputs: { x: [2, 3] }, build: ({ x }) => op.exp(x) },
  { name: 'log', inputs: { x: positive([2, 3]) }, build: ({ x }) => op.log(x) },
  { name: 'sqrt', inputs: { x: positive([2, 3]) }, build: ({ x }) => op.sqrt(x) },
  { name: 'reciprocal', inputs: { x: positive([2, 3]) }, build: ({ x }) => op.reciprocal(x) },
  { name: 'tanh', inputs: { x: [2, 3] }, build: ({ x }) => op.tanh(x) },
  { name: 'sigmoid', inputs: { x: [2, 3] }, build: ({ x }) => op.sigmoid(x) },
  { name: 'cos', inputs: { x: [2, 3] }, build: ({ x }) => op.cos(x) },
  { name: 'sin', inputs: { x: [2, 3] }, build: ({ x }) => op.sin(x) },
  { name: 'pow 3', inputs: { x: [2, 3] }, build: ({ x }) => op.pow(x, 3) },
  { name: 'pow -0.5', inputs: { x: positive([2, 3]) }, build: ({ x }) => op.pow(x, -0.5) },
  { name: 'identity', inputs: { x: [2, 3] }, build: ({ x }) => op.identity(x) },
  {
    name: 'cast through float32',
    inputs: { x: [2, 3] },
    build: ({ x }) => op.cast(op.cast(x, 'float32'), 'float64'),
    epsilon: 1e-2,
    tolerance: 1e-5,
  },
  // binary, with broadcasting
  { name: 'add', inputs: { a: [2, 3], b: [2, 3] }, build: ({ a, b }) => op.add(a, b) },
  { name: 'add broadcast row', inputs: { a: [2, 3], b: [3] }, build: ({ a, b }) => op.add(a, b) },
  { name: 'add scalar', inputs: { a: [2, 3] }, build: ({ a }) => op.add(2, a) },
  { name: 'sub broadcast both', inputs: { a: [2, 1, 4], b: [3, 1] }, build: ({ a, b }) => op.sub(a, b) },
  { name: 'mul broadcast both', inputs: { a: [2, 1, 4], b: [3, 1] }, build: ({ a, b }) => op.mul(a, b) },
  { name: 'mul self', inputs: { a: [2, 3] }, build: ({ a }) => op.mul(a, a) },
  { name: 'div broadcast', inputs: { a: [2, 3], b: positive([2, 1]) }, build: ({ a, b }) => op.div(a, b) },
  { name: 'maximum', inputs: { a: [2, 3], b: [3] }, build: ({ a, b }) => op.maximum(a, b) },
  { name: 'minimum', inputs: { a: [2, 3], b: [3] }, build: ({ a, b }) => op.minimum(a, b) },
  {
    name: 'where broadcast',
    inputs: { c: { shape: [2, 1], dtype: 'bool', values: [1, 0] }, a: [2, 3], b: [3] },
    build: ({ c, a, b }) => op.where(c, a, b),
  },
  {
    name: 'where from comparison',
    inputs: { a: [2, 3] },
    build: ({ a }) => op.where(op.greater(a, 0), a, op.mul(a, 0.1)),
  },
  // reduce
  { name: 'reduceSum axis', inputs: { x: [2, 3, 4] }, build: ({ x }) => op.reduceSum(x, [1]) },
  { name: 'reduceSum keepdims', inputs: { x: [2, 3, 4] }, build: ({ x }) => op.reduceSum(x, [0, -1], true) },
  { name: 'reduceSum all', inputs: { x: [2, 3] }, build: ({ x }) => op.reduceSum(x) },
  { name: 'reduceMean', inputs: { x: [2, 3, 4] }, build: ({ x }) => op.reduceMean(x, [0, 2]) },
  { name: 'reduceMean keepdims', inputs: { x: [2, 3, 4] }, build: ({ x }) => op.reduceMean(x, [-1], true) },
  { name: 'reduceMax', inputs: { x: [2, 3, 4] }, build: ({ x }) => op.reduceMax(x, [-1]) },
  { name: 'reduceMax keepdims', inputs: { x: [2, 3, 4] }, build: ({ x }) => op.reduceMax(x, [1], true) },
  {
    name: 'reduceMax ties share',
    inputs: { x: { shape: [2, 3], values: [0.5, 0.5, 0.1, -1, 0.2, 0.2] } },
    build: ({ x }) => op.reduceMax(x, [1]),
  },
  { name: 'softmax', inputs: { x: [2, 5] }, build: ({ x }) => op.softmax(x) },
  { name: 'softmax axis 0', inputs: { x: [3, 2, 2] }, build: ({ x }) => op.softmax(x, 0) },
  { name: 'logSoftmax', inputs: { x: [2, 5] }, build: ({ x }) => op.logSoftmax(x) },
  // movement
  { name: 'reshape', inputs: { x: [2, 3, 4] }, build: ({ x }) => op.reshape(x, [6, 4]) },
  { name: 'reshape -1', inputs: { x: [2, 3, 4] }, build: ({ x }) => op.reshape(x, [-1, 2]) },
  { name: 'transpose', inputs: { x: [2, 3, 4] }, build: ({ x }) => op.transpose(x, [2, 0, 1]) },
  { name: 'unsqueeze', inputs: { x: [2, 3] }, build: ({ x }) => op.unsqueeze(x, [0, -1]) },
  { name: 'squeeze', inputs: { x: [2, 1, 3, 1] }, build: ({ x }) => op.squeeze(x, [1, 3]) },
  { name: 'expand', inputs: { x: [3, 1] }, build: ({ x }) => op.expand(x, [2, 3, 4]) },
  {
    name: 'concat',
    inputs: { a: [2, 1], b: [2, 3], c: [2, 2] },
    build: ({ a, b, c }) => op.concat([a, b, c], 1),
  },
  { name: 'concat reused', inputs: { a: [2, 2] }, build: ({ a }) => op.concat([a, op.neg(a), a], -1) },
  { name: 'slice', inputs: { x: [2, 6] }, build: ({ x }) => op.slice(x, 1, 1, 4) },
  { name: 'slice negative', inputs: { x: [4, 6] }, build: ({ x }) => op.slice(x, 0, -2) },
  { name: 'pad', inputs: { x: [2, 3] }, build: ({ x }) => op.pad(x, 1, 2, 1) },
  {
    name: 'rotate half (RoPE)',
    inputs: { x: [2, 3, 4] },
    build: ({ x }) => op.concat([op.neg(op.slice(x, -1, 2, 4)), op.slice(x, -1, 0, 2)], -1),
  },
  // indexing
  {
    name: 'gather embedding, repeated ids',
    inputs: { table: [5, 3], ids: { shape: [2, 3], dtype: 'int64', values: [0, 4, 4, 2, 0, 0] } },
    build: ({ table, ids }) => op.gather(table, ids),
  },
  {
    name: 'gatherElements',
    inputs: { x: [3, 4], ids: { shape: [3, 2], dtype: 'int64', values: [0, 3, 1, 1, 2, 0] } },
    build: ({ x, ids }) => op.gatherElements(x, ids, -1),
  },
  // linear algebra
  { name: 'matmul', inputs: { a: [2, 3], b: [3, 4] }, build: ({ a, b }) => op.matmul(a, b) },
  { name: 'matmul batch x weight', inputs: { a: [2, 3, 4], b: [4, 5] }, build: ({ a, b }) => op.matmul(a, b) },
  { name: 'matmul batched', inputs: { a: [2, 2, 3, 4], b: [2, 2, 4, 3] }, build: ({ a, b }) => op.matmul(a, b) },
  { name: 'matmul broadcast batch', inputs: { a: [2, 1, 3, 4], b: [3, 4, 2] }, build: ({ a, b }) => op.matmul(a, b) },
  { name: 'matmul matrix x batch', inputs: { a: [3, 4], b: [2, 4, 2] }, build: ({ a, b }) => op.matmul(a, b) },
  { name: 'gemm', inputs: { a: [2, 3], b: [3, 4] }, build: ({ a, b }) => op.gemm(a, b) },
  { name: 'gemm transA', inputs: { a: [3, 2], b: [3, 4] }, build: ({ a, b }) => op.gemm(a, b, { transA: true }) },
  { name: 'gemm transB', inputs: { a: [2, 3], b: [4, 3] }, build: ({ a, b }) => op.gemm(a, b, { transB: true }) },
  {
    name: 'gemm transA transB',
    inputs: { a: [3, 2], b: [4, 3] },
    build: ({ a, b }) => op.gemm(a, b, { transA: true, transB: true }),
  },
];

describe('VJP rules match central finite differences (float64)', () => {
  test.each(cases.map((c) => [c.name, c] as const))('%s', async (_, testCase) => {
    const graph = new Graph(testCase.name);
    const values: Record<string, Value> = {};
    const feeds: Record<string, TensorData> = {};
    Object.entries(testCase.inputs).forEach(([name, given], i) => {
      const spec: InputSpec = Array.isArray(given) ? { shape: given as Shape } : (given as InputSpec);
      const dtype = spec.dtype ?? 'float64';
      values[name] = graph.input(name, dtype, spec.shape);
      const data = spec.values ?? Array.from(random(spec.shape, { seed: 11 + i, low: spec.low, high: spec.high }));
      feeds[name] = typedArray(dtype, data);
    });
    const params = Object.values(values).filter((v) => v.dtype === 'float64');
    const checks = await checkGradients(probe(testCase.build(values)), params, feeds, { epsilon: testCase.epsilon });
    const tolerance = testCase.tolerance ?? 1e-6;
    for (const { param, relativeError, analytic } of checks) {
      expect(`${param}: ${relativeError < tolerance ? 'ok' : `relative error ${relativeError}`}`).toBe(`${param}: ok`);
      expect(analytic.some((v) => v !== 0)).toBe(true);
    }
  });
});
