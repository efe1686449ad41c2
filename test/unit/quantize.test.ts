/**
 * @jest-environment ./test/env/typed-arrays.js
 */
import { Graph } from '../../training/engine/graph';
import * as op from '../../training/engine/ops';
import { Runner } from '../../training/engine/session';
import { quantizeColumns, quantizeRows, quantizeTransposed } from '../../training/model/quantize';
import { random } from '../../training/random';

const [K, N, M] = [48, 24, 5];
const weights = Float32Array.from(random([K, N], { seed: 3, low: -0.5, high: 0.5 }));
// One column a hundred times larger: per column, it costs the others nothing.
for (let k = 0; k < K; k++) weights[k * N + 7] *= 100;
// And one column of zeros.
for (let k = 0; k < K; k++) weights[k * N + 11] = 0;

describe('quantizeColumns', () => {
  const { data, scale } = quantizeColumns(weights, K, N);

  test('int8 within ±127, one scale per column: each weight within half a step of scale·q', () => {
    expect(data).toHaveLength(K * N);
    expect(scale).toHaveLength(N);
    for (let k = 0; k < K; k++) {
      for (let n = 0; n < N; n++) {
        expect(Math.abs(data[k * N + n])).toBeLessThanOrEqual(127);
        expect(Math.abs(weights[k * N + n] - scale[n] * data[k * N + n])).toBeLessThanOrEqual(scale[n] / 2 + 1e-7);
      }
    }
    // The largest weight of a column is ±127.
    const column = (n: number) => Array.from({ length: K }, (_, k) => Math.abs(data[k * N + n]));
    expect(Math.max(...column(0))).toBe(127);
    expect(scale[7]).toBeGreaterThan(50 * scale[0]);
    expect(Math.max(...column(11))).toBe(0);
    expect(scale[11]).toBe(1);
  });

  test('by rows: the same as the columns of the transpose, in the layout of the matrix', () => {
    const byRows = quantizeRows(weights, K, N);
    const transposed = quantizeTransposed(weights, K, N);
    expect(byRows.scale).toEqual(transposed.scale);
    for (let k = 0; k < K; k++) {
      for (let n = 0; n < N; n++) expect(byRows.data[k * N + n]).toBe(transposed.data[n * K + k]);
    }
  });

  test('the transposed form quantizes the rows of the matrix', () => {
    const transposed = quantizeTransposed(weights, K, N); // [N, K], a scale per row of weights
    expect(transposed.scale).toHaveLength(K);
    const direct = quantizeColumns(
      Float32Array.from({ length: N * K }, (_, i) => weights[(i % K) * N + Math.floor(i / K)]),
      N,
      K,
    );
    expect(transposed).toEqual(direct);
  });
});

describe('dynamicQuantizeMatMul', () => {
  test('runs in onnxruntime and gives a·W to within the 8-bit error of both operands', async () => {
    const { data, scale } = quantizeColumns(weights, K, N);
    const graph = new Graph('q8');
    const a = graph.input('a', 'float32', [M, K]);
    const y = op.dynamicQuantizeMatMul(a, graph.initializer('w', data, [K, N]), graph.initializer('scale', scale, [N]));
    expect(y.shape).toEqual([M, N]);
    graph.output('y', y);
    const runner = await Runner.create(graph);
    const input = Float32Array.from(random([M, K], { seed: 4, low: -1, high: 1 }));
    const out = (await runner.run({ a: input })).y.data as Float32Array;
    await runner.release();
    for (let m = 0; m < M; m++) {
      for (let n = 0; n < N; n++) {
        let exact = 0;
        let size = 0;
        for (let k = 0; k < K; k++) {
          exact += input[m * K + k] * weights[k * N + n];
          size += Math.abs(input[m * K + k] * weights[k * N + n]);
        }
        expect(Math.abs(out[m * N + n] - exact)).toBeLessThanOrEqual(0.02 * size + 1e-6);
      }
    }
  });

  test('refuses what it cannot multiply', () => {
    const graph = new Graph('bad');
    const a = graph.input('a', 'float32', [M, K]);
    const { data, scale } = quantizeColumns(weights, K, N);
    const w = graph.initializer('w', data, [K, N]);
    const perColumn = graph.initializer('scale', scale, [N]);
    expect(() => op.dynamicQuantizeMatMul(a, graph.initializer('f', weights, [K, N]), perColumn)).toThrow(
      /int8 matrix/,
    );
    expect(() => op.dynamicQuantizeMatMul(a, w, graph.initializer('s', scale.subarray(1), [N - 1]))).toThrow(
      /one value per column/,
    );
    expect(() => op.dynamicQuantizeMatMul(graph.input('b', 'float32', [M, K + 1]), w, perColumn)).toThrow(
      /inner dimensions/,
    );
  });
});
