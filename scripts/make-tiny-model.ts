/**
 * Writes a tiny Llama-family model folder (config, tokenizer, ChatML template, random weights):
 *   npx tsx scripts/make-tiny-model.ts --out <dir> [--layers 2 --hidden 64 ...]
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { TORCH_DTYPES, type TorchDType } from '../training/model/llama-config';
import { createTinyModel, type TinyModelOptions } from '../training/model/tiny';
import { UsageError, wholeNumber } from './cli/options';

const USAGE = `usage: npx tsx scripts/make-tiny-model.ts --out <dir> [options]
  --seed N            weight seed (0)
  --vocab N           vocabulary size: 3 special + 256 bytes + merges (512)
  --corpus FILE       text to learn the BPE merges from (built-in weather chat)
  --hidden N          hidden size (64)
  --layers N          decoder layers (2)
  --heads N           attention heads (4)
  --kv-heads N        key/value heads (heads / 2)
  --intermediate N    MLP size (2 x hidden)
  --max-positions N   context length (1024)
  --untied            separate lm_head instead of tied embeddings
  --attention-bias    q/k/v bias, which makes it a Qwen2 model
  --dtype T           float32 | bfloat16 | float16 (float32)`;

async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      out: { type: 'string' },
      seed: { type: 'string' },
      vocab: { type: 'string' },
      corpus: { type: 'string' },
      hidden: { type: 'string' },
      layers: { type: 'string' },
      heads: { type: 'string' },
      'kv-heads': { type: 'string' },
      intermediate: { type: 'string' },
      'max-positions': { type: 'string' },
      untied: { type: 'boolean' },
      'attention-bias': { type: 'boolean' },
      dtype: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE + '\n');
    return;
  }
  if (!values.out) throw new UsageError('--out <dir> is required');
  if (values.dtype !== undefined && !(TORCH_DTYPES as readonly string[]).includes(values.dtype)) {
    throw new UsageError(`--dtype expects one of ${TORCH_DTYPES.join(', ')}, got "${values.dtype}"`);
  }
  const options: TinyModelOptions = {
    seed: wholeNumber(values.seed, 'seed', 0),
    vocabSize: wholeNumber(values.vocab, 'vocab'),
    corpus: values.corpus === undefined ? undefined : await readFile(values.corpus, 'utf8'),
    hiddenSize: wholeNumber(values.hidden, 'hidden'),
    numHiddenLayers: wholeNumber(values.layers, 'layers'),
    numAttentionHeads: wholeNumber(values.heads, 'heads'),
    numKeyValueHeads: wholeNumber(values['kv-heads'], 'kv-heads'),
    intermediateSize: wholeNumber(values.intermediate, 'intermediate'),
    maxPositionEmbeddings: wholeNumber(values['max-positions'], 'max-positions'),
    tieWordEmbeddings: values.untied ? false : undefined,
    attentionBias: values['attention-bias'],
    dtype: values.dtype as TorchDType | undefined,
  };

  const model = await createTinyModel(values.out, options);
  const { config } = model;
  process.stdout.write(
    `${config.modelType} model in ${model.dir}: ${config.numHiddenLayers} layers, hidden ${config.hiddenSize}, ` +
      `${config.numAttentionHeads} heads (${config.numKeyValueHeads} kv), MLP ${config.intermediateSize}, ` +
      `vocab ${config.vocabSize} (${model.merges} merges), ${model.parameterCount.toLocaleString('en-US')} parameters, ` +
      `${config.tieWordEmbeddings ? 'tied' : 'untied'} embeddings, ${config.torchDtype}\n`,
  );
  for (const file of model.files) {
    const { size } = await stat(join(model.dir, file));
    process.stdout.write(`  ${file.padEnd(26)} ${size.toLocaleString('en-US').padStart(12)} bytes\n`);
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(
    error instanceof UsageError || (error as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION'
      ? `${message}\n\n${USAGE}\n`
      : `make-tiny-model: ${message}\n`,
  );
  process.exit(error instanceof UsageError ? 2 : 1);
});
