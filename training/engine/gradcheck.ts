/**
 * Checks autodiff against central finite differences, running the graph in onnxruntime. Build
 * the graph in float64 for a tight check (relative errors near 1e-9).
 */

import { gradients } from './autodiff';
import { typedArray } from './graph';
import type { TensorData, Value } from './graph';
import { mul, reduceSum } from './ops';
import { Runner } from './session';
import type { Feed } from './session';
import { random } from '../random';

export interface GradientCheck {
  readonly param: string;
  /** ‖analytic − numeric‖ / max(‖analytic‖, ‖numeric‖). */
  readonly relativeError: number;
  readonly analytic: Float64Array;
  readonly numeric: Float64Array;
}

/**
 * Compares `gradients(loss, params)` with central differences of the loss. `params` must be
 * float graph inputs; `feeds` supplies every graph input. Adds the loss and gradients to the
 * graph's outputs.
 */
export async function checkGradients(
  loss: Value,
  params: readonly Value[],
  feeds: Readonly<Record<string, Feed>>,
  { epsilon = 1e-6 } = {},
): Promise<GradientCheck[]> {
  const graph = loss.graph;
  const grads = gradients(loss, params);
  graph.output('gradcheck_loss', loss);
  params.forEach((p, i) => graph.output(`gradcheck_grad_${p.name}`, grads[i]));
  const runner = await Runner.create(graph);
  try {
    // Copies of the feeds, so that perturbing a parameter leaves the caller's arrays alone.
    const inputs: Record<string, Feed> = {};
    const dataOf: Record<string, TensorData> = {};
    for (const [name, feed] of Object.entries(feeds)) {
      const data = (ArrayBuffer.isView(feed) ? feed : feed.data).slice();
      dataOf[name] = data;
      inputs[name] = ArrayBuffer.isView(feed) ? data : { data, dims: feed.dims };
    }
    const analytic = await runner.run(inputs);
    const lossAt = async (): Promise<number> =>
      Number((await runner.run(inputs, ['gradcheck_loss'])).gradcheck_loss.data[0]);

    const checks: GradientCheck[] = [];
    for (const param of params) {
      const x = dataOf[param.name] as Float64Array | Float32Array;
      const numeric = new Float64Array(x.length);
      for (let i = 0; i < x.length; i++) {
        const original = x[i];
        x[i] = original + epsilon;
        const up = await lossAt();
        x[i] = original - epsilon;
        const down = await lossAt();
        x[i] = original;
        numeric[i] = (up - down) / (2 * epsilon);
      }
      const grad = Float64Array.from(analytic[`gradcheck_grad_${param.name}`].data as Float64Array);
      checks.push({ param: param.name, relativeError: relativeError(grad, numeric), analytic: grad, numeric });
    }
    return checks;
  } finally {
    await runner.release();
  }
}

function relativeError(a: Float64Array, b: Float64Array): number {
  let diff = 0;
  let normA = 0;
  let normB = 0;
  a.forEach((v, i) => {
    diff += (v - b[i]) ** 2;
    normA += v * v;
    normB += b[i] ** 2;
  });
  return Math.sqrt(diff) / Math.max(Math.sqrt(normA), Math.sqrt(normB), 1e-12);
}

/** A scalar that depends on every element of `value` through fixed random weights. */
export function probe(value: Value, seed = 1): Value {
  const weights = value.graph.constant(
    typedArray(value.dtype, Array.from(random(value.shape, { seed }))),
    value.shape as number[],
  );
  return reduceSum(mul(value, weights));
}
