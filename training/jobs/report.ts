/**
 * The report of a retrain, written into the version folder: `report.json` for tools,
 * `report.md` for people, and `loss.svg`, the training and validation loss drawn by hand — with `loss.png`, the same
 * picture for chats, which show PNG but not SVG.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pngOf } from '../../bot/core/png';
import { svgText, ticks } from '../../bot/core/svg';
import type { PrepareReport } from '../dataset';
import type { Hyperparameter } from '../registry';
import type { EpochRecord, StepRecord } from '../trainer';
import type { ActiveScore, TaughtScope } from './evaluate';
import type { GateDecision } from './gate';

export const REPORT_FILES = {
  json: 'report.json',
  markdown: 'report.md',
  chart: 'loss.svg',
  picture: 'loss.png',
} as const;
export const REPORT_FORMAT = 'weatherbot-retrain-report/1';

export interface RetrainReport {
  format: typeof REPORT_FORMAT;
  startedAt: string;
  /** When the report was written: after evaluation, before registration. */
  writtenAt: string;
  baseModel: string;
  baseDir: string;
  /** The version active when the job started. */
  parent: string | null;
  dataset: {
    /** sha256 of everything prepared (prepareDataset's manifest); the examples trained on are a fixed subset of it. */
    sha256: string;
    prepared: PrepareReport;
    /** Conversations trained and validated on, after the caps and encoding. */
    train: number;
    validation: number;
    /** Conversations the encoder refused (prepare already drops most). */
    unencodable: number;
  };
  hyperparameters: Record<string, Hyperparameter>;
  training: {
    steps: number;
    epochs: number;
    initialValidationLoss: number | null;
    bestValidationLoss: number | null;
    bestEpoch: number | null;
    stoppedEarly: boolean;
    tokensSeen: number;
    elapsedMs: number;
    tokensPerSecond: number;
    history: { steps: StepRecord[]; epochs: EpochRecord[] };
  };
  /**
   * The evaluation slices: everyday validation examples, and the taught ones (corrected readings) with where they were
   * scored; null when nothing was taught.
   */
  slices: { everyday: number; taught: { examples: number; scoredOn: TaughtScope } | null };
  metrics: Record<string, number>;
  active: ActiveScore | null;
  decision: GateDecision;
  /** Wall time of each pipeline step so far. */
  timings: Array<{ step: string; ms: number }>;
}

/** Writes the report files into `dir`; returns their paths. */
export async function writeReport(
  dir: string,
  report: RetrainReport,
): Promise<Record<keyof typeof REPORT_FILES, string>> {
  const paths = {
    json: join(dir, REPORT_FILES.json),
    markdown: join(dir, REPORT_FILES.markdown),
    chart: join(dir, REPORT_FILES.chart),
    picture: join(dir, REPORT_FILES.picture),
  };
  const chart = lossChart(report.training.history, report.training.initialValidationLoss);
  await writeFile(paths.json, `${JSON.stringify(report, null, 2)}\n`);
  await writeFile(paths.markdown, reportMarkdown(report));
  await writeFile(paths.chart, chart);
  await writeFile(paths.picture, pngOf(chart));
  return paths;
}

const fixed = (value: number | null | undefined, digits = 4) =>
  value === null || value === undefined ? '–' : value.toFixed(digits);
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

const SCORED_ON: Record<TaughtScope, string> = {
  validation: 'held-out validation examples (generalisation)',
  training: 'all of them, trained on (recall, not generalisation: none fell in validation)',
};

/** Each slice as the bot reads it: the candidate guarded by the rules and lessons, those alone, and the active. */
function sliceRows(report: RetrainReport): string[] {
  const { metrics, active, slices } = report;
  const scored = active && !active.incomparable ? active : null;
  const row = (name: string, examples: number, prefix: string, scoredOn: string) => {
    const metric = (base: string) => (prefix ? `${prefix}${base[0].toUpperCase()}${base.slice(1)}` : base);
    const guarded = metric('guardedParseMean');
    return `| ${name} | ${examples} | ${scoredOn} | ${fixed(metrics[guarded], 3)} | ${fixed(metrics[metric('rulesParseMean')], 3)} | ${fixed(scored?.metrics[guarded], 3)} |`;
  };
  return [
    '| slice | examples | scored on | bot with candidate | rules and lessons | bot with active |',
    '| --- | --- | --- | --- | --- | --- |',
    row('everyday', slices.everyday, '', 'validation examples'),
    slices.taught
      ? row('taught', slices.taught.examples, 'taught', SCORED_ON[slices.taught.scoredOn])
      : '| taught | 0 | nothing was taught | – | – | – |',
  ];
}

export function reportMarkdown(report: RetrainReport): string {
  const { dataset, training, decision, active } = report;
  const metricRows = Object.keys(report.metrics)
    .filter((name) => name !== 'activeValidationLoss')
    .map(
      (name) =>
        `| ${name} | ${fixed(report.metrics[name])} | ${active && !active.incomparable ? fixed(active.metrics[name]) : '–'} |`,
    );
  const dropped =
    Object.entries(dataset.prepared.dropped)
      .filter(([, n]) => n > 0)
      .map(([why, n]) => `${why} ${n}`)
      .join(', ') || 'none';
  return [
    `# Retrain report`,
    '',
    `**${decision.promote ? 'Promoted' : 'Not promoted'}**: ${decision.reason}.`,
    '',
    `- Base model: ${report.baseModel}`,
    `- Active version when it started: ${report.parent ?? 'none'}`,
    `- Started ${report.startedAt}; report written ${report.writtenAt}`,
    '',
    '## Metrics',
    '',
    `| metric | candidate | active${active ? ` (${active.id})` : ''} |`,
    '| --- | --- | --- |',
    ...metricRows,
    ...(active?.incomparable ? ['', `The active version was not scored: ${active.incomparable}.`] : []),
    '',
    '## Slices',
    '',
    'Parse accuracy of the reading users get (guarded by the rules and the lessons moderators taught).',
    '',
    ...sliceRows(report),
    '',
    '## Data',
    '',
    `- Trained on ${dataset.train} conversations, validated on ${dataset.validation} (dataset sha256 \`${dataset.sha256.slice(0, 16)}…\`).`,
    `- Prepared ${dataset.prepared.kept} of ${dataset.prepared.considered} records: ${dataset.prepared.bySource.store} moderated exchanges, ${dataset.prepared.bySource.seed} seed examples.`,
    `- Dropped: ${dropped}; refused by the encoder: ${dataset.unencodable}.`,
    '',
    '## Training',
    '',
    `- ${training.steps} steps over ${training.epochs} epoch(s) in ${seconds(training.elapsedMs)}, ${Math.round(training.tokensPerSecond)} tokens/s; best epoch ${training.bestEpoch ?? '–'}${training.stoppedEarly ? ' (stopped early)' : ''}.`,
    `- Validation loss ${fixed(training.initialValidationLoss)} before, ${fixed(training.bestValidationLoss)} after.`,
    '',
    `![loss](${REPORT_FILES.chart})`,
    '',
    '| epoch | step | train loss | validation loss |',
    '| --- | --- | --- | --- |',
    ...training.history.epochs.map(
      (e) => `| ${e.epoch} | ${e.step} | ${fixed(e.trainLoss)} | ${fixed(e.validationLoss)} |`,
    ),
    '',
    '## Hyperparameters',
    '',
    '| name | value |',
    '| --- | --- |',
    ...Object.entries(report.hyperparameters).map(
      ([name, value]) => `| ${name} | ${value === null ? '–' : String(value)} |`,
    ),
    '',
    '## Steps',
    '',
    '| step | time |',
    '| --- | --- |',
    ...report.timings.map((t) => `| ${t.step} | ${seconds(t.ms)} |`),
    '',
  ].join('\n');
}

const CHART = { width: 640, height: 360, left: 64, right: 20, top: 40, bottom: 48 };
const COLORS = { train: '#1f77b4', validation: '#ff7f0e', grid: '#e0e0e0', text: '#333333' };

/**
 * An SVG line chart of the training loss at every step and the validation loss before training and after each epoch.
 */
export function lossChart(
  history: { steps: readonly StepRecord[]; epochs: readonly EpochRecord[] },
  initialValidationLoss: number | null,
): string {
  const train = history.steps.map((s): [number, number] => [s.step, s.loss]);
  const validation = [
    ...(initialValidationLoss === null ? [] : [[0, initialValidationLoss] as [number, number]]),
    ...history.epochs
      .filter((e) => e.validationLoss !== null)
      .map((e): [number, number] => [e.step, e.validationLoss as number]),
  ];
  const all = [...train, ...validation];
  const { width, height, left, right, top, bottom } = CHART;
  const plotWidth = width - left - right;
  const plotHeight = height - top - bottom;
  const maxStep = Math.max(1, ...all.map(([step]) => step));
  const values = all.map(([, value]) => value);
  let [low, high] = values.length > 0 ? [Math.min(...values), Math.max(...values)] : [0, 1];
  const pad = high > low ? (high - low) * 0.08 : 0.5;
  [low, high] = [low - pad, high + pad];
  const x = (step: number) => left + (step / maxStep) * plotWidth;
  const y = (value: number) => top + (1 - (value - low) / (high - low)) * plotHeight;
  const point = ([step, value]: [number, number]) => `${x(step).toFixed(1)},${y(value).toFixed(1)}`;
  const text = (tx: number, ty: number, content: string, anchor = 'middle', attributes = '') =>
    svgText(tx, ty, content, { anchor, fill: COLORS.text, attributes });

  const yTicks = ticks(low, high, 5);
  const xTicks = ticks(0, maxStep, Math.min(6, maxStep)).filter((s) => Number.isInteger(s));
  const digits = yTicks.length > 1 && yTicks[1] - yTicks[0] < 0.1 ? 3 : 2;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    text(width / 2, 22, 'Loss by optimiser step', 'middle', 'font-size="14" font-weight="bold"'),
    ...yTicks.flatMap((v) => [
      `<line x1="${left}" y1="${y(v).toFixed(1)}" x2="${width - right}" y2="${y(v).toFixed(1)}" stroke="${COLORS.grid}"/>`,
      text(left - 6, y(v) + 4, v.toFixed(digits), 'end'),
    ]),
    ...xTicks.map((s) => text(x(s), height - bottom + 16, String(s))),
    `<line x1="${left}" y1="${height - bottom}" x2="${width - right}" y2="${height - bottom}" stroke="${COLORS.text}"/>`,
    `<line x1="${left}" y1="${top}" x2="${left}" y2="${height - bottom}" stroke="${COLORS.text}"/>`,
    text(left + plotWidth / 2, height - 10, 'step'),
    text(16, top + plotHeight / 2, 'loss', 'middle', `transform="rotate(-90 16 ${(top + plotHeight / 2).toFixed(1)})"`),
    train.length > 0
      ? `<polyline fill="none" stroke="${COLORS.train}" stroke-width="1.5" points="${train.map(point).join(' ')}"/>`
      : '',
    validation.length > 0
      ? `<polyline fill="none" stroke="${COLORS.validation}" stroke-width="2" points="${validation.map(point).join(' ')}"/>`
      : '',
    ...validation.map(
      (p) => `<circle cx="${x(p[0]).toFixed(1)}" cy="${y(p[1]).toFixed(1)}" r="3.5" fill="${COLORS.validation}"/>`,
    ),
    `<rect x="${width - right - 158}" y="${top - 4}" width="156" height="40" fill="#ffffff" fill-opacity="0.85"/>`,
    `<line x1="${width - right - 150}" y1="${top + 8}" x2="${width - right - 130}" y2="${top + 8}" stroke="${COLORS.train}" stroke-width="2"/>`,
    text(width - right - 124, top + 12, 'training loss', 'start'),
    `<line x1="${width - right - 150}" y1="${top + 26}" x2="${width - right - 130}" y2="${top + 26}" stroke="${COLORS.validation}" stroke-width="2"/>`,
    text(width - right - 124, top + 30, 'validation loss', 'start'),
    '</svg>',
  ];
  return `${parts.filter(Boolean).join('\n')}\n`;
}
