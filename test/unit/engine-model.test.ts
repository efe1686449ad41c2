/**
 * @jest-environment ./test/env/typed-arrays.js
 */
import { Graph, typedArray } from '../../training/engine/graph';
import type { DType, TensorData, Value } from '../../training/engine/graph';
import * as op from '../../training/engine/ops';
import { crossEntropy } from '../../training/engine/loss';
import { gradients } from '../../training/engine/autodiff';
import { checkGradients } from '../../training/engine/gradcheck';
import { random } from '../../training/random';
import { Runner } from '../../training/engine/session';

const [B, T, D, HEADS, KV_HEADS, HEAD_DIM, HIDDEN, VOCAB, RANK] = [2, 4, 8, 2, 1, 4, 12, 7, 2];

/**
 * A one-block Llama in miniature, in float64: embedding lookup, RMSNorm, RoPE, grouped-query
 * attention with a causal and a padding mask, LoRA on q, SwiGLU, tied head, masked cross-entropy.
 */
function tinyLlama(g: Graph, dtype: DType = 'float64') {
  const param = (name: string, shape: number[]) => g.input(name, dtype, shape);
  const p = {
    embed: param('embed', [VOCAB, D]),
    norm1: param('norm1', [D]),
    wq: param('wq', [D, HEADS * HEAD_DIM]),
    wk: param('wk', [D, KV_HEADS * HEAD_DIM]),
    wv: param('wv', [D, KV_HEADS * HEAD_DIM]),
    wo: param('wo', [HEADS * HEAD_DIM, D]),
    loraA: param('lora_a', [D, RANK]),
    loraB: param('lora_b', [RANK, HEADS * HEAD_DIM]),
    norm2: param('norm2', [D]),
    wGate: param('w_gate', [D, HIDDEN]),
    wUp: param('w_up', [D, HIDDEN]),
    wDown: param('w_down', [HIDDEN, D]),
    normF: param('norm_f', [D]),
  };
  const ids = g.input('ids', 'int64', [B, T]);
  const targets = g.input('targets', 'int64', [B, T]);
  const lossMask = g.input('loss_mask', dtype, [B, T]);
  const keep = g.input('attention_mask', 'bool', [B, 1, 1, 1, T]); // padding: false = pad key

  const rmsNorm = (x: Value, weight: Value) =>
    op.mul(op.mul(x, op.reciprocal(op.sqrt(op.add(op.reduceMean(op.mul(x, x), [-1], true), 1e-6)))), weight);
  const half = HEAD_DIM / 2;
  const angles = Array.from({ length: T * HEAD_DIM }, (_, i) => Math.floor(i / HEAD_DIM) / 10 ** ((i % half) / half));
  const cosTable = g.constant(typedArray(dtype, angles.map(Math.cos)), [T, HEAD_DIM]);
  const sinTable = g.constant(typedArray(dtype, angles.map(Math.sin)), [T, HEAD_DIM]);
  const rope = (x: Value) => {
    const rotated = op.concat([op.neg(op.slice(x, -1, half)), op.slice(x, -1, 0, half)], -1);
    return op.add(op.mul(x, cosTable), op.mul(rotated, sinTable));
  };
  const causal = g.constant(
    typedArray(
      'bool',
      Array.from({ length: T * T }, (_, i) => Number(i % T <= Math.floor(i / T))),
    ),
    [T, T],
  );
  const heads = (x: Value, n: number) =>
    op.transpose(op.reshape(x, [B, T, KV_HEADS, n / KV_HEADS, HEAD_DIM]), [0, 2, 3, 1, 4]);

  const x = op.gather(p.embed, ids); // (B, T, D)
  const h = rmsNorm(x, p.norm1);
  const qLinear = op.add(op.matmul(h, p.wq), op.mul(op.matmul(op.matmul(h, p.loraA), p.loraB), 2));
  const q = rope(heads(qLinear, HEADS)); // (B, KV, HEADS/KV, T, hd)
  const k = rope(heads(op.matmul(h, p.wk), KV_HEADS)); // (B, KV, 1, T, hd)
  const v = heads(op.matmul(h, p.wv), KV_HEADS);
  const scores = op.mul(op.matmul(q, op.transposeLast2(k)), 1 / Math.sqrt(HEAD_DIM)); // (B, KV, HEADS/KV, T, T)
  const allowed = op.logicalAnd(causal, keep);
  const attention = op.softmax(op.where(allowed, scores, -1e4));
  const context = op.reshape(op.transpose(op.matmul(attention, v), [0, 3, 1, 2, 4]), [B, T, HEADS * HEAD_DIM]);
  const x1 = op.add(x, op.matmul(context, p.wo));
  const h2 = rmsNorm(x1, p.norm2);
  const gate = op.matmul(h2, p.wGate);
  const swiglu = op.mul(op.mul(gate, op.sigmoid(gate)), op.matmul(h2, p.wUp));
  const x2 = op.add(x1, op.matmul(swiglu, p.wDown));
  const logits = op.matmul(rmsNorm(x2, p.normF), op.transpose(p.embed)); // (B, T, VOCAB)
  return { params: Object.values(p), loss: crossEntropy(logits, targets, lossMask), logits };
}

function feedsFor(params: Value[]): Record<string, TensorData> {
  const feeds: Record<string, TensorData> = {
    ids: typedArray('int64', [1, 5, 5, 2, 0, 6, 3, 3]),
    targets: typedArray('int64', [5, 5, 2, 0, 6, 3, 3, 0]),
    loss_mask: typedArray('float64', [0, 1, 1, 1, 0, 1, 1, 0]),
    attention_mask: typedArray('bool', [1, 1, 1, 1, 0, 1, 1, 1]), // second sequence is left-padded
  };
  params.forEach((p, i) => {
    const isNorm = p.name.startsWith('norm');
    feeds[p.name] = random(p.shape, { seed: 100 + i, low: isNorm ? 0.5 : -0.6, high: isNorm ? 1.5 : 0.6 });
  });
  return feeds;
}

describe('a whole tiny model', () => {
  test('every parameter gradient matches finite differences', async () => {
    const graph = new Graph('tiny-llama');
    const { params, loss } = tinyLlama(graph);
    const checks = await checkGradients(loss, params, feedsFor(params));
    expect(checks.map((c) => c.param)).toEqual(params.map((p) => p.name));
    for (const { param, relativeError } of checks) {
      expect(`${param}: ${relativeError < 1e-6 ? 'ok' : `relative error ${relativeError}`}`).toBe(`${param}: ok`);
    }
  });

  test('in float32 with every ORT graph optimisation, gradients agree with float64', async () => {
    const run = async (dtype: DType) => {
      const graph = new Graph(`tiny-llama-${dtype}`);
      const { params, loss } = tinyLlama(graph, dtype);
      gradients(loss, params).forEach((grad, i) => graph.output(`grad_${params[i].name}`, grad));
      const feeds = Object.fromEntries(
        Object.entries(feedsFor(params)).map(([name, data]) => [
          name,
          dtype === 'float32' && data instanceof Float64Array ? Float32Array.from(data) : data,
        ]),
      );
      const runner = await Runner.create(graph, { optimization: dtype === 'float32' ? 'all' : 'basic' });
      const out = await runner.run(feeds);
      await runner.release();
      return params.map((p) => Float64Array.from(out[`grad_${p.name}`].data as Float64Array));
    };
    const [single, double] = [await run('float32'), await run('float64')];
    single.forEach((grad, i) => {
      const worst = Math.max(...grad.map((v, j) => Math.abs(v - double[i][j])));
      const scale = Math.max(...double[i].map(Math.abs));
      expect(worst / scale).toBeLessThan(1e-4);
    });
  });

  test('the loss is the masked mean negative log-likelihood of the logits', async () => {
    const graph = new Graph('tiny-llama-loss');
    const { params, loss, logits } = tinyLlama(graph);
    graph.output('loss', loss);
    graph.output('logits', logits);
    const feeds = feedsFor(params);
    const runner = await Runner.create(graph);
    const out = await runner.run(feeds);
    await runner.release();

    const scores = out.logits.data as Float64Array;
    const targets = feeds.targets as BigInt64Array;
    const mask = feeds.loss_mask as Float64Array;
    let total = 0;
    for (let i = 0; i < B * T; i++) {
      const row = scores.subarray(i * VOCAB, (i + 1) * VOCAB);
      const max = Math.max(...row);
      const logSumExp = max + Math.log(row.reduce((s, v) => s + Math.exp(v - max), 0));
      total += mask[i] * (logSumExp - row[Number(targets[i])]);
    }
    const expected = total / mask.reduce((s, m) => s + m, 0);
    expect(out.loss.dims).toEqual([]);
    expect(Math.abs((out.loss.data[0] as number) - expected)).toBeLessThan(1e-12);
  });

  test('a padding key gets no attention: changing its token leaves the later rows alone', async () => {
    const graph = new Graph('tiny-llama-padding');
    const { params, logits } = tinyLlama(graph);
    graph.output('logits', logits);
    const runner = await Runner.create(graph);
    const feeds = feedsFor(params);
    const before = (await runner.run(feeds)).logits.data as Float64Array;
    const changed = { ...feeds, ids: typedArray('int64', [1, 5, 5, 2, 4, 6, 3, 3]) }; // the second sequence's pad
    const after = (await runner.run(changed)).logits.data as Float64Array;
    await runner.release();
    const rows = (data: Float64Array, from: number, to: number) => Array.from(data.subarray(from * VOCAB, to * VOCAB));
    expect(rows(after, T + 1, 2 * T)).toEqual(rows(before, T + 1, 2 * T));
    expect(rows(after, T, T + 1)).not.toEqual(rows(before, T, T + 1));
    expect(rows(after, 0, T)).toEqual(rows(before, 0, T));
  });
});
