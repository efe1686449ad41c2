/**
 * Reverse-mode autodiff on a built graph, micrograd's backward pass over graph values: visit the
 * nodes between the parameters and the loss in reverse topological order, ask each node's VJP
 * rule (ops.ts) for its inputs' gradients, and sum gradients of values used more than once.
 * The gradients are new values in the same graph; mark them as outputs so that one session run
 * returns the loss and its gradients together.
 */

import { ShapeError, ancestors, isFloat, isStatic } from './graph';
import type { Value } from './graph';
import { add, vjpRule, zeros } from './ops';

/**
 * Gradients of `loss` with respect to each of `params` (inputs, initializers or intermediate
 * values). `loss` must be a scalar unless `seed`, the gradient flowing into it, is given.
 */
export function gradients(loss: Value, params: readonly Value[], seed?: Value): Value[] {
  const graph = loss.graph;
  if (!isFloat(loss.dtype)) throw new ShapeError(`gradients: loss must be float, got ${loss}`);
  if (!seed && !(isStatic(loss.shape) && loss.shape.every((d) => d === 1))) {
    throw new ShapeError(`gradients: loss ${loss} is not a scalar; pass the seed gradient`);
  }
  const between = ancestors([loss]);
  const order = graph.nodes.filter((n) => between.has(n));

  // Prune: only values that depend on a parameter carry gradients.
  const dependsOnParam = new Set(params);
  for (const node of order) {
    if (!node.inputs.some((v) => dependsOnParam.has(v))) continue;
    for (const out of node.outputs) if (isFloat(out.dtype)) dependsOnParam.add(out);
  }

  const grads = new Map<Value, Value>([[loss, seed ?? graph.constant(onesLike(loss), loss.shape as number[])]]);
  for (const node of order.reverse()) {
    const g = grads.get(node.outputs[0]);
    if (!g) continue;
    const rule = vjpRule(node.op);
    if (!rule || node.outputs.length !== 1) throw new Error(`gradients: ${node.op} is not differentiable`);
    const inputGrads = rule(g, node);
    node.inputs.forEach((input, i) => {
      if (!dependsOnParam.has(input)) return;
      const grad = inputGrads[i];
      if (!grad) throw new Error(`gradients: ${node.op} has no gradient for its input ${i} (${input})`);
      const previous = grads.get(input);
      grads.set(input, previous ? add(previous, grad()) : grad());
    });
  }
  return params.map((p) => grads.get(p) ?? zeros(graph, p.shape, p.dtype, p));
}

function onesLike(loss: Value): Float32Array | Float64Array {
  const ones = loss.dtype === 'float64' ? new Float64Array(1) : new Float32Array(1);
  return ones.fill(1);
}
