/**
 * The tiny base, made from the seed: a tiny model whose BPE is learned from the seed's text, then
 * pretrained whole on the seed's training conversations. LoRA on random weights learns next to
 * nothing (validation loss 6.27 → 6.14, no query parsed), so the base is first trained whole.
 */
import { AutoTokenizer } from '@huggingface/transformers';
import { factsText, queryText, SYSTEM_PROMPT } from '../../bot/core/protocol';
import { prepareDataset } from '../dataset';
import { loadSeed } from '../dataset/seed';
import { batchedData, encodeChats } from '../encoding';
import { FullModel } from '../model/model-runner';
import { createTinyModel, DEFAULT_TINY_CORPUS } from '../model/tiny';
import { train } from '../trainer';

/**
 * The tiny base's shape and pretraining. Measured here: validation loss 0.84 after 4 epochs in
 * about 80 s on 2 cores; after a retrain, mean parse accuracy 0.44 on 32 validation samples.
 */
export const TINY_BASE_RECIPE = {
  hiddenSize: 128,
  numHiddenLayers: 2,
  vocabSize: 2048,
  epochs: 4,
  learningRate: 3e-3,
  batchSize: 8,
  maxExamples: 1024,
  maxSeqLen: 512,
  /**
   * Smaller seeds (tests' subsets) keep the small random base: too little text for the vocabulary, and no time to
   * pretrain.
   */
  minSeedExamples: 1000,
} as const;

/** The text of the seed's training conversations: what the tiny model's BPE merges are learned from. */
export async function seedCorpus(seedDir: string): Promise<string> {
  const examples = await loadSeed(seedDir, 'train');
  const lines = examples.flatMap((e) => [
    e.message,
    queryText(e.query),
    ...(e.facts ? [factsText(e.facts)] : []),
    ...(e.answer ? [e.answer] : []),
  ]);
  return [SYSTEM_PROMPT, ...lines].join('\n');
}

/** Writes the tiny base into `dir`: pretrained with the recipe when the seed is big enough, random otherwise. */
export async function makeTinyBase(dir: string, options: { seedDir: string | null; threads?: number }): Promise<void> {
  const { seedDir, threads } = options;
  const pretrain = seedDir !== null && (await loadSeed(seedDir, 'train')).length >= TINY_BASE_RECIPE.minSeedExamples;
  const corpus = seedDir ? await seedCorpus(seedDir) : DEFAULT_TINY_CORPUS;
  if (pretrain) {
    const { hiddenSize, numHiddenLayers, vocabSize } = TINY_BASE_RECIPE;
    await createTinyModel(dir, { corpus, hiddenSize, numHiddenLayers, vocabSize });
    await pretrainTinyBase(dir, seedDir, threads);
  } else {
    await createTinyModel(dir, { corpus });
  }
}

/**
 * Trains every weight of the model in `dir` on the seed's training conversations (the split a retrain trains on), in
 * place.
 */
async function pretrainTinyBase(dir: string, seedDir: string, threads?: number): Promise<void> {
  const { epochs, learningRate, batchSize, maxExamples, maxSeqLen } = TINY_BASE_RECIPE;
  const tokenizer = await AutoTokenizer.from_pretrained(dir, { local_files_only: true });
  const prepared = await prepareDataset({ seedDir, tokenizer, maxTokens: maxSeqLen });
  const encode = (split: 'train' | 'validation') =>
    encodeChats(
      tokenizer,
      prepared.examples
        .filter((e) => e.split === split)
        .slice(0, maxExamples)
        .map((e) => e.chat),
      { maxSeqLen },
    ).examples;
  const model = await FullModel.load(dir, { threads });
  try {
    await train(
      model,
      batchedData(encode('train'), encode('validation'), { batchSize, padId: model.config.padTokenId ?? 0, maxSeqLen }),
      { epochs, learningRate, warmupRatio: 0.05, weightDecay: 0, seed: 0 },
    );
    await model.save(dir);
  } finally {
    await model.dispose();
  }
}
