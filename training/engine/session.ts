/**
 * A thin runner over an onnxruntime-node InferenceSession: built from a graph, model bytes or a
 * model file; fed and answered with plain typed arrays.
 */

import ort from 'onnxruntime-node';
import { dtypeOfData, formatShape } from './graph';
import type { DType, Graph, TensorData } from './graph';
import { serializeModel } from './onnx';

export interface HostTensor {
  readonly data: TensorData;
  readonly dims: readonly number[];
}

/** A typed array takes its dims from the model's (static) input shape. */
export type Feed = TensorData | HostTensor;

export interface RunnerOptions {
  /**
   * ORT graph optimisation level. Default 'all', except 'basic' for a graph that computes in
   * float64: ORT's extended fusions (x·sigmoid(x) → QuickGelu, ...) have float32 kernels only.
   */
  optimization?: 'disabled' | 'basic' | 'extended' | 'all';
  /** Threads for one op (a GEMM); ORT picks when omitted. */
  intraOpThreads?: number;
  interOpThreads?: number;
}

interface InputSpec {
  readonly dtype: DType;
  readonly shape: readonly (number | string)[];
}

export class Runner {
  private constructor(
    private readonly session: ort.InferenceSession,
    private readonly inputs: ReadonlyMap<string, InputSpec>,
  ) {}

  /** Opens a session on a graph, serialised model bytes, or a model file (external data beside it). */
  static async create(model: Graph | Uint8Array | string, options: RunnerOptions = {}): Promise<Runner> {
    const isGraph = typeof model !== 'string' && !ArrayBuffer.isView(model);
    const source = isGraph ? serializeModel(model) : model;
    const float64 = isGraph && model.nodes.some((n) => n.outputs.some((v) => v.dtype === 'float64'));
    const session = await ort.InferenceSession.create(source as Uint8Array, {
      graphOptimizationLevel: options.optimization ?? (float64 ? 'basic' : 'all'),
      ...(options.intraOpThreads === undefined ? {} : { intraOpNumThreads: options.intraOpThreads }),
      ...(options.interOpThreads === undefined ? {} : { interOpNumThreads: options.interOpThreads }),
    });
    const inputs = new Map<string, InputSpec>();
    for (const meta of session.inputMetadata) {
      if (!meta.isTensor) throw new Error(`input ${meta.name} is not a tensor`);
      inputs.set(meta.name, { dtype: meta.type as DType, shape: meta.shape });
    }
    return new Runner(session, inputs);
  }

  get inputNames(): readonly string[] {
    return this.session.inputNames;
  }

  get outputNames(): readonly string[] {
    return this.session.outputNames;
  }

  /** Runs the model; returns the requested outputs (all when `fetches` is omitted). */
  async run(
    feeds: Readonly<Record<string, Feed>>,
    fetches: readonly string[] = this.outputNames,
  ): Promise<Record<string, HostTensor>> {
    const tensors: Record<string, ort.Tensor> = {};
    for (const [name, spec] of this.inputs) {
      const feed = feeds[name];
      if (feed === undefined) throw new Error(`missing feed for input ${name}`);
      tensors[name] = toOrtTensor(name, spec, feed);
    }
    for (const name of Object.keys(feeds))
      if (!this.inputs.has(name)) throw new Error(`${name} is not an input of this model`);
    const results = await this.session.run(tensors, [...fetches]);
    const outputs: Record<string, HostTensor> = {};
    for (const name of fetches) outputs[name] = { data: results[name].data as TensorData, dims: results[name].dims };
    return outputs;
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

function toOrtTensor(name: string, spec: InputSpec, feed: Feed): ort.Tensor {
  const { data, dims } = ArrayBuffer.isView(feed) ? { data: feed, dims: staticDims(name, spec) } : feed;
  const dtype = dtypeOfData(data);
  if (dtype !== spec.dtype) throw new Error(`input ${name}: expected ${spec.dtype}, got ${dtype}`);
  const size = dims.reduce((n, d) => n * d, 1);
  if (size !== data.length) throw new Error(`input ${name}: ${data.length} values do not fill ${formatShape(dims)}`);
  return new ort.Tensor(dtype, data, dims);
}

function staticDims(name: string, spec: InputSpec): readonly number[] {
  if (spec.shape.some((d) => typeof d !== 'number')) {
    throw new Error(`input ${name} has symbolic shape ${formatShape(spec.shape)}; feed { data, dims }`);
  }
  return spec.shape as number[];
}
