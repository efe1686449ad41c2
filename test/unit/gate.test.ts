/** The promotion gate on the generation metrics, on hand-made metric records. */
import type { Evaluation } from '../../training/jobs/evaluate';
import { checkGate, decidePromotion } from '../../training/jobs/gate';

const ACTIVE = 'v0002-20261125T1600Z';

function scored(candidate: Record<string, number>, active: Record<string, number>): Evaluation {
  return { metrics: candidate, active: { id: ACTIVE, metrics: active, incomparable: null } };
}

const activeMetrics = { validationLoss: 2, parseMean: 0.8, factConsistency: 0.9, chrF: 40 };

describe('the default gate', () => {
  test('promotes a candidate no worse on loss, parse accuracy and fact consistency, and says so', () => {
    const decision = decidePromotion(
      scored({ validationLoss: 1.9, parseMean: 0.85, factConsistency: 0.9, chrF: 10 }, activeMetrics),
    );
    expect(decision).toEqual({
      promote: true,
      reason: `validation loss 1.9000 is no higher than the active version ${ACTIVE}'s 2.0000; no worse on parseMean 0.850 (active 0.800), factConsistency 0.900 (active 0.900)`,
    });
  });

  test('keeps the active version when parse accuracy or fact consistency drops beyond the tolerance', () => {
    expect(
      decidePromotion(scored({ validationLoss: 1.5, parseMean: 0.7, factConsistency: 0.95 }, activeMetrics)),
    ).toEqual({
      promote: false,
      reason: `worse than the active version ${ACTIVE} beyond the tolerance of 0.010: parseMean 0.700 (active 0.800)`,
    });
    const both = decidePromotion(scored({ validationLoss: 1.5, parseMean: 0.5, factConsistency: 0.5 }, activeMetrics));
    expect(both.promote).toBe(false);
    expect(both.reason).toMatch(/parseMean 0\.500 \(active 0\.800\), factConsistency 0\.500 \(active 0\.900\)$/);
  });

  test('a drop within the tolerance passes; chrF is not gated by default', () => {
    expect(
      decidePromotion(scored({ validationLoss: 2, parseMean: 0.795, factConsistency: 0.9, chrF: 0 }, activeMetrics))
        .promote,
    ).toBe(true);
    expect(
      decidePromotion(scored({ validationLoss: 2, parseMean: 0.789, factConsistency: 0.9 }, activeMetrics)).promote,
    ).toBe(false);
  });

  test('a higher validation loss fails first, whatever the other metrics', () => {
    expect(decidePromotion(scored({ validationLoss: 2.1, parseMean: 1, factConsistency: 1 }, activeMetrics))).toEqual({
      promote: false,
      reason: `validation loss 2.1000 is higher than the active version ${ACTIVE}'s 2.0000`,
    });
  });

  test('compares only the metrics both sides have (an active version scored before they existed)', () => {
    expect(
      decidePromotion(scored({ validationLoss: 1.9, parseMean: 0.1, factConsistency: 0.2 }, { validationLoss: 2 })),
    ).toEqual({
      promote: true,
      reason: `validation loss 1.9000 is no higher than the active version ${ACTIVE}'s 2.0000`,
    });
  });
});

describe('the rules as the baseline', () => {
  const noActive = (metrics: Record<string, number>): Evaluation => ({ metrics, active: null });

  test('the first version must not make the bot read messages worse than the rules alone', () => {
    expect(
      decidePromotion(noActive({ validationLoss: 0.9, parseMean: 0.5, guardedParseMean: 0.6, rulesParseMean: 0.92 })),
    ).toEqual({
      promote: false,
      reason:
        'with it the bot would read messages worse than the rules alone, beyond the tolerance of 0.010: guardedParseMean 0.600 (rules 0.920)',
    });
    expect(decidePromotion(noActive({ validationLoss: 0.9, guardedParseMean: 0.915, rulesParseMean: 0.92 }))).toEqual({
      promote: true,
      reason: 'no version is active yet',
    });
  });

  test('holds for later versions too, before the comparison with the active one', () => {
    const decision = decidePromotion(
      scored(
        { validationLoss: 1.5, parseMean: 0.9, factConsistency: 0.9, guardedParseMean: 0.8, rulesParseMean: 0.9 },
        activeMetrics,
      ),
    );
    expect(decision.promote).toBe(false);
    expect(decision.reason).toMatch(/^with it the bot would read messages worse than the rules alone/);
  });

  test('can be turned off, and is not checked without both metrics', () => {
    expect(
      decidePromotion(noActive({ guardedParseMean: 0.1, rulesParseMean: 0.9 }), { rulesBaseline: false }).promote,
    ).toBe(true);
    expect(decidePromotion(noActive({ guardedParseMean: 0.1 })).promote).toBe(true);
  });
});

describe('a configured gate', () => {
  test('gates on the metrics it names, with its own tolerance', () => {
    const candidate = { validationLoss: 1.9, parseMean: 0.5, factConsistency: 0.9, chrF: 35 };
    expect(decidePromotion(scored(candidate, activeMetrics), { noWorse: ['chrF'], tolerance: 2 }).promote).toBe(false);
    expect(decidePromotion(scored(candidate, activeMetrics), { noWorse: ['chrF'], tolerance: 5 }).promote).toBe(true);
    expect(decidePromotion(scored(candidate, activeMetrics), { noWorse: [] })).toEqual({
      promote: true,
      reason: `validation loss 1.9000 is no higher than the active version ${ACTIVE}'s 2.0000`,
    });
  });

  test('refuses a negative tolerance before any training', () => {
    expect(() => checkGate({ tolerance: -0.1 })).toThrow(/gate\.tolerance must be at least 0, got -0\.1/);
    expect(() => checkGate({ tolerance: Number.NaN })).toThrow(RangeError);
    expect(() => checkGate({ tolerance: 0 })).not.toThrow();
  });
});

describe('the taught slice', () => {
  const noActive = (metrics: Record<string, number>): Evaluation => ({ metrics, active: null });
  const everyday = { validationLoss: 1, guardedParseMean: 0.9, rulesParseMean: 0.9 };

  test('with none active, the candidate must read what moderators taught better than the rules and lessons', () => {
    expect(decidePromotion(noActive({ ...everyday, taughtGuardedParseMean: 0.8, taughtRulesParseMean: 0.6 }))).toEqual({
      promote: true,
      reason: 'no version is active yet',
    });
    expect(decidePromotion(noActive({ ...everyday, taughtGuardedParseMean: 0.6, taughtRulesParseMean: 0.6 }))).toEqual({
      promote: false,
      reason:
        'it does not read what moderators taught better than the rules and lessons: taughtGuardedParseMean 0.600 (now 0.600)',
    });
    expect(
      decidePromotion(noActive({ ...everyday, taughtGuardedParseMean: 0.5, taughtRulesParseMean: 0.6 })).promote,
    ).toBe(false);
    // Lessons already read all of it: nothing is left to read better, and the candidate keeps all of it.
    expect(decidePromotion(noActive({ ...everyday, taughtGuardedParseMean: 1, taughtRulesParseMean: 1 })).promote).toBe(
      true,
    );
  });

  test('with a version active, it must read the taught slice better than that version', () => {
    const active = { ...activeMetrics, guardedParseMean: 0.9, taughtGuardedParseMean: 0.7 };
    const candidate = { validationLoss: 1.9, parseMean: 0.8, factConsistency: 0.9, guardedParseMean: 0.9 };
    expect(
      decidePromotion(scored({ ...candidate, taughtGuardedParseMean: 0.8, taughtRulesParseMean: 0.5 }, active)).promote,
    ).toBe(true);
    expect(
      decidePromotion(scored({ ...candidate, taughtGuardedParseMean: 0.7, taughtRulesParseMean: 0.5 }, active)),
    ).toEqual({
      promote: false,
      reason: `it does not read what moderators taught better than the active version ${ACTIVE}: taughtGuardedParseMean 0.700 (now 0.700)`,
    });
  });

  test('reading everyday messages worse than now by more than the tolerance fails, however well it reads the taught', () => {
    const taught = { taughtGuardedParseMean: 1, taughtRulesParseMean: 0.5 };
    expect(decidePromotion(noActive({ ...everyday, ...taught, guardedParseMean: 0.896 })).promote).toBe(true);
    expect(decidePromotion(noActive({ ...everyday, ...taught, guardedParseMean: 0.894 }))).toEqual({
      promote: false,
      reason:
        'it reads everyday messages worse than the rules and lessons, beyond the tolerance of 0.005: guardedParseMean 0.894 (now 0.900)',
    });
    expect(
      decidePromotion(noActive({ ...everyday, ...taught, guardedParseMean: 0.894 }), { everydayTolerance: 0.01 })
        .promote,
    ).toBe(true);
    const active = { ...activeMetrics, guardedParseMean: 0.95, taughtGuardedParseMean: 0.5 };
    const candidate = { validationLoss: 1.9, parseMean: 0.8, factConsistency: 0.9, guardedParseMean: 0.93, ...taught };
    expect(decidePromotion(scored({ ...candidate, rulesParseMean: 0.9 }, active))).toEqual({
      promote: false,
      reason: `it reads everyday messages worse than the active version ${ACTIVE}, beyond the tolerance of 0.005: guardedParseMean 0.930 (now 0.950)`,
    });
  });

  test('nothing taught: the rule is not checked; a bad tolerance is refused before training', () => {
    expect(decidePromotion(noActive({ ...everyday, guardedParseMean: 0.895 })).promote).toBe(true);
    expect(() => checkGate({ everydayTolerance: -0.1 })).toThrow(
      /gate\.everydayTolerance must be from 0 to 1, got -0\.1/,
    );
    expect(() => checkGate({ everydayTolerance: 2 })).toThrow(RangeError);
  });
});
