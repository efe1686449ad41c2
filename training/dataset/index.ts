/**
 * The training data: the seed (seed.ts), preparation of moderated exchanges and seed (prepare.ts), JSONL for other
 * tools (jsonl.ts) and counts (stats.ts).
 */
export { prepareDataset, DROP_REASONS } from './prepare';
export type {
  DatasetManifest,
  DropReason,
  ExampleSource,
  PreparedDataset,
  PreparedExample,
  PrepareOptions,
  PrepareReport,
  Slice,
} from './prepare';
export { loadSeed, SeedFormatError } from './seed';
export type { SeedExample, SeedSplit } from './seed';
export { questionKey, splitOf } from './question-key';
export type { Split } from './question-key';
export { scrubPersonalData, PII_KINDS, PLACEHOLDERS } from './scrub';
export type { PiiKind, Scrubbed } from './scrub';
export { toHfRecord, toOpenAiRecord, toJsonl, WEATHER_TOOL, WEATHER_FUNCTION, EXPORT_FORMATS } from './jsonl';
export type {
  ExportFormat,
  ExportSplit,
  HfRecord,
  OpenAiMessage,
  OpenAiRecord,
  OpenAiTool,
  OpenAiToolCall,
} from './jsonl';
export { datasetStats, formatStats } from './stats';
export type { Breakdown, DatasetStats } from './stats';
