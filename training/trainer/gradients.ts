/** Gradient bookkeeping between the model and the optimiser: accumulation and clipping. */

/**
 * Sums micro-batch gradients weighted by their counted tokens, so that the mean over k
 * micro-batches is the gradient of the mean loss over all their tokens — what one big batch
 * would give. Sums run in float64.
 */
export class GradientAccumulator {
  private readonly sums = new Map<string, Float64Array>();
  private lossSum = 0;
  private tokenCount = 0;

  constructor(private readonly parameters: ReadonlyMap<string, { data: Float32Array }>) {
    for (const [name, { data }] of parameters) this.sums.set(name, new Float64Array(data.length));
  }

  get tokens(): number {
    return this.tokenCount;
  }

  /** Token-weighted mean loss of what has been added. */
  get loss(): number {
    return this.tokenCount === 0 ? 0 : this.lossSum / this.tokenCount;
  }

  /** Adds one micro-batch: its mean loss and mean-loss gradients over `tokens` counted targets. */
  add(gradients: ReadonlyMap<string, Float32Array>, loss: number, tokens: number): void {
    if (tokens === 0) return;
    for (const [name, sum] of this.sums) {
      const g = gradients.get(name);
      if (!g || g.length !== sum.length)
        throw new Error(`gradient for ${name} is ${g ? `${g.length} values, expected ${sum.length}` : 'missing'}`);
      for (let i = 0; i < sum.length; i++) sum[i] += g[i] * tokens;
    }
    this.lossSum += loss * tokens;
    this.tokenCount += tokens;
  }

  /** The accumulated mean gradients (zero when no tokens counted); then starts afresh. */
  take(): Map<string, Float32Array> {
    const scale = this.tokenCount === 0 ? 0 : 1 / this.tokenCount;
    const mean = new Map<string, Float32Array>();
    for (const [name, sum] of this.sums) {
      mean.set(
        name,
        Float32Array.from(sum, (s) => s * scale),
      );
      sum.fill(0);
    }
    this.lossSum = 0;
    this.tokenCount = 0;
    return mean;
  }
}

/** √(Σ g²) over every gradient tensor. */
export function globalNorm(gradients: ReadonlyMap<string, Float32Array>): number {
  let sumOfSquares = 0;
  for (const g of gradients.values()) for (let i = 0; i < g.length; i++) sumOfSquares += g[i] * g[i];
  return Math.sqrt(sumOfSquares);
}

/**
 * Scales all gradients in place so their global norm is at most `maxNorm` (as
 * torch.nn.utils.clip_grad_norm_, including its 1e-6 guard); returns the norm before clipping.
 */
export function clipGradients(gradients: ReadonlyMap<string, Float32Array>, maxNorm: number): number {
  const norm = globalNorm(gradients);
  const scale = maxNorm / (norm + 1e-6);
  if (scale < 1) for (const g of gradients.values()) for (let i = 0; i < g.length; i++) g[i] *= scale;
  return norm;
}
