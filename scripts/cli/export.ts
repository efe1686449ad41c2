import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { MODEL_DTYPES, type ModelDtype } from '../../bot/core/generation';
import { formatBytes } from '../../training/hub/progress';
import { exportModel } from '../../training/export/model-folder';

const USAGE =
  'usage: export --model <hf-model-folder> [--adapter <peft-adapter-folder>] --out <folder> [--dtype fp32|q8] [--force]';

/**
 * `export --model <folder> [--adapter <folder>] --out <folder> [--dtype fp32|q8] [--force]`: writes the
 * transformers.js model folder of a base model, or of the base with a LoRA adapter merged in, with fp32 and int8 (q8)
 * weights, or only those `--dtype` names. Progress goes to stderr; the folder and its files, with sizes, to stdout.
 */
export async function run(args: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        model: { type: 'string' },
        adapter: { type: 'string' },
        out: { type: 'string' },
        dtype: { type: 'string' },
        force: { type: 'boolean' },
      },
    }));
  } catch (error) {
    process.stderr.write(`export: ${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (!values.model || !values.out) {
    process.stderr.write(`export: ${!values.model ? '--model' : '--out'} is required\n${USAGE}\n`);
    return 2;
  }
  const dtype = values.dtype as ModelDtype | undefined;
  if (dtype !== undefined && !MODEL_DTYPES.includes(dtype)) {
    process.stderr.write(`export: --dtype must be one of ${MODEL_DTYPES.join(', ')}, not ${dtype}\n${USAGE}\n`);
    return 2;
  }
  try {
    const result = await exportModel({
      modelDir: values.model,
      adapterDir: values.adapter,
      outDir: values.out,
      overwrite: values.force,
      ...(dtype ? { dtypes: [dtype] } : {}),
      onProgress: (event) => process.stderr.write(`${event.message}\n`),
    });
    process.stdout.write(`${result.outDir}\n`);
    for (const file of result.files) {
      const { size } = await stat(join(result.outDir, file));
      process.stdout.write(`  ${file} (${formatBytes(size)})\n`);
    }
    return 0;
  } catch (error) {
    process.stderr.write(`export: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}
