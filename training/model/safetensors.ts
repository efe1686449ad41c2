/**
 * The safetensors format, by hand: an 8-byte little-endian header length, a JSON header
 * (`dtype`, `shape`, `data_offsets` per tensor, optional `__metadata__` of strings), then the
 * tensors' bytes back to back. Reading is lazy — the header at open, each tensor's byte range
 * when asked — so a model never sits in memory twice. Half-precision tensors come back as
 * Float32Array. A model folder may hold one file or shards listed in
 * `model.safetensors.index.json`.
 */
import { open, readFile, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { endianness } from 'node:os';
import { basename, dirname, join } from 'node:path';

if (endianness() !== 'LE')
  throw new Error(
    'safetensors stores little-endian bytes; this reader maps them directly and needs a little-endian host',
  );

export const SAFETENSORS_DTYPES = ['F32', 'F16', 'BF16', 'F64', 'I64'] as const;
export type SafetensorsDType = (typeof SAFETENSORS_DTYPES)[number];

/** F32, F16 and BF16 read as Float32Array; F64 as Float64Array; I64 as BigInt64Array. */
export type TensorData = Float32Array | Float64Array | BigInt64Array;

export interface Tensor {
  shape: number[];
  data: TensorData;
}

export interface TensorInfo {
  dtype: string;
  shape: number[];
  /** The file that holds it (one of the shards, for a sharded model). */
  file: string;
}

/** `dtype` defaults to the array's own type; a Float32Array may also be stored as F16 or BF16. */
export interface TensorToWrite {
  shape: readonly number[];
  data: TensorData;
  dtype?: SafetensorsDType;
}

export class SafetensorsError extends Error {
  override name = 'SafetensorsError';
}

export const SINGLE_FILE = 'model.safetensors';
export const SHARD_INDEX = 'model.safetensors.index.json';

/** The reference implementation refuses larger headers; so do we. */
const MAX_HEADER_BYTES = 100_000_000;

/** Bytes per element of every dtype the format defines, so any file's layout can be validated. */
const ELEMENT_BYTES: Record<string, number> = {
  BOOL: 1,
  U8: 1,
  I8: 1,
  F8_E5M2: 1,
  F8_E4M3: 1,
  I16: 2,
  U16: 2,
  F16: 2,
  BF16: 2,
  I32: 4,
  U32: 4,
  F32: 4,
  F64: 8,
  I64: 8,
  U64: 8,
};

/**
 * The reference writer's order: larger dtypes first, so each tensor stays aligned to its element size; then by name.
 */
const WRITE_ORDER: Record<SafetensorsDType, number> = { I64: 0, F64: 1, F32: 2, BF16: 3, F16: 4 };

// ---------------------------------------------------------------------------------------------
// Half-precision conversions (round to nearest even on the way down).

export function bfloat16ToFloat32(halves: Uint16Array): Float32Array {
  const bits = new Uint32Array(halves.length);
  for (let i = 0; i < halves.length; i++) bits[i] = halves[i] << 16;
  return new Float32Array(bits.buffer);
}

export function float32ToBfloat16(values: Float32Array): Uint16Array {
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  const halves = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const b = bits[i];
    halves[i] = (b & 0x7fffffff) > 0x7f800000 ? (b >>> 16) | 0x40 : (b + 0x7fff + ((b >>> 16) & 1)) >>> 16;
  }
  return halves;
}

export function float16ToFloat32(halves: Uint16Array): Float32Array {
  const values = new Float32Array(halves.length);
  for (let i = 0; i < halves.length; i++) {
    const h = halves[i];
    const exponent = (h >> 10) & 0x1f;
    const mantissa = h & 0x3ff;
    const magnitude =
      exponent === 0
        ? mantissa * 2 ** -24
        : exponent === 31
          ? mantissa === 0
            ? Infinity
            : NaN
          : (1 + mantissa / 1024) * 2 ** (exponent - 15);
    values[i] = h & 0x8000 ? -magnitude : magnitude;
  }
  return values;
}

export function float32ToFloat16(values: Float32Array): Uint16Array {
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  const halves = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) halves[i] = toFloat16Bits(bits[i]);
  return halves;
}

function toFloat16Bits(bits: number): number {
  const sign = (bits >>> 16) & 0x8000;
  const exponent = (bits >>> 23) & 0xff;
  const mantissa = bits & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa ? 0x200 : 0);
  const halfExponent = exponent - 127 + 15;
  if (halfExponent >= 31) return sign | 0x7c00;
  if (halfExponent <= 0) {
    // Subnormal half: the value is m * 2^-24 with m from the full 24-bit significand.
    if (halfExponent < -10) return sign;
    return sign | roundShift(mantissa | 0x800000, 14 - halfExponent);
  }
  // A carry out of the mantissa rolls into the exponent (and up to infinity), as it should.
  return sign | ((halfExponent << 10) + roundShift(mantissa, 13));
}

/** value >> shift, rounded to nearest, ties to even. */
function roundShift(value: number, shift: number): number {
  const kept = value >>> shift;
  const rest = value & ((1 << shift) - 1);
  const half = 1 << (shift - 1);
  return rest > half || (rest === half && kept & 1) ? kept + 1 : kept;
}

// ---------------------------------------------------------------------------------------------
// Reading

interface Entry {
  dtype: string;
  shape: number[];
  /** Byte range in the file (absolute). */
  begin: number;
  end: number;
}

/** One open .safetensors file: its header parsed and checked, tensors read on demand. */
class SafetensorsFile {
  private constructor(
    readonly path: string,
    private readonly handle: FileHandle,
    readonly entries: Map<string, Entry>,
    readonly metadata: Record<string, string>,
  ) {}

  static async open(path: string): Promise<SafetensorsFile> {
    const handle = await open(path, 'r');
    try {
      const { entries, metadata } = await readHeader(handle, path);
      return new SafetensorsFile(path, handle, entries, metadata);
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  async read(name: string): Promise<Tensor> {
    const entry = this.entries.get(name);
    if (!entry) throw new SafetensorsError(`${this.path}: no tensor "${name}"`);
    const bytes = new Uint8Array(entry.end - entry.begin);
    await readExactly(this.handle, bytes, entry.begin);
    return { shape: [...entry.shape], data: decode(bytes.buffer, entry.dtype, `${this.path}: tensor "${name}"`) };
  }

  close(): Promise<void> {
    return this.handle.close();
  }
}

async function readExactly(handle: FileHandle, into: Uint8Array, position: number): Promise<void> {
  for (let done = 0; done < into.length;) {
    const { bytesRead } = await handle.read(into, done, into.length - done, position + done);
    if (bytesRead === 0) throw new SafetensorsError(`unexpected end of file at byte ${position + done}`);
    done += bytesRead;
  }
}

async function readHeader(handle: FileHandle, path: string) {
  const fail = (why: string): never => {
    throw new SafetensorsError(`${path}: ${why}`);
  };
  const { size } = await handle.stat();
  if (size < 8) fail(`${size} bytes is too short for a safetensors file`);
  const prefix = new Uint8Array(8);
  await readExactly(handle, prefix, 0);
  const headerBytes = Number(new DataView(prefix.buffer).getBigUint64(0, true));
  if (headerBytes > MAX_HEADER_BYTES) fail(`header length ${headerBytes} exceeds ${MAX_HEADER_BYTES} bytes`);
  if (8 + headerBytes > size) fail(`header length ${headerBytes} runs past the end of the file (${size} bytes)`);
  const headerText = new Uint8Array(headerBytes);
  await readExactly(handle, headerText, 8);

  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(headerText));
  } catch (error) {
    fail(`header is not UTF-8 JSON (${(error as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) fail('header is not a JSON object');

  const dataStart = 8 + headerBytes;
  const metadata: Record<string, string> = {};
  const layout: Array<[string, Entry]> = [];
  for (const [name, value] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      for (const [key, text] of Object.entries((value ?? {}) as Record<string, unknown>)) {
        if (typeof text !== 'string') fail(`__metadata__ "${key}" must be a string`);
        metadata[key] = text as string;
      }
      continue;
    }
    const { dtype, shape, data_offsets: offsets } = (value ?? {}) as Record<string, unknown>;
    if (typeof dtype !== 'string' || !(dtype in ELEMENT_BYTES))
      fail(`tensor "${name}" has unknown dtype ${JSON.stringify(dtype)}`);
    if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0))
      fail(`tensor "${name}" has invalid shape ${JSON.stringify(shape)}`);
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isInteger(o) && o >= 0)) {
      fail(`tensor "${name}" has invalid data_offsets ${JSON.stringify(offsets)}`);
    }
    const [begin, end] = offsets as number[];
    const expected = (shape as number[]).reduce((n, d) => n * d, 1) * ELEMENT_BYTES[dtype as string];
    if (end - begin !== expected)
      fail(
        `tensor "${name}" (${dtype} ${JSON.stringify(shape)}) needs ${expected} bytes, data_offsets span ${end - begin}`,
      );
    layout.push([
      name,
      { dtype: dtype as string, shape: shape as number[], begin: dataStart + begin, end: dataStart + end },
    ]);
  }

  // Like the reference reader: tensors tile the data section exactly, with no gaps or overlaps.
  layout.sort(([, a], [, b]) => a.begin - b.begin || a.end - b.end);
  let cursor = dataStart;
  for (const [name, entry] of layout) {
    if (entry.begin !== cursor)
      fail(
        `tensor "${name}" starts at data byte ${entry.begin - dataStart}, expected ${cursor - dataStart} (gap or overlap)`,
      );
    cursor = entry.end;
  }
  if (cursor !== size) fail(`tensors end at byte ${cursor} but the file has ${size} bytes`);
  return { entries: new Map(layout), metadata };
}

function decode(buffer: ArrayBuffer, dtype: string, what: string): TensorData {
  switch (dtype) {
    case 'F32':
      return new Float32Array(buffer);
    case 'F16':
      return float16ToFloat32(new Uint16Array(buffer));
    case 'BF16':
      return bfloat16ToFloat32(new Uint16Array(buffer));
    case 'F64':
      return new Float64Array(buffer);
    case 'I64':
      return new BigInt64Array(buffer);
    default:
      throw new SafetensorsError(`${what} has dtype ${dtype}; supported: ${SAFETENSORS_DTYPES.join(', ')}`);
  }
}

/** The tensors of one .safetensors file or of a sharded set, read one at a time. */
export class SafetensorsReader {
  private constructor(
    private readonly files: SafetensorsFile[],
    private readonly fileOf: Map<string, SafetensorsFile>,
    /** `__metadata__` of the file (merged over shards). */
    readonly metadata: Record<string, string>,
  ) {}

  /**
   * `path` is a .safetensors file, a `*.safetensors.index.json`, or a model folder holding
   * `model.safetensors.index.json` (preferred) or `model.safetensors`.
   */
  static async open(path: string): Promise<SafetensorsReader> {
    const target = await resolveWeightsPath(path);
    if (!target.endsWith('.json')) {
      const file = await SafetensorsFile.open(target);
      return new SafetensorsReader(
        [file],
        new Map([...file.entries.keys()].map((name) => [name, file])),
        file.metadata,
      );
    }
    const weightMap = await readWeightMap(target);
    const files: SafetensorsFile[] = [];
    try {
      for (const shard of new Set(weightMap.values()))
        files.push(await SafetensorsFile.open(join(dirname(target), shard)));
    } catch (error) {
      await Promise.all(files.map((file) => file.close()));
      throw error;
    }
    const byShard = new Map(files.map((file) => [basename(file.path), file]));
    const fileOf = new Map<string, SafetensorsFile>();
    for (const [name, shard] of weightMap) {
      const file = byShard.get(basename(shard))!;
      if (!file.entries.has(name)) {
        await Promise.all(files.map((f) => f.close()));
        throw new SafetensorsError(`${target}: weight_map puts "${name}" in ${shard}, which has no such tensor`);
      }
      fileOf.set(name, file);
    }
    return new SafetensorsReader(files, fileOf, Object.assign({}, ...files.map((file) => file.metadata)));
  }

  /** Tensor names, sorted. */
  get names(): string[] {
    return [...this.fileOf.keys()].sort();
  }

  has(name: string): boolean {
    return this.fileOf.has(name);
  }

  info(name: string): TensorInfo {
    const file = this.fileOf.get(name);
    if (!file) throw new SafetensorsError(`no tensor "${name}" in ${this.files.map((f) => f.path).join(', ')}`);
    const entry = file.entries.get(name)!;
    return { dtype: entry.dtype, shape: [...entry.shape], file: file.path };
  }

  read(name: string): Promise<Tensor> {
    const file = this.fileOf.get(name);
    if (!file)
      return Promise.reject(new SafetensorsError(`no tensor "${name}" in ${this.files.map((f) => f.path).join(', ')}`));
    return file.read(name);
  }

  /** A floating-point weight (F32, F16 or BF16) as Float32Array; other dtypes are an error naming the tensor. */
  async readFloat32(name: string): Promise<{ shape: number[]; data: Float32Array }> {
    const { dtype, file } = this.info(name);
    if (dtype !== 'F32' && dtype !== 'F16' && dtype !== 'BF16')
      throw new SafetensorsError(`${file}: tensor "${name}" is ${dtype}, expected F32, F16 or BF16`);
    return (await this.read(name)) as { shape: number[]; data: Float32Array };
  }

  async close(): Promise<void> {
    await Promise.all(this.files.map((file) => file.close()));
  }
}

async function resolveWeightsPath(path: string): Promise<string> {
  if (!(await stat(path)).isDirectory()) return path;
  for (const name of [SHARD_INDEX, SINGLE_FILE]) {
    const candidate = join(path, name);
    if (
      await stat(candidate).then(
        () => true,
        () => false,
      )
    )
      return candidate;
  }
  throw new SafetensorsError(`${path}: neither ${SHARD_INDEX} nor ${SINGLE_FILE} is there`);
}

async function readWeightMap(indexPath: string): Promise<Map<string, string>> {
  let index: { weight_map?: unknown };
  try {
    index = JSON.parse(await readFile(indexPath, 'utf8'));
  } catch (error) {
    throw new SafetensorsError(`${indexPath}: not valid JSON (${(error as Error).message})`);
  }
  const weightMap = index?.weight_map;
  if (typeof weightMap !== 'object' || weightMap === null)
    throw new SafetensorsError(`${indexPath}: "weight_map" must map tensor names to shard files`);
  const entries = Object.entries(weightMap as Record<string, unknown>);
  for (const [name, shard] of entries) {
    if (typeof shard !== 'string' || basename(shard) !== shard)
      throw new SafetensorsError(
        `${indexPath}: weight_map "${name}" must name a shard file in the same folder, got ${JSON.stringify(shard)}`,
      );
  }
  return new Map(entries as Array<[string, string]>);
}

/** Opens a model's weights; see SafetensorsReader.open. Close the reader when done. */
export function openSafetensors(path: string): Promise<SafetensorsReader> {
  return SafetensorsReader.open(path);
}

// ---------------------------------------------------------------------------------------------
// Writing

function storedDType(name: string, tensor: TensorToWrite): SafetensorsDType {
  // By tag rather than instanceof, so arrays made in another realm (a Jest sandbox, a worker) pass.
  const tag = tensor.data[Symbol.toStringTag];
  const own = ({ Float32Array: 'F32', Float64Array: 'F64', BigInt64Array: 'I64' } as const)[tag as string];
  if (!own) throw new SafetensorsError(`tensor "${name}": cannot store a ${tag}`);
  const dtype = tensor.dtype ?? own;
  const compatible = dtype === own || (own === 'F32' && (dtype === 'F16' || dtype === 'BF16'));
  if (!compatible) throw new SafetensorsError(`tensor "${name}": cannot store a ${tag} as ${dtype}`);
  const elements = tensor.shape.reduce((n, d) => n * d, 1);
  if (elements !== tensor.data.length)
    throw new SafetensorsError(
      `tensor "${name}": shape [${tensor.shape.join(',')}] holds ${elements} values, data has ${tensor.data.length}`,
    );
  return dtype;
}

function encode(tensor: TensorToWrite, dtype: SafetensorsDType): Uint8Array {
  const data =
    dtype === 'F16'
      ? float32ToFloat16(tensor.data as Float32Array)
      : dtype === 'BF16'
        ? float32ToBfloat16(tensor.data as Float32Array)
        : tensor.data;
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** The header bytes (padded with spaces to a multiple of 8, as the reference writer does) and the write order. */
export function safetensorsLayout(tensors: Iterable<[string, TensorToWrite]>, metadata?: Record<string, string>) {
  const order = [...tensors]
    .map(([name, tensor]) => ({ name, tensor, dtype: storedDType(name, tensor) }))
    .sort((a, b) => WRITE_ORDER[a.dtype] - WRITE_ORDER[b.dtype] || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const header: Record<string, unknown> = metadata ? { __metadata__: metadata } : {};
  let offset = 0;
  for (const { name, tensor, dtype } of order) {
    if (name === '__metadata__') throw new SafetensorsError('"__metadata__" is reserved and cannot name a tensor');
    const bytes = tensor.data.length * ELEMENT_BYTES[dtype];
    header[name] = { dtype, shape: [...tensor.shape], data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const padded = new Uint8Array(Math.ceil(json.length / 8) * 8).fill(0x20);
  padded.set(json);
  return { header: padded, order };
}

async function writeAll(handle: FileHandle, bytes: Uint8Array): Promise<void> {
  for (let done = 0; done < bytes.length;) done += (await handle.write(bytes, done, bytes.length - done)).bytesWritten;
}

/**
 * Writes tensors (a record or [name, tensor] pairs) to `path`, tensor by tensor, through a
 * temporary file renamed into place, so a reader never sees half a file.
 */
export async function writeSafetensors(
  path: string,
  tensors: Record<string, TensorToWrite> | Iterable<[string, TensorToWrite]>,
  metadata?: Record<string, string>,
): Promise<void> {
  const pairs = Symbol.iterator in tensors ? (tensors as Iterable<[string, TensorToWrite]>) : Object.entries(tensors);
  const { header, order } = safetensorsLayout(pairs, metadata);
  const temporary = `${path}.${process.pid}.tmp`;
  const handle = await open(temporary, 'w');
  try {
    const length = new Uint8Array(8);
    new DataView(length.buffer).setBigUint64(0, BigInt(header.length), true);
    await writeAll(handle, length);
    await writeAll(handle, header);
    for (const { tensor, dtype } of order) await writeAll(handle, encode(tensor, dtype));
    await handle.close();
    await rename(temporary, path);
  } catch (error) {
    await handle.close().catch(() => undefined);
    await rm(temporary, { force: true });
    throw error;
  }
}
