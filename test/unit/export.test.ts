import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jest } from '@jest/globals';
import onnxProto from 'onnx-proto';
import { run as exportCommand } from '../../scripts/cli/export';
import { random } from '../../training/random';
import {
  exportedConfig,
  exportModel,
  ExportError,
  mergeAdapter,
  type ExportProgress,
} from '../../training/export/model-folder';
import { initLoraWeights } from '../../training/model/init';
import { LoraError, loraConfig, saveLoraAdapter, writeMergedModel, type LoraAdapter } from '../../training/model/lora';
import { createTinyModel, type TinyModel } from '../../training/model/tiny';
import { loadWeights } from '../../training/model/weights';

const { onnx } = onnxProto;

let root: string;
let tiny: TinyModel;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'export-unit-'));
  tiny = await createTinyModel(join(root, 'base'), {
    seed: 41,
    vocabSize: 300,
    hiddenSize: 32,
    intermediateSize: 48,
    numAttentionHeads: 4,
    numKeyValueHeads: 2,
  });
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

function randomAdapter(): LoraAdapter {
  const lora = loraConfig(2, 4, ['q', 'k', 'o', 'up']);
  const weights = initLoraWeights(tiny.config, lora, 9);
  [...weights].forEach(([name, t], i) => {
    if (name.endsWith('lora_B.weight'))
      t.data = Float32Array.from(random(t.shape, { seed: 50 + i, low: -0.5, high: 0.5 }));
  });
  return { lora, weights, baseModelNameOrPath: tiny.dir };
}

const dimsOf = (value: onnxProto.onnx.IValueInfoProto) =>
  value.type!.tensorType!.shape!.dim!.map((d) => d.dimParam || Number(d.dimValue));

describe('exportModel', () => {
  test('writes the transformers.js folder: config with transformers.js_config, generation config, tokenizer files, ONNX + external data', async () => {
    const outDir = join(root, 'exports', 'plain');
    const events: ExportProgress[] = [];
    const result = await exportModel({ modelDir: tiny.dir, outDir, onProgress: (e) => events.push(e) });

    expect(result).toEqual({
      outDir,
      files: [
        'config.json',
        'generation_config.json',
        'onnx/model.onnx',
        'onnx/model.onnx_data',
        'onnx/model_quantized.onnx',
        'onnx/model_quantized.onnx_data',
        'special_tokens_map.json',
        'tokenizer.json',
        'tokenizer_config.json',
      ],
    });
    expect((await readdir(join(root, 'exports'))).sort()).toEqual(['plain']); // no temporary folder left
    expect(events.map((e) => e.stage)).toEqual(['read', 'graph', 'write', 'graph', 'write', 'done']);

    const config = JSON.parse(await readFile(join(outDir, 'config.json'), 'utf8'));
    expect(config).toMatchObject({
      architectures: ['LlamaForCausalLM'],
      model_type: 'llama',
      num_hidden_layers: 2,
      num_key_value_heads: 2,
      torch_dtype: 'float32',
      'transformers.js_config': { dtype: 'fp32', use_external_data_format: true },
    });
    for (const file of [
      'generation_config.json',
      'tokenizer.json',
      'tokenizer_config.json',
      'special_tokens_map.json',
    ]) {
      expect((await readFile(join(outDir, file))).equals(await readFile(join(tiny.dir, file)))).toBe(true);
    }
  });

  test('the ONNX graph has the inputs and outputs transformers.js feeds and reads, weights in model.onnx_data', async () => {
    const outDir = join(root, 'exports', 'interface');
    await exportModel({ modelDir: tiny.dir, outDir });
    const model = onnx.ModelProto.decode(await readFile(join(outDir, 'onnx', 'model.onnx')));
    const graph = model.graph!;
    const inputs = Object.fromEntries(graph.input!.map((v) => [v.name, dimsOf(v)]));
    const outputs = Object.fromEntries(graph.output!.map((v) => [v.name, dimsOf(v)]));
    const total = 'past_sequence_length+sequence_length';
    expect(inputs).toEqual({
      input_ids: ['batch_size', 'sequence_length'],
      attention_mask: ['batch_size', total],
      position_ids: ['batch_size', 'sequence_length'],
      'past_key_values.0.key': ['batch_size', 2, 'past_sequence_length', 8],
      'past_key_values.0.value': ['batch_size', 2, 'past_sequence_length', 8],
      'past_key_values.1.key': ['batch_size', 2, 'past_sequence_length', 8],
      'past_key_values.1.value': ['batch_size', 2, 'past_sequence_length', 8],
      num_logits_to_keep: [],
    });
    expect(outputs).toEqual({
      logits: ['batch_size', 'last num_logits_to_keep of sequence_length', 300],
      'present.0.key': ['batch_size', 2, total, 8],
      'present.0.value': ['batch_size', 2, total, 8],
      'present.1.key': ['batch_size', 2, total, 8],
      'present.1.value': ['batch_size', 2, total, 8],
    });
    const embed = graph.initializer!.find((t) => t.name === 'model.embed_tokens.weight')!;
    expect(embed.dataLocation).toBe(onnx.TensorProto.DataLocation.EXTERNAL);
    expect(embed.externalData!.find((e) => e.key === 'location')!.value).toBe('model.onnx_data');
    expect(graph.initializer!.some((t) => t.name === 'lm_head.weight')).toBe(false); // tied: the embedding is the head
  });

  test('a SmolLM config is exported as the Llama transformers.js knows', () => {
    const config = exportedConfig({ ...tiny.config, modelType: 'smollm', torchDtype: 'bfloat16' });
    expect(config).toMatchObject({
      model_type: 'llama',
      architectures: ['LlamaForCausalLM'],
      torch_dtype: 'float32',
      'transformers.js_config': { dtype: 'fp32' },
    });
    expect(config['transformers.js_config']).not.toHaveProperty('use_external_data_format');
    const fp32Only = exportedConfig({ ...tiny.config, modelType: 'smollm' }, ['model.onnx']);
    expect(fp32Only['transformers.js_config']).toEqual({
      dtype: 'fp32',
      use_external_data_format: { 'model.onnx': 1 },
    });
  });

  test('q8: every Linear and the tied head as int8 with a scale per column, the embedding as int8 rows', async () => {
    const outDir = join(root, 'exports', 'q8');
    const result = await exportModel({ modelDir: tiny.dir, outDir, dtypes: ['q8'] });
    expect(result.files.filter((f) => f.startsWith('onnx/'))).toEqual([
      'onnx/model_quantized.onnx',
      'onnx/model_quantized.onnx_data',
    ]);
    const model = onnx.ModelProto.decode(await readFile(join(outDir, 'onnx', 'model_quantized.onnx')));
    const graph = model.graph!;
    // What is left in float multiplies activations only (attention), never a weight.
    const weights = new Set(graph.initializer!.map((t) => t.name));
    const floatProducts = graph.node!.filter((n) => n.opType === 'MatMul' || n.opType === 'Gemm');
    expect(floatProducts.flatMap((n) => n.input!).filter((input) => weights.has(input))).toEqual([]);
    const quantized = graph.node!.filter((n) => n.opType === 'DynamicQuantizeMatMul');
    expect(quantized).toHaveLength(7 * tiny.config.numHiddenLayers + 1); // q k v o gate up down, and the head
    expect(quantized.every((n) => n.domain === 'com.microsoft')).toBe(true);
    expect(model.opsetImport).toEqual(expect.arrayContaining([expect.objectContaining({ domain: 'com.microsoft' })]));
    const initializer = (name: string) => {
      const { dims, dataType } = graph.initializer!.find((t) => t.name === name)!;
      return { dims: dims!.map(Number), dataType };
    };
    const { hiddenSize: h, vocabSize: v } = tiny.config;
    expect(initializer('model.embed_tokens.weight.int8')).toEqual({ dims: [h, v], dataType: 3 }); // the head
    expect(initializer('model.embed_tokens.weight.int8.scale')).toEqual({ dims: [v], dataType: 1 });
    expect(initializer('model.embed_tokens.weight.rows')).toEqual({ dims: [v, h], dataType: 3 }); // for Gather
    expect(initializer('model.embed_tokens.weight.rows.scale')).toEqual({ dims: [v], dataType: 1 });
    // No float weight is left but the norms'.
    const floats = graph.initializer!.filter((t) => t.dataType === 1 && (t.dims ?? []).length > 1);
    expect(floats.map((t) => t.name)).toEqual([]);
  });

  test("merging in graph layout gives the weights of lora.ts's merged model folder", async () => {
    const adapter = randomAdapter();
    const mergedDir = join(root, 'merged');
    await writeMergedModel(tiny.dir, adapter, mergedDir);
    const weights = await loadWeights(tiny.dir, tiny.config);
    const base = await loadWeights(tiny.dir, tiny.config);
    const expected = await loadWeights(mergedDir, tiny.config);
    mergeAdapter(tiny.config, weights, adapter);
    let changed = 0;
    for (const [name, weight] of expected) {
      const ours = weights.get(name)!;
      expect(ours.shape).toEqual(weight.shape);
      expect(Array.from(ours.data)).toEqual(Array.from(weight.data));
      if (Array.from(weight.data).some((v, i) => v !== base.get(name)!.data[i])) changed++;
    }
    expect(changed).toBe(2 * 4); // q, k, o, up in each of 2 layers
  });

  test('an adapter is merged when given, and reported', async () => {
    const adapterDir = join(root, 'adapter');
    await saveLoraAdapter(adapterDir, randomAdapter());
    const events: ExportProgress[] = [];
    const result = await exportModel({
      modelDir: tiny.dir,
      adapterDir,
      outDir: join(root, 'exports', 'adapted'),
      onProgress: (e) => events.push(e),
    });
    expect(result.files).toContain('onnx/model.onnx_data');
    expect(events.find((e) => e.stage === 'merge')?.message).toMatch(/r=2, alpha=4, q_proj, k_proj, o_proj, up_proj/);
  });

  test('missing folders and files are named; nothing is written', async () => {
    const outDir = join(root, 'exports', 'never');
    await expect(exportModel({ modelDir: join(root, 'nowhere'), outDir })).rejects.toThrow(
      new ExportError(`model folder ${join(root, 'nowhere')} does not exist`),
    );
    const noTokenizer = join(root, 'no-tokenizer');
    await mkdir(noTokenizer);
    await writeFile(join(noTokenizer, 'config.json'), await readFile(join(tiny.dir, 'config.json')));
    await expect(exportModel({ modelDir: noTokenizer, outDir })).rejects.toThrow(
      `model folder ${noTokenizer} has no tokenizer.json, tokenizer_config.json`,
    );
    await expect(exportModel({ modelDir: tiny.dir, adapterDir: tiny.dir, outDir })).rejects.toThrow(
      `adapter folder ${tiny.dir} has no adapter_config.json, adapter_model.safetensors`,
    );
    await expect(readdir(outDir)).rejects.toThrow(/ENOENT/);
  });

  test('an existing folder is kept unless overwrite is asked; a failed export leaves it as it was', async () => {
    const outDir = join(root, 'exports', 'existing');
    await mkdir(outDir, { recursive: true });
    await writeFile(join(outDir, 'keep.txt'), 'old');
    await expect(exportModel({ modelDir: tiny.dir, outDir })).rejects.toThrow(/already exists/);

    // An adapter for a wider model fails after the checks, while the weights are read.
    const wider = await createTinyModel(join(root, 'wider'), { seed: 1, vocabSize: 300, hiddenSize: 64 });
    const adapterDir = join(root, 'wider-adapter');
    await saveLoraAdapter(adapterDir, {
      lora: loraConfig(2, 4, ['q']),
      weights: initLoraWeights(wider.config, loraConfig(2, 4, ['q'])),
      baseModelNameOrPath: null,
    });
    await expect(exportModel({ modelDir: tiny.dir, adapterDir, outDir, overwrite: true })).rejects.toThrow(LoraError);
    expect(await readdir(outDir)).toEqual(['keep.txt']);

    await exportModel({ modelDir: tiny.dir, outDir, overwrite: true });
    expect(await readdir(outDir)).toContain('onnx');
    expect(await readdir(outDir)).not.toContain('keep.txt');
    expect((await readdir(join(root, 'exports'))).filter((name) => name.startsWith('.'))).toEqual([]);
  });
});

describe('npm run cli -- export', () => {
  async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    const out: string[] = [];
    const err: string[] = [];
    const stdout = jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => out.push(String(chunk)) > 0);
    const stderr = jest.spyOn(process.stderr, 'write').mockImplementation((chunk) => err.push(String(chunk)) > 0);
    try {
      return { code: await exportCommand(args), stdout: out.join(''), stderr: err.join('') };
    } finally {
      stdout.mockRestore();
      stderr.mockRestore();
    }
  }

  test('prints the folder and each file with its size; progress on stderr', async () => {
    const outDir = join(root, 'cli-out');
    const { code, stdout, stderr } = await cli(['--model', tiny.dir, '--out', outDir]);
    expect(code).toBe(0);
    expect(stdout).toMatch(new RegExp(`^${outDir}\n`));
    expect(stdout).toMatch(/^ {2}onnx\/model\.onnx_data \(\d+(\.\d)? kB\)$/m);
    expect(stdout).toMatch(/^ {2}onnx\/model_quantized\.onnx_data \(\d+(\.\d)? kB\)$/m);
    expect(stdout).toMatch(/^ {2}tokenizer\.json \(/m);
    expect(stderr).toMatch(/^exported to /m);

    const fp32Only = await cli(['--model', tiny.dir, '--out', join(root, 'cli-fp32'), '--dtype', 'fp32']);
    expect(fp32Only.code).toBe(0);
    expect(fp32Only.stdout).toMatch(/onnx\/model\.onnx /);
    expect(fp32Only.stdout).not.toMatch(/model_quantized/);
  });

  test('usage errors exit 2, export errors 1, each with a clear message', async () => {
    expect(await cli(['--out', join(root, 'x')])).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/--model is required\nusage: export --model/),
    });
    expect(await cli(['--model', tiny.dir, '--out', join(root, 'x'), '--dtype', 'q4'])).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/--dtype must be one of q8, fp32, not q4\nusage: export/),
    });
    expect(
      await cli(['--format', 'gguf', '--model', tiny.dir, '--out', join(root, 'x.gguf'), '--dtype', 'q4']),
    ).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/--dtype must be one of f16, q8_0 for gguf, not q4\nusage: export/),
    });
    expect(await cli(['--format', 'xml', '--model', tiny.dir, '--out', join(root, 'x')])).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/--format must be onnx or gguf, not xml/),
    });
    const gguf = await cli(['--format', 'gguf', '--model', tiny.dir, '--out', join(root, 'cli.gguf')]);
    expect(gguf).toMatchObject({ code: 0, stdout: expect.stringMatching(/cli\.gguf \(\d+(\.\d)? kB\)\n$/) });
    expect(await cli(['--model', tiny.dir, '--bogus'])).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/Unknown option '--bogus'/),
    });
    expect(await cli(['--model', join(root, 'missing'), '--out', join(root, 'x')])).toMatchObject({
      code: 1,
      stderr: `export: model folder ${join(root, 'missing')} does not exist\n`,
    });
    expect(await cli(['--model', tiny.dir, '--out', join(root, 'cli-out')])).toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/already exists .*--force/),
    });
    expect(await cli(['--model', tiny.dir, '--out', join(root, 'cli-out'), '--force'])).toMatchObject({ code: 0 });
  });
});
