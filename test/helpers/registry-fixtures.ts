import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NewVersion } from '../../training/registry';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
export const tsxBin = join(repoRoot, 'node_modules/.bin/tsx');
export const registryChild = join(repoRoot, 'test/helpers/registry-child.ts');

/** Deterministic bytes, different for every (seed, label). */
export function dummyBytes(seed: number, label: string, size: number): Buffer {
  const block = Buffer.alloc(64 * 1024);
  let digest = createHash('sha256').update(`${seed}:${label}`).digest();
  for (let offset = 0; offset < block.length; offset += digest.length) {
    digest.copy(block, offset);
    digest = createHash('sha256').update(digest).digest();
  }
  const out = Buffer.alloc(size);
  for (let offset = 0, index = 0; offset < size; offset += block.length, index += 1) {
    block.writeUInt32LE(index, 0); // no two blocks of a file alike
    block.copy(out, offset);
  }
  return out;
}

/**
 * A finished training output as the export step leaves it: a transformers.js model folder
 * under model/ (the ONNX graph and its external data are dummy bytes here), a PEFT adapter and
 * a report. Returns the relative paths written with their contents.
 */
export async function writeModelSource(
  dir: string,
  seed: number,
  { onnxBytes = 4096, adapter = true } = {},
): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>([
    ['model/config.json', Buffer.from(JSON.stringify({ model_type: 'llama', hidden_size: 64, seed }))],
    ['model/generation_config.json', Buffer.from(JSON.stringify({ max_new_tokens: 64 }))],
    ['model/tokenizer.json', Buffer.from(JSON.stringify({ version: '1.0', seed }))],
    ['model/tokenizer_config.json', Buffer.from(JSON.stringify({ chat_template: '{{ messages }}' }))],
    ['model/onnx/model.onnx', dummyBytes(seed, 'graph', 512)],
    ['model/onnx/model.onnx_data', dummyBytes(seed, 'weights', onnxBytes)],
    ['report.json', Buffer.from(JSON.stringify({ seed, loss: 1 / (seed + 1) }))],
  ]);
  if (adapter) {
    files.set('adapter/adapter_config.json', Buffer.from(JSON.stringify({ peft_type: 'LORA', r: 8 })));
    files.set('adapter/adapter_model.safetensors', dummyBytes(seed, 'adapter', 1024));
  }
  for (const [path, bytes] of files) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), bytes);
  }
  return files;
}

export function versionFields(seed: number): NewVersion {
  return {
    baseModel: 'HuggingFaceTB/SmolLM2-135M-Instruct',
    dataset: { hash: `sha256:${seed.toString(16).padStart(64, '0')}`, examples: 100 + seed },
    hyperparameters: { learningRate: 2e-4, rank: 8, epochs: 3, target: 'q,v' },
    metrics: { validationLoss: 1 / (seed + 1), factAccuracy: 0.9 },
    note: `run ${seed}`,
  };
}

export function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}
