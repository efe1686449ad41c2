/**
 * What the registry records about a version (`versions/<id>/manifest.json`) and the active
 * pointer (`active.json`), with the checks that turn their text back into data.
 */
import type { ModelVersion } from '../../bot/core/domain';
import { MODEL_DTYPES, type ModelDtype } from '../../bot/core/generation';

/**
 * candidate: registered, never active · active: what the bot runs · retired: was active, then
 * replaced (by an activation or a rollback) · failed: marked unusable; never activated.
 */
export type VersionStatus = ModelVersion['status'];
const STATUSES: readonly VersionStatus[] = ['candidate', 'active', 'retired', 'failed'];

export type Hyperparameter = number | string | boolean | null;

export interface DatasetInfo {
  /** Content hash of the prepared training data. */
  hash: string;
  /** Training examples in it. */
  examples: number;
}

export interface FileRecord {
  sha256: string;
  bytes: number;
  /** The weights an ONNX file (or its data file) holds. */
  dtype?: ModelDtype;
}

/** What the caller of register() says about a version; the registry adds the rest. */
export interface NewVersion {
  /** Hub repo ("HuggingFaceTB/SmolLM2-135M-Instruct") or path of the base model. */
  baseModel: string;
  dataset?: DatasetInfo | null;
  hyperparameters?: Record<string, Hyperparameter>;
  metrics?: Record<string, number>;
  /** The version this one was trained from, if any. */
  parent?: string | null;
  note?: string | null;
}

export const MANIFEST_FORMAT = 'weatherbot-model-version/1';

export interface VersionManifest extends ModelVersion {
  format: typeof MANIFEST_FORMAT;
  id: string;
  baseModel: string;
  /** Folder of the transformers.js model inside the version. */
  model: string;
  /** Folder of the PEFT adapter inside the version; null when none was registered. */
  adapter: string | null;
  dataset: DatasetInfo | null;
  hyperparameters: Record<string, Hyperparameter>;
  metrics: Record<string, number>;
  createdAt: string;
  status: VersionStatus;
  parent: string | null;
  note: string | null;
  /** When it last became active; null if it never was. */
  activatedAt: string | null;
  /** When it last stopped being active, and whether a rollback did it. */
  retiredAt: string | null;
  rolledBack: boolean;
  /** Every file of the version but this manifest, by path relative to the version folder ('/'-separated). */
  files: Record<string, FileRecord>;
}

/** `active.json`: the version the bot runs and the ones active before it, latest first. */
export interface ActivePointer {
  id: string;
  activatedAt: string;
  predecessors: string[];
}

const ID_PATTERN = /^v(\d{4,})-\d{8}T\d{4}Z$/;

/** `v0007-20261125T1530Z`: a sequence number (the order) and the UTC minute of registration. */
export function formatVersionId(sequence: number, at: Date): string {
  const stamp = at.toISOString().replace(/[-:]/g, '').slice(0, 13);
  return `v${String(sequence).padStart(4, '0')}-${stamp}Z`;
}

/** The sequence number of a version id; null when `name` is no version id. */
export function versionSequence(name: string): number | null {
  const digits = ID_PATTERN.exec(name)?.[1];
  return digits === undefined ? null : Number(digits);
}

export function parseManifest(text: string): VersionManifest {
  const data = parseObject(text);
  if (data.format !== MANIFEST_FORMAT)
    throw new Error(`format is ${JSON.stringify(data.format)}, expected ${JSON.stringify(MANIFEST_FORMAT)}`);
  expectString(data, 'id');
  if (versionSequence(data.id as string) === null) throw new Error(`id ${JSON.stringify(data.id)} is not a version id`);
  expectString(data, 'baseModel');
  expectString(data, 'model');
  expectString(data, 'adapter', true);
  expectString(data, 'createdAt');
  expectString(data, 'parent', true);
  expectString(data, 'note', true);
  expectString(data, 'activatedAt', true);
  expectString(data, 'retiredAt', true);
  if (typeof data.rolledBack !== 'boolean') throw new Error('rolledBack is not a boolean');
  if (!STATUSES.includes(data.status as VersionStatus))
    throw new Error(`status ${JSON.stringify(data.status)} is none of ${STATUSES.join(', ')}`);
  if (data.dataset !== null) {
    const dataset = expectObject(data, 'dataset');
    if (typeof dataset.hash !== 'string' || !Number.isInteger(dataset.examples))
      throw new Error('dataset is not { hash, examples }');
  }
  const hyperparameters = expectObject(data, 'hyperparameters');
  for (const [name, value] of Object.entries(hyperparameters)) {
    if (value !== null && !['number', 'string', 'boolean'].includes(typeof value))
      throw new Error(`hyperparameter ${name} is not a number, string, boolean or null`);
  }
  const metrics = expectObject(data, 'metrics');
  for (const [name, value] of Object.entries(metrics)) {
    if (typeof value !== 'number') throw new Error(`metric ${name} is not a number`);
  }
  const files = expectObject(data, 'files');
  for (const [path, record] of Object.entries(files)) {
    const { sha256, bytes, dtype } = (record ?? {}) as Partial<FileRecord>;
    if (typeof sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(sha256) || !Number.isInteger(bytes))
      throw new Error(`files[${JSON.stringify(path)}] is not { sha256, bytes }`);
    if (dtype !== undefined && !MODEL_DTYPES.includes(dtype))
      throw new Error(`files[${JSON.stringify(path)}].dtype is not one of ${MODEL_DTYPES.join(', ')}`);
  }
  return data as unknown as VersionManifest;
}

export function parsePointer(text: string): ActivePointer {
  const data = parseObject(text);
  expectString(data, 'id');
  expectString(data, 'activatedAt');
  if (!Array.isArray(data.predecessors) || !data.predecessors.every((id) => typeof id === 'string'))
    throw new Error('predecessors is not a list of version ids');
  return data as unknown as ActivePointer;
}

export function serializeJson(data: unknown): string {
  return `${JSON.stringify(data, null, 2)}\n`;
}

function parseObject(text: string): Record<string, unknown> {
  const data: unknown = JSON.parse(text);
  if (typeof data !== 'object' || data === null || Array.isArray(data)) throw new Error('not a JSON object');
  return data as Record<string, unknown>;
}

function expectString(data: Record<string, unknown>, field: string, nullable = false): void {
  const value = data[field];
  if (typeof value === 'string' || (nullable && value === null)) return;
  throw new Error(`${field} is not a string${nullable ? ' or null' : ''}`);
}

function expectObject(data: Record<string, unknown>, field: string): Record<string, unknown> {
  const value = data[field];
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`${field} is not an object`);
  return value as Record<string, unknown>;
}
