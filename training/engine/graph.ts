/**
 * The graph builder: typed values with static or symbolic shapes, the ONNX nodes that make them,
 * and the graph's inputs, initializers and outputs. Ops (ops.ts) add nodes through `Graph.node`;
 * onnx.ts turns a graph into a ModelProto.
 */

export type DType = 'float32' | 'float64' | 'int64' | 'bool' | 'int8';
/** A dimension: a fixed size, or a symbolic name such as 'batch' (same name, same size). */
export type Dim = number | string;
export type Shape = readonly Dim[];
/** Host data of a tensor; bool tensors are bytes of 0 or 1. */
export type TensorData = Float32Array | Float64Array | BigInt64Array | Uint8Array | Int8Array;

/** ONNX TensorProto.DataType codes. */
export const ONNX_TYPES: Record<DType, number> = { float32: 1, int8: 3, int64: 7, bool: 9, float64: 11 };

/** Node attributes as ONNX has them: a plain number is an INT, `{ float }` a FLOAT. */
export type AttributeValue =
  | number
  | readonly number[]
  | string
  | { readonly float: number }
  | { readonly tensor: { readonly dtype: DType; readonly dims: readonly number[]; readonly data: TensorData } };

export class ShapeError extends Error {
  override name = 'ShapeError';
}

export function formatShape(shape: Shape): string {
  return `[${shape.join(',')}]`;
}

export function isFloat(dtype: DType): boolean {
  return dtype === 'float32' || dtype === 'float64';
}

/** Element count of a fully static shape. */
export function sizeOf(shape: Shape): number {
  return shape.reduce<number>((n, d) => {
    if (typeof d !== 'number') throw new ShapeError(`size of ${formatShape(shape)} is symbolic`);
    return n * d;
  }, 1);
}

export function isStatic(shape: Shape): shape is readonly number[] {
  return shape.every((d) => typeof d === 'number');
}

/** The dtype a typed array holds (by tag, so arrays from another JS realm work too). */
export function dtypeOfData(data: TensorData): DType {
  switch (data[Symbol.toStringTag]) {
    case 'Float32Array':
      return 'float32';
    case 'Float64Array':
      return 'float64';
    case 'BigInt64Array':
      return 'int64';
    case 'Uint8Array':
      return 'bool';
    case 'Int8Array':
      return 'int8';
    default:
      throw new TypeError(`unsupported tensor data ${data[Symbol.toStringTag]}`);
  }
}

export interface Node {
  readonly op: string;
  /** The operator set the op is from: ONNX's own when undefined, else e.g. 'com.microsoft' (onnxruntime's). */
  readonly domain?: string;
  readonly inputs: readonly Value[];
  readonly attributes: Readonly<Record<string, AttributeValue>>;
  readonly outputs: readonly Value[];
}

/** A tensor in a graph: a graph input, an initializer (constant data) or a node's output. */
export class Value {
  constructor(
    readonly graph: Graph,
    readonly name: string,
    readonly dtype: DType,
    readonly shape: Shape,
    /** The node that computes it; undefined for graph inputs and initializers. */
    readonly producer?: Node,
    /** Constant data of an initializer. */
    readonly data?: TensorData,
  ) {}

  get rank(): number {
    return this.shape.length;
  }

  toString(): string {
    return `${this.name}: ${this.dtype}${formatShape(this.shape)}`;
  }
}

export interface OutputSpec {
  readonly dtype: DType;
  readonly shape: Shape;
}

export class Graph {
  readonly inputs: Value[] = [];
  readonly initializers: Value[] = [];
  readonly outputs: { readonly name: string; readonly value: Value }[] = [];
  readonly nodes: Node[] = [];
  private readonly names = new Set<string>();
  private readonly constantCache = new Map<string, Value>();
  private nextId = 0;

  constructor(readonly name = 'graph') {}

  input(name: string, dtype: DType, shape: Shape): Value {
    const value = new Value(this, this.claim(name), dtype, shape);
    this.inputs.push(value);
    return value;
  }

  /** Named constant data stored in the model (weights); saved as external data when large. */
  initializer(name: string, data: TensorData, shape: readonly number[]): Value {
    return this.addInitializer(this.claim(name), data, shape);
  }

  /** An anonymous constant; small ones with equal contents are shared. */
  constant(data: TensorData, shape: readonly number[] = [data.length]): Value {
    const key = data.length <= 64 ? `${dtypeOfData(data)}${formatShape(shape)}${data.join(',')}` : undefined;
    const cached = key === undefined ? undefined : this.constantCache.get(key);
    if (cached) return cached;
    const value = this.addInitializer(this.freshName('const'), data, shape);
    if (key !== undefined) this.constantCache.set(key, value);
    return value;
  }

  scalar(value: number, dtype: DType): Value {
    return this.constant(typedArray(dtype, [value]), []);
  }

  ints(values: readonly number[]): Value {
    return this.constant(typedArray('int64', values));
  }

  /** Marks `value` as a graph output called `name`. */
  output(name: string, value: Value): void {
    this.check(value, 'output');
    if (this.outputs.some((o) => o.name === name)) throw new Error(`output ${name} is already defined`);
    if (name !== value.name && this.names.has(name)) throw new Error(`output name ${name} is already taken`);
    this.names.add(name);
    this.outputs.push({ name, value });
  }

  /** Adds a node with the given op type; returns its outputs. Ops call this after checking shapes. */
  node(
    op: string,
    inputs: readonly Value[],
    attributes: Record<string, AttributeValue>,
    outputs: readonly OutputSpec[],
    domain?: string,
  ): Value[] {
    for (const input of inputs) this.check(input, op);
    const made: Value[] = [];
    const node: Node = { op, inputs, attributes, outputs: made, ...(domain === undefined ? {} : { domain }) };
    for (const spec of outputs) {
      made.push(new Value(this, this.freshName(op.toLowerCase()), spec.dtype, spec.shape, node));
    }
    this.nodes.push(node);
    return made;
  }

  /** Nodes needed to compute the outputs, producers before consumers. */
  liveNodes(): Node[] {
    const live = ancestors(this.outputs.map((o) => o.value));
    return this.nodes.filter((n) => live.has(n));
  }

  private addInitializer(name: string, data: TensorData, shape: readonly number[]): Value {
    if (data.length !== sizeOf(shape)) {
      throw new ShapeError(`initializer ${name}: ${data.length} values do not fill ${formatShape(shape)}`);
    }
    const value = new Value(this, name, dtypeOfData(data), shape, undefined, data);
    this.initializers.push(value);
    return value;
  }

  private check(value: Value, where: string): void {
    if (value.graph !== this)
      throw new Error(`${where}: value ${value.name} belongs to graph ${value.graph.name}, not ${this.name}`);
  }

  private claim(name: string): string {
    if (this.names.has(name)) throw new Error(`name ${name} is already used in graph ${this.name}`);
    this.names.add(name);
    return name;
  }

  private freshName(prefix: string): string {
    let name: string;
    do name = `${prefix}_${this.nextId++}`;
    while (this.names.has(name));
    return this.claim(name);
  }
}

/** Every node that `values` depend on. */
export function ancestors(values: readonly Value[]): Set<Node> {
  const found = new Set<Node>();
  const pending = [...values];
  for (let value = pending.pop(); value; value = pending.pop()) {
    const node = value.producer;
    if (!node || found.has(node)) continue;
    found.add(node);
    pending.push(...node.inputs);
  }
  return found;
}

export function typedArray(dtype: DType, values: readonly number[]): TensorData {
  switch (dtype) {
    case 'float32':
      return Float32Array.from(values);
    case 'float64':
      return Float64Array.from(values);
    case 'int64':
      return BigInt64Array.from(values, (v) => BigInt(v));
    case 'bool':
      return Uint8Array.from(values, (v) => (v ? 1 : 0));
    case 'int8':
      return Int8Array.from(values);
  }
}
