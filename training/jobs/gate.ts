/** The promotion gate: whether a scored candidate replaces the active version, and why. */
import type { Evaluation } from './evaluate';

export interface PromotionGate {
  /**
   * How much lower the candidate's validation loss must be than the active's, as a fraction of
   * it: 0 (default) promotes a candidate no worse than the active; 0.05 asks for 5% lower.
   */
  minImprovement?: number;
  /** False registers the candidate without activating it, whatever its scores. Default true. */
  autoPromote?: boolean;
  /**
   * Metrics where higher is better that the candidate must not lose on, within `tolerance`.
   * Each is checked when both the candidate and the active version have it. Default DEFAULT_NO_WORSE.
   */
  noWorse?: string[];
  /** How much lower than the active's a `noWorse` metric may be (absolute). Default 0.01: one miss in 100. */
  tolerance?: number;
  /**
   * The candidate's queries, guarded as the bot guards them, must read the messages no worse than
   * the rules alone (within `tolerance`): the bot with no model at all is the first incumbent, and
   * a model that reads worse would make the bot understand less. Default true.
   */
  rulesBaseline?: boolean;
  /**
   * When moderators taught something (the taught slice was scored), the candidate must read the taught slice better
   * than what users get now — the active version, or the rules and lessons when none is active — and may read the
   * everyday validation worse by at most this much (guardedParseMean, absolute). Default DEFAULT_EVERYDAY_TOLERANCE.
   */
  everydayTolerance?: number;
}

export const DEFAULT_NO_WORSE = ['parseMean', 'factConsistency'];
export const DEFAULT_TOLERANCE = 0.01;
export const DEFAULT_EVERYDAY_TOLERANCE = 0.005;

export interface GateDecision {
  promote: boolean;
  /** One sentence a moderator can read. */
  reason: string;
}

const loss = (value: number) => value.toFixed(4);
const share = (value: number) => value.toFixed(3);

/** Refuses a gate that cannot work, before a run spends its time training. */
export function checkGate(gate: PromotionGate = {}): void {
  const minImprovement = gate.minImprovement ?? 0;
  if (!(minImprovement >= 0 && minImprovement < 1))
    throw new RangeError(`gate.minImprovement must be at least 0 and below 1, got ${minImprovement}`);
  const tolerance = gate.tolerance ?? DEFAULT_TOLERANCE;
  if (!(tolerance >= 0)) throw new RangeError(`gate.tolerance must be at least 0, got ${tolerance}`);
  const everyday = gate.everydayTolerance ?? DEFAULT_EVERYDAY_TOLERANCE;
  if (!(everyday >= 0 && everyday <= 1))
    throw new RangeError(`gate.everydayTolerance must be from 0 to 1, got ${everyday}`);
}

/** Reading accuracies closer than this are equal (means of a few hundred hits). */
const SAME = 1e-9;

/**
 * The taught-slice rule: null when the candidate passes it (or nothing was taught), else the refusal. Users get the
 * active version when it was scored on the slice, else the rules and lessons.
 */
function taughtRefusal(evaluation: Evaluation, everydayTolerance: number): GateDecision | null {
  const { metrics, active } = evaluation;
  const taught = metrics.taughtGuardedParseMean;
  if (taught === undefined) return null;
  const byActive = active !== null && active.metrics.taughtGuardedParseMean !== undefined;
  const incumbent = byActive ? `the active version ${active.id}` : 'the rules and lessons';
  const current = byActive ? active.metrics.taughtGuardedParseMean : metrics.taughtRulesParseMean;
  if (current !== undefined && !(taught > current + SAME || (current >= 1 - SAME && taught >= 1 - SAME))) {
    return {
      promote: false,
      reason: `it does not read what moderators taught better than ${incumbent}: taughtGuardedParseMean ${share(taught)} (now ${share(current)})`,
    };
  }
  const everyday = metrics.guardedParseMean;
  const before = byActive ? active.metrics.guardedParseMean : metrics.rulesParseMean;
  if (everyday !== undefined && before !== undefined && everyday < before - everydayTolerance - SAME) {
    return {
      promote: false,
      reason: `it reads everyday messages worse than ${incumbent}, beyond the tolerance of ${share(everydayTolerance)}: guardedParseMean ${share(everyday)} (now ${share(before)})`,
    };
  }
  return null;
}

/** Whether the candidate replaces the active version, and why. */
export function decidePromotion(evaluation: Evaluation, gate: PromotionGate = {}): GateDecision {
  checkGate(gate);
  const minImprovement = gate.minImprovement ?? 0;
  const { active, metrics } = evaluation;
  if (gate.autoPromote === false)
    return { promote: false, reason: 'automatic promotion is off: activate the candidate by hand' };
  const tolerance = gate.tolerance ?? DEFAULT_TOLERANCE;
  const { guardedParseMean: guarded, rulesParseMean: rules } = metrics;
  if (gate.rulesBaseline !== false && guarded !== undefined && rules !== undefined && guarded < rules - tolerance) {
    return {
      promote: false,
      reason: `with it the bot would read messages worse than the rules alone, beyond the tolerance of ${share(tolerance)}: guardedParseMean ${share(guarded)} (rules ${share(rules)})`,
    };
  }
  if (active?.incomparable) return { promote: false, reason: `${active.incomparable}; activate the candidate by hand` };
  const refusal = taughtRefusal(evaluation, gate.everydayTolerance ?? DEFAULT_EVERYDAY_TOLERANCE);
  if (refusal) return refusal;
  if (active === null) return { promote: true, reason: 'no version is active yet' };
  const candidate = metrics.validationLoss;
  const current = active.metrics.validationLoss;
  if (candidate === undefined || current === undefined)
    return { promote: false, reason: `no validation examples to compare the candidate with ${active.id}` };
  const limit = current * (1 - minImprovement);
  const against = `the active version ${active.id}'s ${loss(current)}`;
  const bar = minImprovement > 0 ? `${loss(limit)}, ${Math.round(minImprovement * 100)}% below ${against}` : against;
  if (candidate > limit) return { promote: false, reason: `validation loss ${loss(candidate)} is higher than ${bar}` };
  const lossReason = `validation loss ${loss(candidate)} is no higher than ${bar}`;
  const compared = (gate.noWorse ?? DEFAULT_NO_WORSE).filter(
    (name) => metrics[name] !== undefined && active.metrics[name] !== undefined,
  );
  const worse = compared.filter((name) => metrics[name] < active.metrics[name] - tolerance);
  const side = (name: string) => `${name} ${share(metrics[name])} (active ${share(active.metrics[name])})`;
  if (worse.length > 0) {
    return {
      promote: false,
      reason: `worse than the active version ${active.id} beyond the tolerance of ${share(tolerance)}: ${worse.map(side).join(', ')}`,
    };
  }
  return compared.length === 0
    ? { promote: true, reason: lossReason }
    : { promote: true, reason: `${lossReason}; no worse on ${compared.map(side).join(', ')}` };
}
