/**
 * Model folders for tests: a tiny model, either untrained (it writes junk) or taught a handful
 * of scripted conversations by LoRA until it repeats them greedily, then exported as a registry
 * version source (`<dir>/model/` holds the transformers.js folder).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AutoTokenizer } from '@huggingface/transformers';
import { ONNX_FILES } from '../../bot/core/generation';
import { SYSTEM_PROMPT } from '../../bot/core/protocol';
import { batchedData, encodeChats, type ChatExample } from '../../training/encoding';
import { exportModel } from '../../training/export/model-folder';
import { loraConfig, saveLoraAdapter } from '../../training/model/lora';
import { LoraModel } from '../../training/model/model-runner';
import { createTinyModel, DEFAULT_TINY_CORPUS } from '../../training/model/tiny';
import { train } from '../../training/trainer';

const MODEL_SHAPE = {
  hiddenSize: 64,
  numHiddenLayers: 2,
  numAttentionHeads: 4,
  intermediateSize: 128,
  maxPositionEmbeddings: 1024,
};

/** An untrained tiny model as a registry source: it loads and generates, but what it writes is junk. */
export async function untrainedModel(dir: string, seed = 0): Promise<string> {
  const base = await createTinyModel(join(dir, 'base'), { seed, ...MODEL_SHAPE });
  await exportModel({ modelDir: base.dir, outDir: join(dir, 'source', 'model') });
  return join(dir, 'source');
}

/** A source folder whose model/ looks complete but whose ONNX files are no model: it registers, and fails to load. */
export async function brokenModel(dir: string): Promise<string> {
  const source = await untrainedModel(dir);
  for (const file of Object.values(ONNX_FILES)) {
    await writeFile(join(source, 'model', 'onnx', file), 'this is not an ONNX protobuf');
  }
  return source;
}

/**
 * A tiny model taught `examples` (every assistant turn is learned) until it reproduces them;
 * the tokenizer is learned from their text too, so they take few tokens. Returns the source folder.
 */
export async function taughtModel(
  dir: string,
  examples: ChatExample[],
  options: { epochs?: number; seed?: number } = {},
): Promise<string> {
  const text = examples.flatMap((e) => e.messages.map((m) => m.content)).join('\n');
  const base = await createTinyModel(join(dir, 'base'), {
    seed: options.seed ?? 0,
    vocabSize: 768,
    corpus: `${DEFAULT_TINY_CORPUS}\n${SYSTEM_PROMPT}\n${text}`,
    ...MODEL_SHAPE,
  });
  const tokenizer = await AutoTokenizer.from_pretrained(base.dir, { local_files_only: true });
  const encoded = encodeChats(tokenizer, examples, { maxSeqLen: MODEL_SHAPE.maxPositionEmbeddings });
  if (encoded.dropped.length > 0) throw new Error(`examples left out of training: ${JSON.stringify(encoded.dropped)}`);
  const model = await LoraModel.load(base.dir, {
    lora: loraConfig(16, 32, ['q', 'k', 'v', 'o', 'gate', 'up', 'down']),
    seed: options.seed ?? 0,
    threads: 1,
  });
  try {
    const data = batchedData(encoded.examples, [], { batchSize: examples.length, padId: base.config.padTokenId ?? 0 });
    // One batch an epoch; measured: 60 epochs already reproduce three cases word for word.
    await train(model, data, { epochs: options.epochs ?? 90, learningRate: 1e-2, warmupSteps: 5 });
    const adapterDir = join(dir, 'adapter');
    await mkdir(adapterDir, { recursive: true });
    await saveLoraAdapter(adapterDir, model.adapter());
    await exportModel({ modelDir: base.dir, adapterDir, outDir: join(dir, 'source', 'model') });
  } finally {
    await model.dispose();
  }
  return join(dir, 'source');
}
