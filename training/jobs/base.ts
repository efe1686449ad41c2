/**
 * The base model a retrain starts from: `tiny` (a small model the project makes itself, once per
 * data folder, its BPE learned from the seed), a model folder, or a hub repo id found in the HF
 * cache (offline; `model pull` fetches it).
 */
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { factsText, queryText, SYSTEM_PROMPT } from '../../bot/core/protocol';
import { loadSeed } from '../dataset/seed';
import { isRepoId, resolveModel } from '../hub';
import { registryPath } from '../registry';
import { AutoTokenizer } from '@huggingface/transformers';
import { batchedData, encodeChats } from '../data';
import { prepareDataset } from '../dataset';
import { FullModel } from '../model/full';
import { createTinyModel, DEFAULT_TINY_CORPUS } from '../model/tiny';
import { train } from '../trainer';

export const TINY_BASE = 'tiny';

/**
 * The tiny base's shape and pretraining. LoRA on random weights learns next to nothing (validation
 * loss 6.27 → 6.14, no query parsed), so the base is first trained whole on the seed's training
 * split (measured here: validation loss 0.84 after 4 epochs in about 80 s on 2 cores; after a retrain, mean parse accuracy 0.44 on 32 validation samples).
 */
export const TINY_BASE_RECIPE = {
  hiddenSize: 128, numHiddenLayers: 2, vocabSize: 2048, epochs: 4, learningRate: 3e-3, batchSize: 8, maxExamples: 1024, maxSeqLen: 512,
  /** Smaller seeds (tests' subsets) keep the small random base: too little text for the vocabulary, and no time to pretrain. */
  minSeedExamples: 1000,
} as const;

/** Where the `tiny` base of a data folder lives. */
export function tinyBaseDir(dataDir: string): string {
  return join(registryPath(dataDir), 'base-tiny');
}

/** The text of the seed's training conversations: what the tiny model's BPE merges are learned from. */
export async function seedCorpus(seedDir: string): Promise<string> {
  const examples = await loadSeed(seedDir, 'train');
  const lines = examples.flatMap((e) => [e.message, queryText(e.query), ...(e.facts ? [factsText(e.facts)] : []), ...(e.answer ? [e.answer] : [])]);
  return [SYSTEM_PROMPT, ...lines].join('\n');
}

export interface ResolvedBase {
  /** The model folder. */
  dir: string;
  /** What the registry records as the base: `tiny`, the hub repo id, or the absolute folder path. */
  name: string;
}

/**
 * The model folder `base` names. The tiny base is made on first use (under the job lock), in a
 * temporary folder renamed into place, so a job killed while making it leaves nothing that looks finished.
 */
export async function resolveBase(base: string, { dataDir, seedDir, threads }: { dataDir: string; seedDir: string | null; threads?: number }): Promise<ResolvedBase> {
  if (base !== TINY_BASE) {
    const dir = await resolveModel(base);
    // A folder is named by its absolute path; a repo id found in the HF cache by the id.
    return { dir, name: isRepoId(base) && dir !== resolve(base) ? base : dir };
  }
  const dir = tinyBaseDir(dataDir);
  if (await isFile(join(dir, 'config.json'))) return { dir, name: TINY_BASE };
  await mkdir(dirname(dir), { recursive: true });
  for (const name of await readdir(dirname(dir))) {
    if (name.startsWith(`${basename(dir)}.partial-`)) await rm(join(dirname(dir), name), { recursive: true, force: true }); // a killed job's
  }
  const partial = `${dir}.partial-${process.pid}`;
  await mkdir(partial, { recursive: true });
  try {
    const pretrain = seedDir !== null && (await loadSeed(seedDir, 'train')).length >= TINY_BASE_RECIPE.minSeedExamples;
    const corpus = seedDir ? await seedCorpus(seedDir) : DEFAULT_TINY_CORPUS;
    if (pretrain) {
      const { hiddenSize, numHiddenLayers, vocabSize } = TINY_BASE_RECIPE;
      await createTinyModel(partial, { corpus, hiddenSize, numHiddenLayers, vocabSize });
      await pretrainTinyBase(partial, seedDir, threads);
    } else {
      await createTinyModel(partial, { corpus });
    }
    await rm(dir, { recursive: true, force: true }); // no config.json: not a finished base
    await rename(partial, dir);
  } catch (error) {
    await rm(partial, { recursive: true, force: true });
    throw error;
  }
  return { dir, name: TINY_BASE };
}

/** Trains every weight of the model in `dir` on the seed's training conversations (the split a retrain trains on), in place. */
async function pretrainTinyBase(dir: string, seedDir: string, threads?: number): Promise<void> {
  const { epochs, learningRate, batchSize, maxExamples, maxSeqLen } = TINY_BASE_RECIPE;
  const tokenizer = await AutoTokenizer.from_pretrained(dir, { local_files_only: true });
  const prepared = await prepareDataset({ seedDir, tokenizer, maxTokens: maxSeqLen });
  const encode = (split: 'train' | 'validation') =>
    encodeChats(tokenizer, prepared.examples.filter((e) => e.split === split).slice(0, maxExamples).map((e) => e.chat), { maxSeqLen }).examples;
  const model = await FullModel.load(dir, { threads });
  try {
    await train(model, batchedData(encode('train'), encode('validation'), { batchSize, padId: model.config.padTokenId ?? 0, maxSeqLen }), { epochs, learningRate, warmupRatio: 0.05, weightDecay: 0, seed: 0 });
    await model.save(dir);
  } finally {
    await model.dispose();
  }
}

async function isFile(path: string): Promise<boolean> {
  return (await stat(path).catch(() => null))?.isFile() ?? false;
}
