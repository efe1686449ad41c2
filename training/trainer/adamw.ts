/**
 * AdamW (Loshchilov & Hutter): Adam with bias-corrected moments and weight decay applied to the
 * weights directly rather than through the gradient. Same arithmetic as torch.optim.AdamW:
 *   p ← p·(1 − lr·λ);  m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²
 *   p ← p − (lr / (1−β1ᵗ)) · m / (√v / √(1−β2ᵗ) + ε)
 */

export interface AdamWOptions {
  /** Default 0.9. */
  beta1?: number;
  /** Default 0.999. */
  beta2?: number;
  /** Default 1e-8. */
  epsilon?: number;
  /** Decoupled weight decay λ. Default 0. */
  weightDecay?: number;
}

/** What a checkpoint needs to continue exactly where the optimiser stopped. */
export interface AdamWState {
  /** Updates applied so far (t of the bias correction). */
  step: number;
  firstMoments: ReadonlyMap<string, Float32Array>;
  secondMoments: ReadonlyMap<string, Float32Array>;
}

export class AdamW {
  private readonly beta1: number;
  private readonly beta2: number;
  private readonly epsilon: number;
  private readonly weightDecay: number;
  private readonly m = new Map<string, Float32Array>();
  private readonly v = new Map<string, Float32Array>();
  private t = 0;

  /** `parameters` are updated in place by `step`. */
  constructor(
    private readonly parameters: ReadonlyMap<string, { data: Float32Array }>,
    options: AdamWOptions = {},
  ) {
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.999;
    this.epsilon = options.epsilon ?? 1e-8;
    this.weightDecay = options.weightDecay ?? 0;
    for (const [name, { data }] of parameters) {
      this.m.set(name, new Float32Array(data.length));
      this.v.set(name, new Float32Array(data.length));
    }
  }

  get stepCount(): number {
    return this.t;
  }

  /** One update of every parameter from its gradient. */
  step(gradients: ReadonlyMap<string, Float32Array>, learningRate: number): void {
    this.t += 1;
    const stepSize = learningRate / (1 - this.beta1 ** this.t);
    const secondCorrection = Math.sqrt(1 - this.beta2 ** this.t);
    const decay = 1 - learningRate * this.weightDecay;
    for (const [name, { data: p }] of this.parameters) {
      const g = gradients.get(name);
      if (!g || g.length !== p.length)
        throw new Error(`AdamW: gradient for ${name} is ${g ? `${g.length} values, expected ${p.length}` : 'missing'}`);
      const m = this.m.get(name)!;
      const v = this.v.get(name)!;
      for (let i = 0; i < p.length; i++) {
        m[i] = this.beta1 * m[i] + (1 - this.beta1) * g[i];
        v[i] = this.beta2 * v[i] + (1 - this.beta2) * g[i] * g[i];
        p[i] = p[i] * decay - (stepSize * m[i]) / (Math.sqrt(v[i]) / secondCorrection + this.epsilon);
      }
    }
  }

  state(): AdamWState {
    return { step: this.t, firstMoments: this.m, secondMoments: this.v };
  }

  /** Restores moments and step count saved by `state()` (copied in). */
  load(state: AdamWState): void {
    for (const [moments, saved, kind] of [
      [this.m, state.firstMoments, 'first'],
      [this.v, state.secondMoments, 'second'],
    ] as const) {
      for (const [name, own] of moments) {
        const values = saved.get(name);
        if (!values || values.length !== own.length)
          throw new Error(`AdamW: saved ${kind} moment for ${name} is missing or has the wrong size`);
        own.set(values);
      }
    }
    this.t = state.step;
  }
}
