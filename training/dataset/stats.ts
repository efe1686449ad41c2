import {
  ASPECTS,
  MODERATION_STATUSES,
  isRange,
  NAMED_WHENS,
  type ModerationStatus,
  type Understanding,
} from '../../bot/core/domain';
import { prepareDataset, type DatasetManifest, type PrepareOptions, type PrepareReport } from './prepare';
import { loadSeed } from './seed';

export interface Breakdown {
  total: number;
  byAspect: Record<string, number>;
  byWhen: Record<string, number>;
}

export interface DatasetStats {
  store: Breakdown & { byStatus: Record<ModerationStatus, number> };
  /** Null when no seed folder was given. */
  seed: { train: Breakdown; test: Breakdown } | null;
  /** What training would use now; null when not asked for (preparing reads and scrubs everything). */
  prepared: { report: PrepareReport; manifest: DatasetManifest } | null;
}

const NOT_WEATHER = '(not weather)';
const NO_QUERY = '(no query)';
const DAYS_AHEAD = '+Nd';
const RANGE = 'range';

const aspectOf = (query: Understanding | null) =>
  query === null ? NO_QUERY : query.weather ? query.aspect : NOT_WEATHER;
const whenOf = (query: Understanding | null) =>
  query === null
    ? NO_QUERY
    : !query.weather
      ? NOT_WEATHER
      : query.when.startsWith('+')
        ? DAYS_AHEAD
        : isRange(query.when)
          ? RANGE
          : query.when;

function breakdown(queries: Iterable<Understanding | null>): Breakdown {
  const result: Breakdown = { total: 0, byAspect: {}, byWhen: {} };
  for (const query of queries) {
    result.total += 1;
    result.byAspect[aspectOf(query)] = (result.byAspect[aspectOf(query)] ?? 0) + 1;
    result.byWhen[whenOf(query)] = (result.byWhen[whenOf(query)] ?? 0) + 1;
  }
  return result;
}

/** Counts of the store (by moderation status, aspect, when), the seed splits, and the prepared dataset. */
export async function datasetStats(options: PrepareOptions, { prepare = true } = {}): Promise<DatasetStats> {
  const byStatus = Object.fromEntries(MODERATION_STATUSES.map((s) => [s, 0])) as Record<ModerationStatus, number>;
  const queries: (Understanding | null)[] = [];
  if (options.store) {
    for await (const exchange of options.store.exchanges()) {
      byStatus[exchange.moderation.status] += 1;
      queries.push(exchange.query);
    }
  }
  const seed = options.seedDir
    ? {
        train: breakdown((await loadSeed(options.seedDir, 'train')).map((e) => e.query)),
        test: breakdown((await loadSeed(options.seedDir, 'test')).map((e) => e.query)),
      }
    : null;
  const prepared = prepare ? await prepareDataset(options) : null;
  return {
    store: { ...breakdown(queries), byStatus },
    seed,
    prepared: prepared && { report: prepared.report, manifest: prepared.manifest },
  };
}

const ASPECT_ORDER = [...ASPECTS, NOT_WEATHER, NO_QUERY];
const WHEN_ORDER = [...NAMED_WHENS, DAYS_AHEAD, RANGE, NOT_WEATHER, NO_QUERY];

/** "general 3, rain 1" in a fixed order, leaving out zeros. */
function counts(values: Record<string, number>, order: readonly string[]): string {
  const parts = order.filter((k) => values[k]).map((k) => `${k} ${values[k]}`);
  return parts.length ? parts.join(', ') : 'none';
}

export function formatStats(stats: DatasetStats): string {
  const { store, seed, prepared } = stats;
  const lines = [
    `store: ${store.total} exchanges`,
    `  by status: ${counts(store.byStatus, MODERATION_STATUSES)}`,
    `  by aspect: ${counts(store.byAspect, ASPECT_ORDER)}`,
    `  by when:   ${counts(store.byWhen, WHEN_ORDER)}`,
  ];
  if (seed) {
    for (const split of ['train', 'test'] as const) {
      lines.push(
        `seed ${split}: ${seed[split].total} examples`,
        `  by aspect: ${counts(seed[split].byAspect, ASPECT_ORDER)}`,
        `  by when:   ${counts(seed[split].byWhen, WHEN_ORDER)}`,
      );
    }
  } else {
    lines.push('seed: none');
  }
  if (!prepared) return `${lines.join('\n')}\n`;
  const { report, manifest } = prepared;
  lines.push(
    `prepared: ${report.kept} of ${report.considered} examples (train ${report.train}, validation ${report.validation})`,
    `  by source: ${counts(report.bySource, ['store', 'seed'])}`,
    `  dropped:   ${counts(report.dropped, Object.keys(report.dropped))}`,
    `  scrubbed:  ${counts(report.scrubbed, Object.keys(report.scrubbed))}`,
    `  sha256 ${manifest.sha256}, ${manifest.bytes} bytes`,
  );
  return `${lines.join('\n')}\n`;
}
