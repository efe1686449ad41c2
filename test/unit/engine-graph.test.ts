/**
 * @jest-environment ./test/env/typed-arrays.js
 */
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import onnxProto from 'onnx-proto';
import { Graph, ShapeError } from '../../training/engine/graph';
import * as op from '../../training/engine/ops';
import { gradients } from '../../training/engine/autodiff';
import { checkGradients } from '../../training/engine/gradcheck';
import { random } from '../../training/random';
import { saveModel, serializeModel } from '../../training/engine/onnx';
import { Runner } from '../../training/engine/session';
import type { HostTensor } from '../../training/engine/session';

const numbers = (tensor: HostTensor): number[] => Array.from(tensor.data as Float32Array);

describe('shape checks', () => {
  const graph = new Graph('shapes');
  const a = graph.input('a', 'float32', [2, 3]);
  const b = graph.input('b', 'float32', [4, 5]);

  test('a mismatch names the op and both shapes', () => {
    expect(() => op.matmul(a, b)).toThrow(
      new ShapeError('MatMul: inner dimensions 3 and 4 differ (got [2,3] and [4,5])'),
    );
    expect(() => op.add(a, b)).toThrow(
      new ShapeError('Add: cannot broadcast dimension 2 with 4 (got [2,3] and [4,5])'),
    );
    expect(() => op.reshape(a, [4, 2])).toThrow(/^Reshape: cannot reshape to \[4,2\]: sizes differ \(got \[2,3\]\)$/);
    expect(() => op.concat([a, b], 0)).toThrow(
      'Concat: operands must share dtype and every dim but axis 0 (got [2,3] and [4,5])',
    );
    expect(() => op.squeeze(a, [0])).toThrow('Squeeze: axis 0 has size 2, not 1');
    expect(() => op.softmax(a, 2)).toThrow('Softmax: axis 2 is out of range for rank 2');
    expect(() => op.gather(a, b)).toThrow(/Gather: indices must be int64/);
  });

  test('inferred shapes', () => {
    const batch = graph.input('batch', 'float32', [7, 1, 3, 2]);
    expect(op.matmul(batch, graph.input('w', 'float32', [5, 2, 4])).shape).toEqual([7, 5, 3, 4]);
    expect(op.reduceSum(batch, [1, -1]).shape).toEqual([7, 3]);
    expect(op.reduceMax(batch, [0], true).shape).toEqual([1, 1, 3, 2]);
    expect(op.slice(batch, 2, -2, -1).shape).toEqual([7, 1, 1, 2]);
    expect(op.transpose(batch).shape).toEqual([2, 3, 1, 7]);
    expect(op.unsqueeze(a, [0, -1]).shape).toEqual([1, 2, 3, 1]);
    expect(op.where(op.greater(a, 0), a, 1).shape).toEqual([2, 3]);
    expect(op.expand(graph.input('column', 'float32', [3, 1]), [2, 3, 4]).shape).toEqual([2, 3, 4]);
  });

  test('values from another graph are refused', () => {
    const other = new Graph('other');
    expect(() => op.add(a, other.input('c', 'float32', [2, 3]))).toThrow(
      'Add: value c belongs to graph other, not shapes',
    );
  });
});

describe('symbolic dims', () => {
  test('one graph runs at several batch and sequence sizes', async () => {
    const graph = new Graph('symbolic');
    const x = graph.input('x', 'float32', ['batch', 'seq', 6]);
    const past = graph.input('past', 'float32', ['batch', 'past', 6]);
    const heads = op.transpose(op.reshape(x, ['batch', 'seq', 2, 3]), [0, 2, 1, 3]); // (batch, 2, seq, 3)
    const back = op.reshape(op.transpose(heads, [0, 2, 1, 3]), ['batch', 'seq', -1]);
    const rows = op.reshape(back, [-1, 6]);
    const joined = op.concat([past, op.mul(back, 2)], 1);
    expect(rows.shape).toEqual(['batch*seq', 6]);
    expect(joined.shape).toEqual(['batch', 'past+seq', 6]);
    const positions = op.indicesAlong(joined, 1);
    expect(positions.shape).toEqual(['past+seq']);
    graph.output('rows', rows);
    graph.output('joined', joined);
    graph.output('positions', positions);
    const runner = await Runner.create(graph);
    for (const [batch, seq, pastLength] of [
      [1, 2, 0],
      [3, 4, 2],
    ]) {
      const data = Float32Array.from(random([batch, seq, 6], { seed: batch }));
      const pastData = new Float32Array(batch * pastLength * 6).fill(9);
      const out = await runner.run({
        x: { data, dims: [batch, seq, 6] },
        past: { data: pastData, dims: [batch, pastLength, 6] },
      });
      expect(out.rows.dims).toEqual([batch * seq, 6]);
      expect(numbers(out.rows)).toEqual(Array.from(data));
      expect(out.joined.dims).toEqual([batch, pastLength + seq, 6]);
      expect(numbers(out.joined).slice(0, pastLength * 6)).toEqual(new Array(pastLength * 6).fill(9));
      expect(Array.from(out.positions.data as BigInt64Array, Number)).toEqual([...Array(pastLength + seq).keys()]);
    }
    await expect(runner.run({ x: new Float32Array(6), past: new Float32Array(6) })).rejects.toThrow(
      'input x has symbolic shape [batch,seq,6]; feed { data, dims }',
    );
    await runner.release();
  });
});

describe('autodiff', () => {
  test('gradients on symbolic shapes read the sizes at run time', async () => {
    for (const batch of [1, 3]) {
      const graph = new Graph('symbolic-grad');
      const x = graph.input('x', 'float64', ['batch', 'seq', 3]);
      const w = graph.input('w', 'float64', [3, 4]);
      const bias = graph.input('bias', 'float64', [4]);
      const h = op.tanh(op.add(op.matmul(x, w), bias)); // (batch, seq, 4)
      const loss = op.reduceSum(op.mul(op.softmax(h), op.expand(op.reduceSum(h, [1], true), ['batch', 'seq', 4])));
      const feeds = {
        x: { data: random([batch, 2, 3], { seed: batch }), dims: [batch, 2, 3] },
        w: random([3, 4], { seed: 7 }),
        bias: random([4], { seed: 8 }),
      };
      for (const check of await checkGradients(loss, [x, w, bias], feeds))
        expect(check.relativeError).toBeLessThan(1e-6);
    }
  });

  test('only branches that lead to a requested parameter are differentiated', () => {
    const graph = new Graph('prune');
    const x = graph.input('x', 'float32', [4, 3]);
    const frozen = graph.input('frozen', 'float32', [3, 3]);
    const lora = graph.input('lora', 'float32', [3, 2]);
    const loss = op.reduceSum(op.tanh(op.matmul(op.matmul(x, frozen), lora)));
    const before = graph.nodes.length;
    const [grad] = gradients(loss, [lora]);
    graph.output('grad', grad);
    const added = graph.nodes.slice(before).map((n) => n.op);
    // d tanh, then dLoRA as one GEMM; no gradient flows towards x or the frozen weight.
    expect(added.filter((o) => o === 'Gemm')).toHaveLength(1);
    expect(added).not.toContain('MatMul');
    expect(grad.shape).toEqual([3, 2]);
  });

  test('a gradient through a non-differentiable op is an error', () => {
    const graph = new Graph('nondiff');
    const x = graph.input('x', 'float32', [3]);
    const loss = op.reduceSum(op.scatterAdd(x, graph.input('i', 'int64', [1, 1]), graph.input('u', 'float32', [1])));
    expect(() => gradients(loss, [x])).toThrow('gradients: ScatterND is not differentiable');
    expect(() => gradients(op.neg(x), [x])).toThrow(
      /^gradients: loss neg_\d+: float32\[3\] is not a scalar; pass the seed gradient$/,
    );
  });

  test('a parameter the loss does not use gets zeros', async () => {
    const graph = new Graph('unused');
    const x = graph.input('x', 'float32', [2]);
    const unused = graph.input('unused', 'float32', [2, 2]);
    const [gx, gUnused] = gradients(op.reduceSum(op.mul(x, x)), [x, unused]);
    graph.output('gx', gx);
    graph.output('g_unused', gUnused);
    const runner = await Runner.create(graph);
    const out = await runner.run({ x: Float32Array.of(1, -2), unused: new Float32Array(4) });
    await runner.release();
    expect(numbers(out.gx)).toEqual([2, -4]);
    expect(numbers(out.g_unused)).toEqual([0, 0, 0, 0]);
  });
});

describe('ONNX models', () => {
  /** y = tanh(x W + b) with W, b as initializers, and W's gradient as a second output. */
  function linearGraph(): { graph: Graph; weight: Float32Array } {
    const graph = new Graph('linear');
    const weight = Float32Array.from(random([64, 32], { seed: 3 }));
    const x = graph.input('x', 'float32', [4, 64]);
    const w = graph.initializer('w', weight, [64, 32]);
    const b = graph.initializer('b', Float32Array.of(0.5), [1]);
    const y = op.tanh(op.add(op.matmul(x, w), b));
    graph.output('y', y);
    graph.output('x_copy', x);
    graph.output('y_again', y);
    graph.output('grad_w', gradients(op.reduceSum(y), [w])[0]);
    return { graph, weight };
  }
  const x = Float32Array.from(random([4, 64], { seed: 4 }));

  test('outputs are named as asked, including inputs and values exported twice', async () => {
    const runner = await Runner.create(serializeModel(linearGraph().graph));
    expect(runner.outputNames).toEqual(['y', 'x_copy', 'y_again', 'grad_w']);
    const out = await runner.run({ x });
    await runner.release();
    expect(numbers(out.x_copy)).toEqual(Array.from(x));
    expect(numbers(out.y_again)).toEqual(numbers(out.y));
    expect(out.grad_w.dims).toEqual([64, 32]);
  });

  test('saved with external data, the model loads and computes the same', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'engine-'));
    try {
      const { graph, weight } = linearGraph();
      const saved = await saveModel(graph, dir);
      expect(saved).toEqual({ modelPath: path.join(dir, 'model.onnx'), dataPath: path.join(dir, 'model.onnx.data') });
      expect((await stat(saved.dataPath!)).size).toBe(weight.byteLength);

      const model = onnxProto.onnx.ModelProto.decode(await readFile(saved.modelPath));
      const [w, b] = model.graph!.initializer as onnxProto.onnx.TensorProto[];
      expect(w.dataLocation).toBe(onnxProto.onnx.TensorProto.DataLocation.EXTERNAL);
      expect(w.externalData.map((e) => [e.key, e.value])).toEqual([
        ['location', 'model.onnx.data'],
        ['offset', '0'],
        ['length', String(weight.byteLength)],
      ]);
      expect(b.rawData.length).toBe(4); // small tensors stay inline

      const fromFile = await Runner.create(saved.modelPath);
      const inMemory = await Runner.create(graph);
      const [a, expected] = [await fromFile.run({ x }), await inMemory.run({ x })];
      await Promise.all([fromFile.release(), inMemory.release()]);
      expect(numbers(a.y)).toEqual(numbers(expected.y));
      expect(numbers(a.grad_w)).toEqual(numbers(expected.grad_w));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('feeds are checked against the model inputs', async () => {
    const runner = await Runner.create(linearGraph().graph);
    await expect(runner.run({})).rejects.toThrow('missing feed for input x');
    await expect(runner.run({ x: new Float64Array(256) })).rejects.toThrow('input x: expected float32, got float64');
    await expect(runner.run({ x: new Float32Array(3) })).rejects.toThrow('input x: 3 values do not fill [4,64]');
    await expect(runner.run({ x, y: x })).rejects.toThrow('y is not an input of this model');
    await runner.release();
  });
});
