/** Losses built from the engine's primitives, so autodiff differentiates them like any op. */

import { ShapeError, formatShape } from './graph';
import type { Value } from './graph';
import { div, gatherElements, logSoftmax, maximum, mul, neg, reduceSum, squeeze, unsqueeze } from './ops';

/**
 * Mean cross-entropy over the positions where `mask` is 1 (e.g. assistant tokens):
 * sum(mask · −log softmax(logits)[target]) / max(sum(mask), 1), a scalar.
 * logits [..., V] float; targets [...] int64; mask [...] of the logits' dtype. Masked positions
 * still need a valid target id (0 will do).
 */
export function crossEntropy(logits: Value, targets: Value, mask: Value): Value {
  const positions = logits.shape.slice(0, -1);
  const matches = (v: Value) => v.rank === positions.length && v.shape.every((d, i) => d === positions[i]);
  if (!matches(targets) || !matches(mask)) {
    throw new ShapeError(
      `crossEntropy: targets ${formatShape(targets.shape)} and mask ${formatShape(mask.shape)} must be logits' ${formatShape(logits.shape)} without its last axis`,
    );
  }
  const logProbs = logSoftmax(logits, -1); // [..., V]
  const picked = squeeze(gatherElements(logProbs, unsqueeze(targets, [-1]), -1), [-1]); // [...]
  const total = reduceSum(mul(picked, mask));
  return neg(div(total, maximum(reduceSum(mask), 1)));
}
