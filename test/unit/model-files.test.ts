import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ModelConfigError } from '../../training/model/llama-config';
import { parseLlamaConfig, readLlamaConfig, toHfConfig } from '../../training/model/hf-config';
import { llamaWeightShapes } from '../../training/model/llama';
import {
  bfloat16ToFloat32,
  float16ToFloat32,
  float32ToBfloat16,
  float32ToFloat16,
  openSafetensors,
  SafetensorsError,
  writeSafetensors,
} from '../../training/model/safetensors';

/** SmolLM2-135M-Instruct's config.json as published. */
const SMOLLM2 = {
  architectures: ['LlamaForCausalLM'],
  attention_bias: false,
  attention_dropout: 0.0,
  bos_token_id: 1,
  eos_token_id: 2,
  hidden_act: 'silu',
  hidden_size: 576,
  initializer_range: 0.041666666666666664,
  intermediate_size: 1536,
  is_llama_config: true,
  max_position_embeddings: 8192,
  model_type: 'llama',
  num_attention_heads: 9,
  num_hidden_layers: 30,
  num_key_value_heads: 3,
  pad_token_id: 2,
  pretraining_tp: 1,
  rms_norm_eps: 1e-5,
  rope_interleaved: false,
  rope_scaling: null,
  rope_theta: 100000,
  tie_word_embeddings: true,
  torch_dtype: 'bfloat16',
  transformers_version: '4.42.3',
  use_cache: true,
  vocab_size: 49152,
};

/** Qwen2.5-0.5B-Instruct's: no attention_bias field, q/k/v bias implied by the type. */
const QWEN25 = {
  architectures: ['Qwen2ForCausalLM'],
  attention_dropout: 0.0,
  bos_token_id: 151643,
  eos_token_id: 151645,
  hidden_act: 'silu',
  hidden_size: 896,
  initializer_range: 0.02,
  intermediate_size: 4864,
  max_position_embeddings: 32768,
  max_window_layers: 21,
  model_type: 'qwen2',
  num_attention_heads: 14,
  num_hidden_layers: 24,
  num_key_value_heads: 2,
  rms_norm_eps: 1e-6,
  rope_theta: 1000000.0,
  sliding_window: 32768,
  tie_word_embeddings: true,
  torch_dtype: 'bfloat16',
  use_cache: true,
  use_sliding_window: false,
  vocab_size: 151936,
};

/** Llama-3.2-1B's: llama3 RoPE scaling, explicit head_dim, several eos ids (as the Instruct model has). */
const LLAMA32 = {
  architectures: ['LlamaForCausalLM'],
  attention_bias: false,
  bos_token_id: 128000,
  eos_token_id: [128001, 128008, 128009],
  head_dim: 64,
  hidden_act: 'silu',
  hidden_size: 2048,
  intermediate_size: 8192,
  max_position_embeddings: 131072,
  mlp_bias: false,
  model_type: 'llama',
  num_attention_heads: 32,
  num_hidden_layers: 16,
  num_key_value_heads: 8,
  rms_norm_eps: 1e-5,
  rope_scaling: {
    factor: 32.0,
    high_freq_factor: 4.0,
    low_freq_factor: 1.0,
    original_max_position_embeddings: 8192,
    rope_type: 'llama3',
  },
  rope_theta: 500000.0,
  tie_word_embeddings: true,
  torch_dtype: 'bfloat16',
  vocab_size: 128256,
};

const configError = (json: unknown) => {
  try {
    parseLlamaConfig(json);
  } catch (error) {
    expect(error).toBeInstanceOf(ModelConfigError);
    return (error as Error).message;
  }
  throw new Error('expected a ModelConfigError');
};

describe('config.json', () => {
  test('SmolLM2: head_dim and defaults derived, GQA and tied embeddings read', () => {
    expect(parseLlamaConfig(SMOLLM2)).toEqual({
      modelType: 'llama',
      vocabSize: 49152,
      hiddenSize: 576,
      intermediateSize: 1536,
      numHiddenLayers: 30,
      numAttentionHeads: 9,
      numKeyValueHeads: 3,
      headDim: 64,
      rmsNormEps: 1e-5,
      ropeTheta: 100000,
      ropeScaling: null,
      maxPositionEmbeddings: 8192,
      tieWordEmbeddings: true,
      qkvBias: false,
      outputBias: false,
      bosTokenId: 1,
      eosTokenIds: [2],
      padTokenId: 2,
      torchDtype: 'bfloat16',
    });
  });

  test('SmolLM2-135M has 134,515,008 parameters', () => {
    const shapes = llamaWeightShapes(parseLlamaConfig(SMOLLM2));
    expect([...shapes.values()].reduce((n, s) => n + s.reduce((a, b) => a * b, 1), 0)).toBe(134_515_008);
    expect(shapes.get('model.layers.29.self_attn.k_proj.weight')).toEqual([192, 576]);
    expect(shapes.has('lm_head.weight')).toBe(false);
  });

  test('Qwen2 implies q/k/v bias but no output bias', () => {
    const config = parseLlamaConfig(QWEN25);
    expect(config).toMatchObject({
      modelType: 'qwen2',
      qkvBias: true,
      outputBias: false,
      headDim: 64,
      numKeyValueHeads: 2,
      padTokenId: null,
    });
    const shapes = llamaWeightShapes(config);
    expect(shapes.get('model.layers.0.self_attn.q_proj.bias')).toEqual([896]);
    expect(shapes.get('model.layers.0.self_attn.v_proj.bias')).toEqual([128]);
    expect(shapes.has('model.layers.0.self_attn.o_proj.bias')).toBe(false);
    expect(configError({ ...QWEN25, use_sliding_window: true })).toMatch(
      /"use_sliding_window".*sliding-window attention is not supported/,
    );
  });

  test('Llama attention_bias covers all four projections', () => {
    const config = parseLlamaConfig({ ...SMOLLM2, attention_bias: true, tie_word_embeddings: false });
    expect(config).toMatchObject({ qkvBias: true, outputBias: true });
    const shapes = llamaWeightShapes(config);
    expect(shapes.get('model.layers.0.self_attn.o_proj.bias')).toEqual([576]);
    expect(shapes.get('lm_head.weight')).toEqual([49152, 576]);
  });

  test('Llama 3.2: llama3 RoPE scaling, explicit head_dim and several eos ids', () => {
    expect(parseLlamaConfig(LLAMA32)).toMatchObject({
      headDim: 64,
      ropeTheta: 500000,
      eosTokenIds: [128001, 128008, 128009],
      ropeScaling: {
        type: 'llama3',
        factor: 32,
        lowFreqFactor: 1,
        highFreqFactor: 4,
        originalMaxPositionEmbeddings: 8192,
      },
    });
    // The older spelling "type" and transformers v5's "rope_parameters" say the same.
    const { rope_type: _, ...olderScaling } = LLAMA32.rope_scaling;
    expect(parseLlamaConfig({ ...LLAMA32, rope_scaling: { ...olderScaling, type: 'llama3' } }).ropeScaling).toEqual(
      parseLlamaConfig(LLAMA32).ropeScaling,
    );
    const { rope_scaling, rope_theta, ...v5 } = LLAMA32;
    expect(parseLlamaConfig({ ...v5, rope_parameters: { ...rope_scaling, rope_theta } })).toEqual(
      parseLlamaConfig(LLAMA32),
    );
    expect(parseLlamaConfig({ ...v5, rope_parameters: { rope_type: 'default', rope_theta: 1234 } })).toMatchObject({
      ropeTheta: 1234,
      ropeScaling: null,
    });
  });

  test('mistral without sliding window, and smollm, are accepted', () => {
    expect(parseLlamaConfig({ ...SMOLLM2, model_type: 'mistral', sliding_window: null }).modelType).toBe('mistral');
    expect(parseLlamaConfig({ ...SMOLLM2, model_type: 'smollm' }).modelType).toBe('smollm');
    expect(configError({ ...SMOLLM2, model_type: 'mistral', sliding_window: 4096 })).toMatch(
      /"sliding_window" must be null or at least max_position_embeddings \(8192\).*got 4096/,
    );
    expect(configError({ ...SMOLLM2, model_type: 'mistral' })).toMatch(
      /"sliding_window" must be given \(MistralConfig defaults to a 4096 window/,
    );
  });

  test('errors name the field and what it expects', () => {
    const { hidden_size: _, ...noHidden } = SMOLLM2;
    expect(configError(noHidden)).toBe('config.json: "hidden_size" must be a positive integer, got nothing');
    expect(configError({ ...SMOLLM2, vocab_size: '49152' })).toBe(
      'config.json: "vocab_size" must be a positive integer, got "49152"',
    );
    expect(configError({ ...SMOLLM2, model_type: 'gemma' })).toBe(
      'config.json: "model_type" must be one of llama, qwen2, mistral, smollm, got "gemma"',
    );
    expect(configError({ ...SMOLLM2, rope_scaling: { type: 'linear', factor: 2 } })).toBe(
      'config.json: rope_scaling type "linear" is not supported (expected null or "llama3")',
    );
    expect(configError({ ...SMOLLM2, rope_scaling: { rope_type: 'yarn', factor: 4 } })).toMatch(
      /"yarn" is not supported/,
    );
    expect(configError({ ...LLAMA32, rope_scaling: { rope_type: 'llama3', factor: 8 } })).toMatch(
      /rope_scaling: "low_freq_factor" must be a positive number/,
    );
    expect(configError({ ...SMOLLM2, num_key_value_heads: 2 })).toMatch(
      /"num_key_value_heads" must be a divisor of num_attention_heads \(9\), got 2/,
    );
    expect(configError({ ...SMOLLM2, hidden_size: 580 })).toMatch(
      /"hidden_size" must be a multiple of num_attention_heads \(9\)/,
    );
    expect(configError({ ...SMOLLM2, tie_word_embeddings: 'yes' })).toMatch(
      /"tie_word_embeddings" must be true or false/,
    );
    expect(configError({ ...SMOLLM2, hidden_act: 'gelu' })).toMatch(/"hidden_act" must be "silu"/);
    expect(configError({ ...SMOLLM2, torch_dtype: 'int8' })).toMatch(
      /"torch_dtype" must be one of float32, float16, bfloat16/,
    );
    expect(configError([])).toBe('config.json: expected a JSON object');
  });

  test('toHfConfig writes a config.json that reads back the same', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'config-'));
    try {
      for (const source of [SMOLLM2, QWEN25, LLAMA32]) {
        const config = parseLlamaConfig(source);
        await writeFile(join(dir, 'config.json'), JSON.stringify(toHfConfig(config)));
        expect(await readLlamaConfig(dir)).toEqual(config);
      }
      await writeFile(join(dir, 'config.json'), '{ not json');
      await expect(readLlamaConfig(dir)).rejects.toThrow(/config\.json: not valid JSON/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

/** Bytes of a safetensors file assembled by hand from the format's description. */
function safetensorsBytes(headerJson: string, padTo8: boolean, data: number[]): Uint8Array {
  const header = padTo8 ? headerJson.padEnd(Math.ceil(headerJson.length / 8) * 8, ' ') : headerJson;
  const length = [header.length, 0, 0, 0, 0, 0, 0, 0];
  return Uint8Array.from([...length, ...Buffer.from(header, 'latin1'), ...data]);
}

const f32le = (...values: number[]) => [...new Uint8Array(new Float32Array(values).buffer)];

describe('safetensors', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'safetensors-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test.each([
    // 65 bytes of JSON, then 7 spaces bring the data to an 8-byte boundary (72).
    ['{"attn0":{"dtype":"F32","shape":[1,1,2,3],"data_offsets":[0,24]}}', undefined, 72],
    [
      '{"__metadata__":{"format":"pt"},"attn.0":{"dtype":"F32","shape":[1,1,2,3],"data_offsets":[0,24]}}',
      { format: 'pt' },
      104,
    ],
  ])('reads a file laid out by the spec, and writes the same bytes: %s', async (header, metadata, paddedLength) => {
    const bytes = safetensorsBytes(header, true, f32le(0, 1, 2, 3, 4, 5));
    expect(bytes.subarray(0, 8)).toEqual(Uint8Array.from([paddedLength, 0, 0, 0, 0, 0, 0, 0]));
    expect(Buffer.from(bytes.subarray(8 + header.length, 8 + paddedLength)).toString()).toBe(' '.repeat(7));
    const name = header.includes('attn.0') ? 'attn.0' : 'attn0';
    await writeFile(join(dir, 'reference.safetensors'), bytes);

    const reader = await openSafetensors(join(dir, 'reference.safetensors'));
    try {
      expect(reader.names).toEqual([name]);
      expect(reader.metadata).toEqual(metadata ?? {});
      expect(reader.info(name)).toEqual({
        dtype: 'F32',
        shape: [1, 1, 2, 3],
        file: join(dir, 'reference.safetensors'),
      });
      const tensor = await reader.readFloat32(name);
      expect(tensor.shape).toEqual([1, 1, 2, 3]);
      expect(Array.from(tensor.data)).toEqual([0, 1, 2, 3, 4, 5]);
    } finally {
      await reader.close();
    }

    await writeSafetensors(
      join(dir, 'ours.safetensors'),
      { [name]: { shape: [1, 1, 2, 3], data: new Float32Array([0, 1, 2, 3, 4, 5]) } },
      metadata,
    );
    expect(new Uint8Array(await readFile(join(dir, 'ours.safetensors')))).toEqual(bytes);
  });

  test('reads an older unpadded header, BF16, F16 and I64 bytes', async () => {
    const header =
      '{"b":{"dtype":"BF16","shape":[2],"data_offsets":[16,20]},"h":{"dtype":"F16","shape":[2],"data_offsets":[20,24]},' +
      '"i":{"dtype":"I64","shape":[2],"data_offsets":[0,16]}}';
    const i64 = [7, 0, 0, 0, 0, 0, 0, 0, 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff];
    const bf16 = [0x80, 0x3f, 0x40, 0xc0]; // 1.0, -3.0
    const f16 = [0x00, 0x3c, 0x00, 0xc2]; // 1.0, -3.0
    await writeFile(join(dir, 'old.safetensors'), safetensorsBytes(header, false, [...i64, ...bf16, ...f16]));
    const reader = await openSafetensors(join(dir, 'old.safetensors'));
    try {
      expect(reader.metadata).toEqual({});
      expect((await reader.read('i')).data).toEqual(new BigInt64Array([7n, -2n]));
      const b = await reader.readFloat32('b');
      expect(b.data).toBeInstanceOf(Float32Array);
      expect(Array.from(b.data)).toEqual([1, -3]);
      expect(Array.from((await reader.readFloat32('h')).data)).toEqual([1, -3]);
      await expect(reader.readFloat32('i')).rejects.toThrow(/tensor "i" is I64, expected F32, F16 or BF16/);
    } finally {
      await reader.close();
    }
  });

  test('round trip: F32, F64, I64, F16 and BF16 with metadata; larger dtypes first, each aligned', async () => {
    const values = Float32Array.from({ length: 60 }, (_, i) => (i - 30) / 8); // exact in every float format
    const path = join(dir, 'mixed.safetensors');
    await writeSafetensors(
      path,
      [
        ['z.f32', { shape: [3, 20], data: values }],
        ['a.f16', { shape: [60], data: values, dtype: 'F16' }],
        ['m.bf16', { shape: [6, 10], data: values, dtype: 'BF16' }],
        ['f64', { shape: [2], data: new Float64Array([Math.PI, -1e300]) }],
        ['ids', { shape: [3], data: new BigInt64Array([1n, -9007199254740993n, 0n]) }],
        ['empty', { shape: [0, 4], data: new Float32Array(0) }],
      ],
      { format: 'pt', note: 'ünïcode ✓' },
    );

    const bytes = await readFile(path);
    const headerLength = Number(bytes.readBigUInt64LE(0));
    expect(headerLength % 8).toBe(0);
    const header = JSON.parse(bytes.subarray(8, 8 + headerLength).toString('utf8'));
    expect(Object.keys(header)).toEqual(['__metadata__', 'ids', 'f64', 'empty', 'z.f32', 'm.bf16', 'a.f16']);
    for (const [name, info] of Object.entries<{ dtype: string; data_offsets: number[] }>(header)) {
      if (name !== '__metadata__')
        expect(info.data_offsets[0] % { I64: 8, F64: 8, F32: 4, BF16: 2, F16: 2 }[info.dtype]!).toBe(0);
    }

    const reader = await openSafetensors(path);
    try {
      expect(reader.metadata).toEqual({ format: 'pt', note: 'ünïcode ✓' });
      expect(reader.names).toEqual(['a.f16', 'empty', 'f64', 'ids', 'm.bf16', 'z.f32']);
      for (const name of ['z.f32', 'a.f16', 'm.bf16']) expect((await reader.read(name)).data).toEqual(values);
      expect((await reader.read('m.bf16')).shape).toEqual([6, 10]);
      expect(reader.info('a.f16').dtype).toBe('F16');
      expect((await reader.read('f64')).data).toEqual(new Float64Array([Math.PI, -1e300]));
      expect((await reader.read('ids')).data).toEqual(new BigInt64Array([1n, -9007199254740993n, 0n]));
      expect(await reader.read('empty')).toEqual({ shape: [0, 4], data: new Float32Array(0) });
      await expect(reader.read('missing')).rejects.toThrow(/no tensor "missing"/);
    } finally {
      await reader.close();
    }
  });

  test('BF16 and F16 conversions are exact on representable values and round to nearest even', () => {
    const bits = (halves: Uint16Array) => Array.from(halves, (h) => h.toString(16).padStart(4, '0'));
    const exactBf16 = [0, -0, 1, -3, 0.5, 3.140625, 2 ** -126, 2 ** 127, -(2 ** -133), Infinity, -Infinity];
    expect(Array.from(bfloat16ToFloat32(float32ToBfloat16(new Float32Array(exactBf16))))).toEqual(exactBf16);
    expect(
      bits(float32ToBfloat16(new Float32Array([1, -3, 1 + 2 ** -8, 1 + 3 * 2 ** -8, 1 + 2 ** -8 + 2 ** -20]))),
    ).toEqual(['3f80', 'c040', '3f80', '3f82', '3f81']);
    expect(Number.isNaN(bfloat16ToFloat32(float32ToBfloat16(new Float32Array([NaN])))[0])).toBe(true);

    const exactF16 = [
      0,
      -0,
      1,
      -3,
      0.5,
      3.140625,
      65504,
      -65504,
      2 ** -14,
      2 ** -24,
      -(1023 * 2 ** -24),
      Infinity,
      -Infinity,
    ];
    expect(Array.from(float16ToFloat32(float32ToFloat16(new Float32Array(exactF16))))).toEqual(exactF16);
    expect(
      bits(
        float32ToFloat16(
          new Float32Array([
            1,
            -3,
            65504,
            2 ** -24,
            1 + 2 ** -11,
            1 + 3 * 2 ** -11,
            65520,
            2 ** -25,
            3 * 2 ** -26,
            1e-10,
          ]),
        ),
      ),
    ).toEqual(['3c00', 'c200', '7bff', '0001', '3c00', '3c02', '7c00', '0000', '0001', '0000']);
    expect(Number.isNaN(float16ToFloat32(float32ToFloat16(new Float32Array([NaN])))[0])).toBe(true);
    // Every one of the 63,488 finite f16 values survives f16 -> f32 -> f16.
    const allHalves = Uint16Array.from({ length: 65536 }, (_, i) => i).filter((h) => (h & 0x7c00) !== 0x7c00);
    expect(float32ToFloat16(float16ToFloat32(allHalves))).toEqual(allHalves);
  });

  test('sharded: model.safetensors.index.json maps names to shard files', async () => {
    const weight = (value: number) => ({ shape: [2, 2], data: new Float32Array(4).fill(value) });
    await writeSafetensors(
      join(dir, 'model-00001-of-00002.safetensors'),
      { 'model.embed_tokens.weight': weight(1), 'model.norm.weight': weight(2) },
      { format: 'pt' },
    );
    await writeSafetensors(
      join(dir, 'model-00002-of-00002.safetensors'),
      { 'lm_head.weight': weight(3), 'unlisted.weight': weight(4) },
      { format: 'pt' },
    );
    const index = {
      metadata: { total_size: 48 },
      weight_map: {
        'lm_head.weight': 'model-00002-of-00002.safetensors',
        'model.embed_tokens.weight': 'model-00001-of-00002.safetensors',
        'model.norm.weight': 'model-00001-of-00002.safetensors',
      },
    };
    await writeFile(join(dir, 'model.safetensors.index.json'), JSON.stringify(index));

    const reader = await openSafetensors(dir);
    try {
      expect(reader.names).toEqual(['lm_head.weight', 'model.embed_tokens.weight', 'model.norm.weight']);
      expect(reader.info('lm_head.weight').file).toBe(join(dir, 'model-00002-of-00002.safetensors'));
      expect(Array.from((await reader.readFloat32('lm_head.weight')).data)).toEqual([3, 3, 3, 3]);
      expect(Array.from((await reader.readFloat32('model.norm.weight')).data)).toEqual([2, 2, 2, 2]);
      expect(reader.has('unlisted.weight')).toBe(false);
    } finally {
      await reader.close();
    }

    await writeFile(
      join(dir, 'model.safetensors.index.json'),
      JSON.stringify({
        weight_map: { ...index.weight_map, 'model.layers.0.mlp.up_proj.weight': 'model-00001-of-00002.safetensors' },
      }),
    );
    await expect(openSafetensors(dir)).rejects.toThrow(
      'weight_map puts "model.layers.0.mlp.up_proj.weight" in model-00001-of-00002.safetensors, which has no such tensor',
    );
  });

  test('a folder with a single model.safetensors opens; a folder without weights says so', async () => {
    await expect(openSafetensors(dir)).rejects.toThrow(
      /neither model\.safetensors\.index\.json nor model\.safetensors/,
    );
    await writeSafetensors(join(dir, 'model.safetensors'), { w: { shape: [1], data: new Float32Array([5]) } });
    const reader = await openSafetensors(dir);
    expect(Array.from((await reader.readFloat32('w')).data)).toEqual([5]);
    await reader.close();
  });

  test('damaged files are refused with the reason', async () => {
    const header = '{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}';
    const cases: Array<[Uint8Array, RegExp]> = [
      [Uint8Array.from([1, 2, 3]), /too short/],
      [safetensorsBytes(header, true, f32le(1)), /tensors end at byte 72 but the file has 68 bytes/],
      [safetensorsBytes(header, true, f32le(1, 2, 3)), /tensors end at byte 72 but the file has 76 bytes/],
      [
        safetensorsBytes(header.replace('[2]', '[3]'), true, f32le(1, 2)),
        /tensor "w" \(F32 \[3\]\) needs 12 bytes, data_offsets span 8/,
      ],
      [safetensorsBytes(header.replace('"F32"', '"Q4"'), true, f32le(1, 2)), /unknown dtype "Q4"/],
      [safetensorsBytes('{"w": nope', true, []), /not UTF-8 JSON/],
      [Uint8Array.from([0xff, 0, 0, 0, 0, 0, 0, 0, 0x7b]), /runs past the end of the file/],
      [
        safetensorsBytes(
          '{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}',
          true,
          f32le(1, 2, 3),
        ),
        /tensor "b" starts at data byte 8, expected 4/,
      ],
    ];
    for (const [bytes, reason] of cases) {
      await writeFile(join(dir, 'bad.safetensors'), bytes);
      await expect(openSafetensors(join(dir, 'bad.safetensors'))).rejects.toThrow(reason);
      await expect(openSafetensors(join(dir, 'bad.safetensors'))).rejects.toBeInstanceOf(SafetensorsError);
    }
  });

  test('an I32 tensor is listed but reading it names the unsupported dtype', async () => {
    await writeFile(
      join(dir, 'i32.safetensors'),
      safetensorsBytes('{"n":{"dtype":"I32","shape":[2],"data_offsets":[0,8]}}', true, [1, 0, 0, 0, 2, 0, 0, 0]),
    );
    const reader = await openSafetensors(join(dir, 'i32.safetensors'));
    expect(reader.info('n').dtype).toBe('I32');
    await expect(reader.read('n')).rejects.toThrow(/tensor "n" has dtype I32; supported: F32, F16, BF16, F64, I64/);
    await reader.close();
  });

  test('writing refuses data that does not match its shape or dtype', async () => {
    await expect(
      writeSafetensors(join(dir, 'x.safetensors'), { w: { shape: [3], data: new Float32Array(2) } }),
    ).rejects.toThrow('tensor "w": shape [3] holds 3 values, data has 2');
    await expect(
      writeSafetensors(join(dir, 'x.safetensors'), { w: { shape: [2], data: new Float64Array(2), dtype: 'BF16' } }),
    ).rejects.toThrow('tensor "w": cannot store a Float64Array as BF16');
  });
});
