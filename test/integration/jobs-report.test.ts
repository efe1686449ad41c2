/** The promotion gate and the report files of a retrain, on hand-made evaluations and histories. */
import type { Evaluation } from '../../training/jobs/evaluate';
import { checkGate, decidePromotion } from '../../training/jobs/gate';
import { lossChart, reportMarkdown, type RetrainReport } from '../../training/jobs/report';
import type { EpochRecord, StepRecord } from '../../training/trainer';

const scored = (
  candidate: number | undefined,
  active: number | undefined,
  id = 'v0003-20261125T1600Z',
): Evaluation => ({
  metrics: candidate === undefined ? {} : { validationLoss: candidate },
  active: { id, metrics: active === undefined ? {} : { validationLoss: active }, incomparable: null },
});

describe('the promotion gate', () => {
  test('promotes the first version, and a candidate no worse than the active one', () => {
    expect(decidePromotion({ metrics: { validationLoss: 3 }, active: null })).toEqual({
      promote: true,
      reason: 'no version is active yet',
    });
    expect(decidePromotion(scored(2.5, 2.5))).toEqual({
      promote: true,
      reason: "validation loss 2.5000 is no higher than the active version v0003-20261125T1600Z's 2.5000",
    });
    expect(decidePromotion(scored(2.5001, 2.5))).toEqual({
      promote: false,
      reason: "validation loss 2.5001 is higher than the active version v0003-20261125T1600Z's 2.5000",
    });
  });

  test('a stricter gate asks for a relative improvement', () => {
    expect(decidePromotion(scored(1.9, 2), { minImprovement: 0.05 })).toEqual({
      promote: true,
      reason:
        "validation loss 1.9000 is no higher than 1.9000, 5% below the active version v0003-20261125T1600Z's 2.0000",
    });
    expect(decidePromotion(scored(1.95, 2), { minImprovement: 0.05 })).toMatchObject({
      promote: false,
      reason: expect.stringMatching(/^validation loss 1\.9500 is higher than 1\.9000, 5% below/),
    });
    expect(() => checkGate({ minImprovement: 1 })).toThrow(RangeError);
    expect(() => checkGate({ minImprovement: -0.1 })).toThrow(
      /gate\.minImprovement must be at least 0 and below 1, got -0\.1/,
    );
  });

  test('keeps the active version when the two cannot be compared, or when promotion is manual', () => {
    const otherBase: Evaluation = {
      metrics: { validationLoss: 1 },
      active: {
        id: 'v0001-20261125T1600Z',
        metrics: {},
        incomparable:
          'the active version v0001-20261125T1600Z was trained from tiny, this one from /models/smol: their losses are not comparable',
      },
    };
    expect(decidePromotion(otherBase)).toEqual({
      promote: false,
      reason: `${otherBase.active!.incomparable}; activate the candidate by hand`,
    });
    expect(decidePromotion(scored(undefined, undefined))).toEqual({
      promote: false,
      reason: 'no validation examples to compare the candidate with v0003-20261125T1600Z',
    });
    expect(decidePromotion({ metrics: { validationLoss: 1 }, active: null }, { autoPromote: false })).toEqual({
      promote: false,
      reason: 'automatic promotion is off: activate the candidate by hand',
    });
  });
});

function history(steps: number, perEpoch: number): { steps: StepRecord[]; epochs: EpochRecord[] } {
  const records = Array.from({ length: steps }, (_, i): StepRecord => ({
    step: i + 1,
    epoch: Math.floor(i / perEpoch) + 1,
    loss: 3 - i * 0.05,
    learningRate: 1e-3,
    gradientNorm: 1,
    tokens: 100,
  }));
  const epochs = Array.from({ length: steps / perEpoch }, (_, e): EpochRecord => ({
    epoch: e + 1,
    step: (e + 1) * perEpoch,
    trainLoss: 3 - e * 0.3,
    validationLoss: 2.9 - e * 0.25,
  }));
  return { steps: records, epochs };
}

const points = (svg: string, color: string) =>
  /points="([^"]+)"/
    .exec(svg.split('\n').find((line) => line.startsWith('<polyline') && line.includes(color))!)![1]
    .split(' ')
    .map((p) => p.split(',').map(Number));

describe('the loss chart', () => {
  test('draws every training step and the validation loss before training and after each epoch, inside the plot', () => {
    const svg = lossChart(history(12, 4), 3.1);
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" width="640" height="360"/);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    const train = points(svg, '#1f77b4');
    const validation = points(svg, '#ff7f0e');
    expect(train).toHaveLength(12);
    expect(validation).toHaveLength(4);
    for (const [x, y] of [...train, ...validation]) {
      expect(x).toBeGreaterThanOrEqual(64);
      expect(x).toBeLessThanOrEqual(620);
      expect(y).toBeGreaterThanOrEqual(40);
      expect(y).toBeLessThanOrEqual(312);
    }
    // x grows with the step; a lower loss is drawn higher up (smaller y).
    expect(train.map(([x]) => x)).toEqual([...train.map(([x]) => x)].sort((a, b) => a - b));
    expect(train[11][1]).toBeGreaterThan(train[0][1]);
    expect(validation[0][0]).toBe(64);
    expect(validation[3][0]).toBeCloseTo(train[11][0], 1);
    expect(svg).toContain('>training loss</text>');
    expect(svg).toContain('>validation loss</text>');
  });

  test('copes with a run of one step and no validation', () => {
    const svg = lossChart({ steps: history(1, 1).steps, epochs: [] }, null);
    expect(points(svg, '#1f77b4')).toHaveLength(1);
    expect(svg).not.toContain('<polyline fill="none" stroke="#ff7f0e"');
    expect(svg).not.toContain('NaN');
  });
});

test('the Markdown report says the verdict first, then metrics beside the active version', () => {
  const report: RetrainReport = {
    format: 'weatherbot-retrain-report/1',
    startedAt: '2026-11-25T03:00:00.000Z',
    writtenAt: '2026-11-25T03:10:00.000Z',
    baseModel: 'tiny',
    baseDir: '/data/models/base-tiny',
    parent: 'v0001-20261124T0300Z',
    dataset: {
      sha256: 'ab'.repeat(32),
      prepared: {
        considered: 70,
        kept: 60,
        train: 54,
        validation: 6,
        dropped: {
          pending: 5,
          rejected: 1,
          incomplete: 0,
          errored: 0,
          'unsupported-numbers': 0,
          'too-long': 4,
          unencodable: 0,
          'held-out': 0,
          duplicate: 0,
        },
        bySource: { seed: 55, store: 5 },
        bySlice: { taught: 2, everyday: 58 },
        scrubbed: { url: 0, email: 0, mention: 0, channel: 0, handle: 0, phone: 0, name: 0 },
      },
      train: 54,
      validation: 6,
      unencodable: 0,
    },
    hyperparameters: { loraR: 8, loraTargets: 'q_proj,v_proj' },
    training: {
      steps: 12,
      epochs: 3,
      initialValidationLoss: 3.1,
      bestValidationLoss: 2.4,
      bestEpoch: 3,
      stoppedEarly: false,
      tokensSeen: 9000,
      elapsedMs: 3000,
      tokensPerSecond: 3000,
      history: history(12, 4),
    },
    slices: { everyday: 6, taught: { examples: 2, scoredOn: 'training' } },
    metrics: {
      validationLoss: 2.4,
      baseValidationLoss: 3.1,
      activeValidationLoss: 2.6,
      guardedParseMean: 0.9,
      rulesParseMean: 0.92,
      taughtGuardedParseMean: 1,
      taughtRulesParseMean: 0.75,
    },
    active: {
      id: 'v0001-20261124T0300Z',
      metrics: { validationLoss: 2.6, guardedParseMean: 0.88, taughtGuardedParseMean: 0.5 },
      incomparable: null,
    },
    decision: {
      promote: true,
      reason: "validation loss 2.4000 is no higher than the active version v0001-20261124T0300Z's 2.6000",
    },
    timings: [{ step: 'train', ms: 3000 }],
  };
  const markdown = reportMarkdown(report);
  expect(markdown.split('\n').slice(0, 3)).toEqual([
    '# Retrain report',
    '',
    `**Promoted**: ${report.decision.reason}.`,
  ]);
  expect(markdown).toContain('| metric | candidate | active (v0001-20261124T0300Z) |');
  expect(markdown).toContain('| validationLoss | 2.4000 | 2.6000 |');
  expect(markdown).toContain('| baseValidationLoss | 3.1000 | – |');
  expect(markdown).not.toContain('| activeValidationLoss');
  expect(markdown).toContain('Dropped: pending 5, rejected 1, too-long 4');
  expect(markdown).toContain('12 steps over 3 epoch(s) in 3.0 s, 3000 tokens/s; best epoch 3.');
  expect(markdown).toContain('![loss](loss.svg)');
  expect(markdown).toContain('| 3 | 12 | 2.4000 | 2.4000 |');
  expect(markdown).toContain('| everyday | 6 | validation examples | 0.900 | 0.920 | 0.880 |');
  expect(markdown).toContain(
    '| taught | 2 | all of them, trained on (recall, not generalisation: none fell in validation) | 1.000 | 0.750 | 0.500 |',
  );
  expect(reportMarkdown({ ...report, slices: { everyday: 6, taught: null } })).toContain(
    '| taught | 0 | nothing was taught | – | – | – |',
  );
});
