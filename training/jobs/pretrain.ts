/**
 * The tiny base, made from the seed: a tiny model whose BPE is learned from the seed's text, then trained whole to
 * read — to write the query of a message — on the seed's training split and its pretraining readings, with invented
 * places beside the real ones so that it copies a place rather than recalls one. LoRA on random weights learns next to
 * nothing (validation loss 6.27 → 6.14, no query parsed), and a base pretrained on whole conversations for as long
 * learned the distribution of queries, not to read them (location 0.00 on the held-out split).
 */
import { createHash } from 'node:crypto';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AutoTokenizer } from '@huggingface/transformers';
import { conversation, factsText, queryText, SYSTEM_PROMPT } from '../../bot/core/protocol';
import { withInventedPlace } from '../dataset/invented-place';
import { loadSeed, type SeedExample } from '../dataset/seed';
import { batchedData, encodeChats } from '../encoding';
import { FullModel } from '../model/model-runner';
import { createTinyModel, DEFAULT_TINY_CORPUS } from '../model/tiny';
import { seededRandom } from '../random';
import { train, type TrainHooks } from '../trainer';

/**
 * The tiny base's shape and pretraining, in two phases. Reading is learned first on the messages alone, without the
 * system prompt — four fifths of every conversation's tokens, the same in each — so the same time sees several times
 * the readings; rotary positions are relative, so what it learned carries over when the prompt comes back in the
 * second phase, which teaches it to read behind the prompt as the bot asks. Measured: see the README's "How far the
 * offline loop gets".
 */
export const TINY_BASE_RECIPE = {
  hiddenSize: 128,
  numHiddenLayers: 2,
  /** Eight heads of 16 rather than four of 32: with eight it copies 41 of 132 places it never saw, with four 18. */
  numAttentionHeads: 8,
  vocabSize: 2048,
  wordSplit: 'initials',
  maxSeqLen: 512,
  /** Share of the readings copied once more with an invented place (invented-place.ts). */
  inventedPlaceShare: 0.5,
  seed: 0,
  phases: [
    { systemPrompt: false, share: 1, epochs: 4, batchSize: 64, learningRate: 3e-3 },
    { systemPrompt: true, share: 0.3, epochs: 1, batchSize: 16, learningRate: 1e-3 },
  ],
} as const;

/** The file a base folder keeps its recipe in: a base made by another recipe or from other data is made again. */
export const RECIPE_FILE = 'recipe.json';

/**
 * The text of the seed's training conversations: what the tiny model's BPE merges are learned from. The system prompt
 * counts once per conversation, as the model reads it, so its words take few tokens.
 */
export async function seedCorpus(seedDir: string): Promise<string> {
  const examples = await loadSeed(seedDir, 'train');
  const lines = examples.flatMap((e) => [
    e.message,
    queryText(e.query),
    ...(e.facts ? [factsText(e.facts)] : []),
    ...(e.answer ? [e.answer] : []),
  ]);
  return [...examples.map(() => SYSTEM_PROMPT), ...lines].join('\n');
}

/**
 * What a tiny base made now from `seedDir` would be: the recipe and a hash of the data it learns from, as the protocol
 * writes it; `random` without pretraining readings (tests' seed subsets), where the base is the small random model,
 * made in no time.
 */
export async function tinyBaseRecipe(seedDir: string | null): Promise<Record<string, unknown>> {
  if (seedDir === null || !(await stat(join(seedDir, 'pretrain.jsonl')).catch(() => null))) return { random: true };
  const hash = createHash('sha256');
  for (const name of ['train.jsonl', 'pretrain.jsonl']) hash.update(await readFile(join(seedDir, name)));
  // The protocol's text of it too: a base that learned another query format is made again.
  hash.update(await seedCorpus(seedDir));
  return { ...TINY_BASE_RECIPE, data: hash.digest('hex').slice(0, 16) };
}

/** Writes the tiny base into `dir`: pretrained by the recipe when the seed has pretraining readings, else random. */
export async function makeTinyBase(
  dir: string,
  options: { seedDir: string | null; threads?: number } & TrainHooks,
): Promise<void> {
  const { seedDir } = options;
  const recipe = await tinyBaseRecipe(seedDir);
  if (seedDir !== null && !recipe.random) {
    const { hiddenSize, numHiddenLayers, numAttentionHeads, vocabSize, wordSplit } = TINY_BASE_RECIPE;
    await createTinyModel(dir, {
      corpus: await seedCorpus(seedDir),
      hiddenSize,
      numHiddenLayers,
      numAttentionHeads,
      vocabSize,
      wordSplit,
    });
    await pretrainTinyBase(dir, seedDir, options);
  } else {
    await createTinyModel(dir, { corpus: seedDir ? await seedCorpus(seedDir) : DEFAULT_TINY_CORPUS });
  }
  await writeFile(join(dir, RECIPE_FILE), JSON.stringify(recipe, null, 2) + '\n');
}

/**
 * The readings the base learns from: the messages of the training split and the pretraining readings with their
 * queries (the model's first step), and a share of them again with an invented place.
 */
async function readings(seedDir: string): Promise<SeedExample[]> {
  const random = seededRandom(TINY_BASE_RECIPE.seed);
  const examples = [...(await loadSeed(seedDir, 'train')), ...(await loadSeed(seedDir, 'pretrain'))];
  const invented = examples
    .filter(() => random() < TINY_BASE_RECIPE.inventedPlaceShare)
    .map((e) => withInventedPlace(e, random))
    .filter((e): e is SeedExample => e !== null);
  return [...examples, ...invented];
}

/** Trains every weight of the model in `dir` on the readings, phase by phase, in place. */
async function pretrainTinyBase(
  dir: string,
  seedDir: string,
  { threads, onProgress, signal }: { threads?: number } & TrainHooks,
): Promise<void> {
  const { maxSeqLen, seed, phases } = TINY_BASE_RECIPE;
  const tokenizer = await AutoTokenizer.from_pretrained(dir, { local_files_only: true });
  const all = await readings(seedDir);
  const model = await FullModel.load(dir, { threads });
  try {
    for (const [index, phase] of phases.entries()) {
      const random = seededRandom(seed + index + 1);
      const chats = all
        .filter(() => random() < phase.share)
        .map((e) => conversation(e.message, e.query, null, null))
        .map((messages) => ({ messages: phase.systemPrompt ? messages : messages.filter((m) => m.role !== 'system') }));
      const { examples } = encodeChats(tokenizer, chats, { maxSeqLen });
      const { epochs, batchSize, learningRate } = phase;
      await train(
        model,
        batchedData(examples, [], { batchSize, padId: model.config.padTokenId ?? 0, maxSeqLen }),
        { epochs, learningRate, warmupRatio: 0.05, weightDecay: 0, seed },
        { onProgress, signal },
      );
    }
    await model.save(dir);
  } finally {
    await model.dispose();
  }
}
