import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { MODEL_DTYPES, type ModelDtype } from '../../bot/core/generation';
import { formatBytes } from '../../training/hub/progress';
import { exportGguf, GGUF_DTYPES, type GgufDtype } from '../../training/export/gguf';
import { exportModel } from '../../training/export/model-folder';

const USAGE =
  'usage: export --model <hf-model-folder> [--adapter <peft-adapter-folder>] --out <folder> [--dtype fp32|q8] [--force]\n' +
  '       export --format gguf --model <hf-model-folder> [--adapter <peft-adapter-folder>] --out <file.gguf> [--dtype f16|q8_0] [--force]';

/**
 * `export --model <folder> [--adapter <folder>] --out <folder> [--dtype fp32|q8] [--force]`: writes the
 * transformers.js model folder of a base model, or of the base with a LoRA adapter merged in, with fp32 and int8 (q8)
 * weights, or only those `--dtype` names. Progress goes to stderr; the folder and its files, with sizes, to stdout.
 * With `--format gguf`, one GGUF file for llama.cpp and Ollama instead (`--dtype f16`, the default, or `q8_0`).
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
        format: { type: 'string' },
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
  if (values.format !== undefined && values.format !== 'onnx' && values.format !== 'gguf') {
    process.stderr.write(`export: --format must be onnx or gguf, not ${values.format}\n${USAGE}\n`);
    return 2;
  }
  if (values.format === 'gguf') return gguf(values.model, values.adapter, values.out, values.dtype, values.force);
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

async function gguf(
  modelDir: string,
  adapterDir: string | undefined,
  outFile: string,
  dtype = 'f16',
  overwrite?: boolean,
): Promise<number> {
  if (!(GGUF_DTYPES as readonly string[]).includes(dtype)) {
    process.stderr.write(`export: --dtype must be one of ${GGUF_DTYPES.join(', ')} for gguf, not ${dtype}\n${USAGE}\n`);
    return 2;
  }
  try {
    const result = await exportGguf({ modelDir, adapterDir, outFile, dtype: dtype as GgufDtype, overwrite });
    process.stdout.write(`${result.outFile} (${formatBytes(result.bytes)})\n`);
    return 0;
  } catch (error) {
    process.stderr.write(`export: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}
