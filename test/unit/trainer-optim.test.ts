import { AdamW } from '../../training/trainer/adamw';
import { clipGradients, globalNorm, GradientAccumulator } from '../../training/trainer/gradients';
import { formatDuration } from '../../training/trainer/progress';
import { learningRateAt } from '../../training/trainer/lr-schedule';

const params = (values: Record<string, number[]>) =>
  new Map(Object.entries(values).map(([name, v]) => [name, { data: Float32Array.from(v) }]));
const grads = (values: Record<string, number[]>) =>
  new Map(Object.entries(values).map(([name, v]) => [name, Float32Array.from(v)]));

describe('AdamW', () => {
  test('the first step from zero moments moves each weight by lr against its gradient sign, after decay', () => {
    const p = params({ w: [1, -2] });
    const adam = new AdamW(p, { weightDecay: 0.01 });
    adam.step(grads({ w: [0.5, -3] }), 0.1);
    // m̂ = g and v̂ = g² after bias correction, so the update is lr·g/(|g| + ε); decay first: p·(1 − 0.1·0.01).
    expect(p.get('w')!.data[0]).toBeCloseTo(1 * 0.999 - 0.1 * (0.5 / (0.5 + 1e-8)), 6);
    expect(p.get('w')!.data[1]).toBeCloseTo(-2 * 0.999 + 0.1 * (3 / (3 + 1e-8)), 6);
    expect(adam.stepCount).toBe(1);
  });

  test('two steps match the textbook algorithm (bias-corrected moments, decoupled decay)', () => {
    const [lr1, lr2, beta1, beta2, eps, decay] = [0.1, 0.05, 0.8, 0.95, 1e-3, 0.2];
    const start = [0.7, -1.3, 0.05];
    const steps = [
      [0.5, 0.2, -0.4],
      [-0.25, 0.3, -0.1],
    ];
    const p = params({ w: start });
    const adam = new AdamW(p, { beta1, beta2, epsilon: eps, weightDecay: decay });
    adam.step(grads({ w: steps[0] }), lr1);
    adam.step(grads({ w: steps[1] }), lr2);

    const expected = start.map((w0, i) => {
      let [w, m, v] = [w0, 0, 0];
      [lr1, lr2].forEach((lr, t) => {
        const g = steps[t][i];
        m = beta1 * m + (1 - beta1) * g;
        v = beta2 * v + (1 - beta2) * g * g;
        const mHat = m / (1 - beta1 ** (t + 1));
        const vHat = v / (1 - beta2 ** (t + 1));
        w = w - lr * decay * w - (lr * mHat) / (Math.sqrt(vHat) + eps);
      });
      return w;
    });
    // By hand for the first weight: step 1 m=0.1, v=0.0125 → w = 0.7·0.98 − 0.1·0.5/(0.5+ε) ≈ 0.5861;
    // step 2 m=0.03, v=0.015 (m̂=0.0833, v̂=0.1538) → w ≈ 0.5861·0.99 − 0.05·0.0833/(0.3922+ε) ≈ 0.5697.
    expect(expected[0]).toBeCloseTo(0.5697, 3);
    p.get('w')!.data.forEach((w, i) => expect(w).toBeCloseTo(expected[i], 6));
  });

  test('weight decay alone shrinks weights by lr·λ', () => {
    const p = params({ a: [2, -4] });
    new AdamW(p, { weightDecay: 0.5 }).step(grads({ a: [0, 0] }), 0.1);
    expect(Array.from(p.get('a')!.data)).toEqual([2 * 0.95, -4 * 0.95].map(Math.fround));
  });

  test('a restored state continues exactly as the original would', () => {
    const p = params({ a: [2, -4] });
    const adam = new AdamW(p, { weightDecay: 0.1 });
    adam.step(grads({ a: [0.3, -1] }), 0.1);
    adam.step(grads({ a: [1, -0.2] }), 0.1);
    const q = params({ a: Array.from(p.get('a')!.data) });
    const restored = new AdamW(q, { weightDecay: 0.1 });
    restored.load(adam.state());
    expect(restored.stepCount).toBe(2);
    adam.step(grads({ a: [-0.5, 0.7] }), 0.05);
    restored.step(grads({ a: [-0.5, 0.7] }), 0.05);
    expect(q.get('a')!.data).toEqual(p.get('a')!.data);
    expect(() => adam.step(grads({ b: [1] }), 0.1)).toThrow(/gradient for a is missing/);
  });
});

describe('learning-rate schedule', () => {
  const schedule = { peak: 1e-3, totalSteps: 110, warmupSteps: 10, minRatio: 0.1 };
  test('warms up linearly to the peak', () => {
    expect(learningRateAt(1, schedule)).toBeCloseTo(1e-4, 12);
    expect(learningRateAt(5, schedule)).toBeCloseTo(5e-4, 12);
    expect(learningRateAt(10, schedule)).toBeCloseTo(1e-3, 12);
  });
  test('then follows a cosine down to peak × minRatio at the last step', () => {
    expect(learningRateAt(60, schedule)).toBeCloseTo(1e-3 * (0.1 + 0.9 * 0.5), 12);
    expect(learningRateAt(35, schedule)).toBeCloseTo(1e-3 * (0.1 + 0.9 * 0.5 * (1 + Math.cos(Math.PI / 4))), 12);
    expect(learningRateAt(110, schedule)).toBeCloseTo(1e-4, 12);
    expect(learningRateAt(130, schedule)).toBeCloseTo(1e-4, 12);
    const rates = Array.from({ length: 100 }, (_, i) => learningRateAt(11 + i, schedule));
    expect(rates.every((r, i) => i === 0 || r <= rates[i - 1])).toBe(true);
  });
});

describe('gradient clipping and accumulation', () => {
  test('clips the global norm across tensors, leaving small gradients alone', () => {
    const g = grads({ a: [3, 0], b: [4] });
    expect(globalNorm(g)).toBe(5);
    expect(clipGradients(g, 1)).toBe(5);
    expect(globalNorm(g)).toBeCloseTo(1, 6);
    expect(g.get('a')![0] / g.get('b')![0]).toBeCloseTo(0.75, 6);
    const small = grads({ a: [0.3, 0], b: [0.4] });
    expect(clipGradients(small, 1)).toBeCloseTo(0.5, 6);
    expect(Array.from(small.get('b')!)).toEqual([Math.fround(0.4)]);
  });

  test('accumulation weights each micro-batch by its counted tokens', () => {
    const acc = new GradientAccumulator(params({ w: [0, 0] }));
    acc.add(grads({ w: [1, 2] }), 2.0, 3);
    acc.add(grads({ w: [-1, 4] }), 1.0, 1);
    acc.add(grads({ w: [100, 100] }), 9.0, 0); // nothing counted: no weight
    expect(acc.tokens).toBe(4);
    expect(acc.loss).toBeCloseTo((2 * 3 + 1) / 4, 12);
    expect(Array.from(acc.take().get('w')!)).toEqual([0.5, 2.5]);
    expect(acc.tokens).toBe(0);
    expect(Array.from(acc.take().get('w')!)).toEqual([0, 0]);
  });
});

test('durations read as h/m/s', () => {
  expect([formatDuration(5), formatDuration(65), formatDuration(3725), formatDuration(Infinity)]).toEqual([
    '5s',
    '1m05s',
    '1h02m',
    '?',
  ]);
});
