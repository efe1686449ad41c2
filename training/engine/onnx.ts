/**
 * Graph → ONNX ModelProto (onnx-proto), as one buffer for `InferenceSession.create(bytes)` or as
 * a model folder whose large tensors live in a side file (ONNX's external-data convention:
 * data_location EXTERNAL with location/offset/length), since a protobuf cannot pass 2 GB.
 */

import { mkdir, open } from 'node:fs/promises';
import path from 'node:path';
import onnxProto from 'onnx-proto';
import { ONNX_TYPES, dtypeOfData } from './graph';
import type { AttributeValue, Graph, TensorData, Value } from './graph';

const { onnx } = onnxProto;

/** IR 8 is what onnx-proto's schema describes; opset 18 takes reduce axes as inputs. */
export const IR_VERSION = 8;
export const OPSET = 18;

export interface SaveOptions {
  /** File name of the model inside the folder. */
  fileName?: string;
  /** File name of the external data beside it; default the model's name plus '.data'. */
  dataFileName?: string;
  /** Initializers at least this many bytes go to the data file. */
  externalThreshold?: number;
}

export interface SavedModel {
  modelPath: string;
  dataPath?: string;
}

/** The whole model in one protobuf buffer (weights inline; under 2 GB). */
export function serializeModel(graph: Graph): Uint8Array {
  return onnx.ModelProto.encode(
    toModelProto(graph, (value) => inlineTensor(value.name, value.data!, value.shape as number[])),
  ).finish();
}

/** Writes `<dir>/<fileName>` and, for large initializers, the external data file beside it. */
export async function saveModel(graph: Graph, dir: string, options: SaveOptions = {}): Promise<SavedModel> {
  const { fileName = 'model.onnx', externalThreshold = 1024 } = options;
  const dataName = options.dataFileName ?? `${fileName}.data`;
  await mkdir(dir, { recursive: true });
  const external: { bytes: Uint8Array; offset: number }[] = [];
  let dataSize = 0;
  const model = toModelProto(graph, (value) => {
    const bytes = rawBytes(value.data!);
    if (bytes.byteLength < externalThreshold) return inlineTensor(value.name, value.data!, value.shape as number[]);
    // Like onnx's writer: large tensors start on 64 KiB boundaries so a loader can map them.
    const offset = bytes.byteLength > 1 << 20 ? Math.ceil(dataSize / 65536) * 65536 : dataSize;
    external.push({ bytes, offset });
    dataSize = offset + bytes.byteLength;
    return {
      name: value.name,
      dims: value.shape as number[],
      dataType: ONNX_TYPES[value.dtype],
      dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
      externalData: [
        { key: 'location', value: dataName },
        { key: 'offset', value: String(offset) },
        { key: 'length', value: String(bytes.byteLength) },
      ],
    };
  });
  const modelPath = path.join(dir, fileName);
  await writeFile(modelPath, [{ bytes: onnx.ModelProto.encode(model).finish(), offset: 0 }]);
  if (external.length === 0) return { modelPath };
  const dataPath = path.join(dir, dataName);
  await writeFile(dataPath, external);
  return { modelPath, dataPath };
}

async function writeFile(file: string, chunks: readonly { bytes: Uint8Array; offset: number }[]): Promise<void> {
  const handle = await open(file, 'w');
  try {
    for (const { bytes, offset } of chunks) await handle.write(bytes, 0, bytes.byteLength, offset);
  } finally {
    await handle.close();
  }
}

/**
 * The ModelProto of the graph's live part. Each output takes its name from the value it marks;
 * a value that is already named (an input, an initializer, an earlier output) is copied by an
 * Identity node instead.
 */
export function toModelProto(
  graph: Graph,
  tensorOf: (initializer: Value) => onnxProto.onnx.ITensorProto,
): onnxProto.onnx.ModelProto {
  const nodes = graph.liveNodes();
  const names = new Map<Value, string>();
  const copies: onnxProto.onnx.INodeProto[] = [];
  for (const { name, value } of graph.outputs) {
    if (value.producer && !names.has(value)) names.set(value, name);
    else if (name !== nameOf(value))
      copies.push({ opType: 'Identity', input: [nameOf(value)], output: [name], name: `output_${name}` });
  }
  function nameOf(value: Value): string {
    return names.get(value) ?? value.name;
  }

  const used = new Set<Value>([...nodes.flatMap((n) => n.inputs), ...graph.outputs.map((o) => o.value)]);
  return onnx.ModelProto.create({
    irVersion: IR_VERSION,
    opsetImport: [
      { domain: '', version: OPSET },
      ...[...new Set(nodes.flatMap((node) => (node.domain ? [node.domain] : [])))].map((domain) => ({
        domain,
        version: 1,
      })),
    ],
    producerName: 'weatherbot-engine',
    graph: {
      name: graph.name,
      node: [
        ...nodes.map((node, i) => ({
          opType: node.op,
          ...(node.domain ? { domain: node.domain } : {}),
          name: `${node.op}_${i}`,
          input: node.inputs.map(nameOf),
          output: node.outputs.map(nameOf),
          attribute: Object.entries(node.attributes).map(([key, value]) => attribute(key, value)),
        })),
        ...copies,
      ],
      input: graph.inputs.map((v) => valueInfo(v.name, v)),
      initializer: graph.initializers.filter((v) => used.has(v)).map(tensorOf),
      output: graph.outputs.map(({ name, value }) => valueInfo(name, value)),
    },
  });
}

function valueInfo(name: string, value: Value): onnxProto.onnx.IValueInfoProto {
  const dim = value.shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d }));
  return { name, type: { tensorType: { elemType: ONNX_TYPES[value.dtype], shape: { dim } } } };
}

function inlineTensor(name: string, data: TensorData, dims: readonly number[]): onnxProto.onnx.ITensorProto {
  return { name, dims: [...dims], dataType: ONNX_TYPES[dtypeOfData(data)], rawData: rawBytes(data) };
}

/** The tensor's bytes, little-endian as ONNX stores raw data (every platform Node runs on is LE). */
function rawBytes(data: TensorData): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

function attribute(name: string, value: AttributeValue): onnxProto.onnx.IAttributeProto {
  const { AttributeType } = onnx.AttributeProto;
  if (typeof value === 'number') return { name, type: AttributeType.INT, i: value };
  if (typeof value === 'string') return { name, type: AttributeType.STRING, s: new TextEncoder().encode(value) };
  if (Array.isArray(value)) return { name, type: AttributeType.INTS, ints: [...value] };
  if ('float' in value) return { name, type: AttributeType.FLOAT, f: value.float };
  const { tensor } = value as Extract<AttributeValue, { tensor: unknown }>;
  return { name, type: AttributeType.TENSOR, t: inlineTensor(name, tensor.data, tensor.dims) };
}
