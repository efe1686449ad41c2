/**
 * The tiny models, adapter and inputs that the PyTorch reference (llama_reference.py) and the
 * engine's model are both run on: generate.ts writes the reference's answers to
 * test/fixtures/reference/llama-reference.json, and test/unit/llama-reference.test.ts rebuilds
 * the same models from here and compares.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { random } from '../../training/random';
import type { LlamaConfig } from '../../training/model/llama-config';
import { initLoraWeights } from '../../training/model/init';
import { loraConfig, type LoraAdapter } from '../../training/model/lora';
import {
  openSafetensors,
  SINGLE_FILE,
  writeSafetensors,
  type SafetensorsDType,
  type TensorToWrite,
} from '../../training/model/safetensors';
import { createTinyModel, type TinyModelOptions } from '../../training/model/tiny';
import type { Batch } from '../../training/trainer/trainable';

export const FIXTURE = 'test/fixtures/reference/llama-reference.json';

export interface ReferenceCase {
  readonly name: string;
  readonly model: TinyModelOptions;
}

const BASE: TinyModelOptions = {
  seed: 11,
  vocabSize: 272,
  hiddenSize: 32,
  numHiddenLayers: 2,
  numAttentionHeads: 4,
  intermediateSize: 48,
  maxPositionEmbeddings: 128,
};

export const REFERENCE_CASES: readonly ReferenceCase[] = [
  { name: 'gqa-tied', model: { ...BASE, numKeyValueHeads: 2 } },
  { name: 'untied', model: { ...BASE, seed: 12, numKeyValueHeads: 4, tieWordEmbeddings: false } },
  { name: 'qwen2-bias', model: { ...BASE, seed: 13, numKeyValueHeads: 1, attentionBias: true } },
  {
    // head_dim 8, theta 10^4: wavelengths 6.3, 63, 628, 6283 fall in the high, medium and low bands
    // of a 64-token original context (bands at 16 and 64). Stored as bfloat16.
    name: 'llama3-rope',
    model: {
      ...BASE,
      seed: 14,
      numKeyValueHeads: 2,
      dtype: 'bfloat16',
      ropeScaling: {
        type: 'llama3',
        factor: 8,
        lowFreqFactor: 1,
        highFreqFactor: 4,
        originalMaxPositionEmbeddings: 64,
      },
    },
  },
];

export const REFERENCE_LORA = loraConfig(4, 8, ['q', 'k', 'v', 'o', 'gate', 'up', 'down']);

/** Three rows: no padding, right padding (2), left padding (2); pads hold id 2. */
export const REFERENCE_BATCH: Batch = (() => {
  const [batchSize, seqLen] = [3, 6];
  const real = [
    [1, 40, 77, 105, 200, 9],
    [1, 66, 120, 250, 2, 2],
    [2, 2, 1, 31, 171, 260],
  ];
  const attention = real.map((row, r) => row.map((_, t) => (r === 1 ? t < 4 : r === 2 ? t >= 2 : true)));
  const flat = real.flat();
  return {
    batchSize,
    seqLen,
    inputIds: BigInt64Array.from(flat, BigInt),
    attentionMask: BigInt64Array.from(attention.flat(), (keep) => (keep ? 1n : 0n)),
    targets: BigInt64Array.from(flat, (_, i) => BigInt((i + 1) % seqLen === 0 ? 2 : flat[i + 1])),
    lossMask: Float32Array.from([0, 1, 1, 1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 0, 1, 1, 1, 0]),
  };
})();

/**
 * The tiny model of `c` in `dir`, with q and k weights scaled up 8x so that attention is far
 * from uniform (a random tiny model's scores are near zero, which would hide RoPE and mask
 * errors). Returns the SHA-256 of model.safetensors, which the fixture records.
 */
export async function makeReferenceModel(
  dir: string,
  c: ReferenceCase,
): Promise<{ config: LlamaConfig; sha256: string }> {
  const { config } = await createTinyModel(dir, c.model);
  const path = join(dir, SINGLE_FILE);
  const reader = await openSafetensors(path);
  const tensors: Array<[string, TensorToWrite]> = [];
  try {
    for (const name of reader.names) {
      const { data, shape } = await reader.readFloat32(name);
      const sharpened = /\.(q|k)_proj\.weight$/.test(name) ? data.map((v) => v * 8) : data;
      tensors.push([name, { shape, data: sharpened, dtype: reader.info(name).dtype as SafetensorsDType }]);
    }
  } finally {
    await reader.close();
  }
  await writeSafetensors(path, tensors, { format: 'pt' });
  return {
    config,
    sha256: createHash('sha256')
      .update(await readFile(path))
      .digest('hex'),
  };
}

/** PEFT's initial A, and B seeded non-zero so that every LoRA matrix has a gradient. */
export function referenceAdapter(config: LlamaConfig): LoraAdapter {
  const weights = initLoraWeights(config, REFERENCE_LORA, 5);
  [...weights].forEach(([name, tensor], i) => {
    if (name.endsWith('lora_B.weight'))
      tensor.data = Float32Array.from(random(tensor.shape, { seed: 500 + i, low: -0.3, high: 0.3 }));
  });
  return { lora: REFERENCE_LORA, weights, baseModelNameOrPath: 'tiny-reference' };
}

export interface ReferenceFixture {
  readonly generatedBy: string;
  readonly cases: Record<
    string,
    {
      readonly modelSha256: string;
      readonly loss: number;
      /** [B, T, V] row-major. */
      readonly logits: number[];
      /** By PEFT name, row-major. */
      readonly gradients: Record<string, number[]>;
    }
  >;
}
