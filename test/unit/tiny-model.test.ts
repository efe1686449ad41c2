import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AutoTokenizer, env, type PreTrainedTokenizer } from '@huggingface/transformers';
import { readLlamaConfig } from '../../training/model/hf-config';
import { randomWeights } from '../../training/model/init';
import { llamaWeightShapes } from '../../training/model/llama';
import { float32ToBfloat16, bfloat16ToFloat32, openSafetensors } from '../../training/model/safetensors';
import { createTinyModel, DEFAULT_TINY_CORPUS, type TinyModel } from '../../training/model/tiny';
import {
  BASE_VOCAB_SIZE,
  byteLevelWords,
  TokenizerTrainingError,
  trainByteLevelBpe,
} from '../../training/model/tokenizer';

env.allowRemoteModels = false;

let root: string;
let model: TinyModel;
let tokenizer: PreTrainedTokenizer;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'tiny-model-'));
  model = await createTinyModel(join(root, 'llama'), { seed: 7 });
  tokenizer = await AutoTokenizer.from_pretrained(model.dir);
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const mean = (values: Float32Array) => values.reduce((a, b) => a + b, 0) / values.length;
const std = (values: Float32Array) => {
  const m = mean(values);
  return Math.sqrt(values.reduce((a, b) => a + (b - m) ** 2, 0) / values.length);
};

describe('tiny model folder', () => {
  test('holds every file an HF model folder has, and config.json describes the defaults', async () => {
    expect(model.files.sort()).toEqual([
      'config.json',
      'generation_config.json',
      'model.safetensors',
      'special_tokens_map.json',
      'tokenizer.json',
      'tokenizer_config.json',
    ]);
    const config = await readLlamaConfig(model.dir);
    expect(config).toEqual(model.config);
    expect(config).toMatchObject({
      modelType: 'llama',
      vocabSize: 512,
      hiddenSize: 64,
      intermediateSize: 128,
      numHiddenLayers: 2,
      numAttentionHeads: 4,
      numKeyValueHeads: 2,
      headDim: 16,
      tieWordEmbeddings: true,
      qkvBias: false,
      bosTokenId: 1,
      eosTokenIds: [2],
      padTokenId: 2,
    });
    const raw = JSON.parse(await readFile(join(model.dir, 'config.json'), 'utf8'));
    expect(raw).toMatchObject({ architectures: ['LlamaForCausalLM'], model_type: 'llama', torch_dtype: 'float32' });
    expect(JSON.parse(await readFile(join(model.dir, 'generation_config.json'), 'utf8'))).toEqual({
      bos_token_id: 1,
      eos_token_id: 2,
      pad_token_id: 2,
    });
    expect(model.merges).toBe(512 - BASE_VOCAB_SIZE);
  });

  test('weights: HF names and shapes, Normal(0, 0.02), norms near but not at 1', async () => {
    const weights = await openSafetensors(model.dir);
    try {
      const shapes = llamaWeightShapes(model.config);
      expect(weights.names).toEqual([...shapes.keys()].sort());
      expect(weights.metadata).toEqual({ format: 'pt' });
      expect(weights.names).toContain('model.layers.1.mlp.down_proj.weight');
      expect(weights.has('lm_head.weight')).toBe(false);
      let parameters = 0;
      for (const name of weights.names) {
        const { shape, data } = await weights.read(name);
        expect(shape).toEqual(shapes.get(name));
        parameters += data.length;
      }
      expect(parameters).toBe(model.parameterCount);

      const embed = (await weights.readFloat32('model.embed_tokens.weight')).data;
      expect(Math.abs(mean(embed))).toBeLessThan(0.002);
      expect(std(embed)).toBeCloseTo(0.02, 3);
      const norm = (await weights.readFloat32('model.layers.0.input_layernorm.weight')).data;
      expect(Math.abs(mean(norm) - 1)).toBeLessThan(0.05);
      expect(norm.every((w) => w !== 1)).toBe(true);
      const otherNorm = (await weights.read('model.layers.0.post_attention_layernorm.weight')).data;
      expect(otherNorm).not.toEqual(norm);
    } finally {
      await weights.close();
    }
  });

  test('the same seed writes the same bytes; another seed other weights', async () => {
    const again = await createTinyModel(join(root, 'again'), { seed: 7 });
    const other = await createTinyModel(join(root, 'other'), { seed: 8 });
    const bytes = (m: TinyModel, file: string) => readFile(join(m.dir, file));
    for (const file of model.files) expect((await bytes(again, file)).equals(await bytes(model, file))).toBe(true);
    expect((await bytes(other, 'model.safetensors')).equals(await bytes(model, 'model.safetensors'))).toBe(false);
    expect((await bytes(other, 'tokenizer.json')).equals(await bytes(model, 'tokenizer.json'))).toBe(true);
  });

  test('attention bias makes a Qwen2 model with q/k/v biases; untied adds lm_head; sizes follow the options', async () => {
    const qwen = await createTinyModel(join(root, 'qwen'), {
      attentionBias: true,
      tieWordEmbeddings: false,
      hiddenSize: 48,
      numHiddenLayers: 3,
      numAttentionHeads: 6,
      numKeyValueHeads: 3,
      intermediateSize: 80,
      vocabSize: 300,
    });
    expect(JSON.parse(await readFile(join(qwen.dir, 'config.json'), 'utf8'))).toMatchObject({
      model_type: 'qwen2',
      architectures: ['Qwen2ForCausalLM'],
    });
    expect(await readLlamaConfig(qwen.dir)).toMatchObject({
      modelType: 'qwen2',
      qkvBias: true,
      outputBias: false,
      headDim: 8,
      vocabSize: 300,
      numHiddenLayers: 3,
    });
    const weights = await openSafetensors(qwen.dir);
    try {
      expect(weights.info('model.layers.2.self_attn.q_proj.bias').shape).toEqual([48]);
      expect(weights.info('model.layers.2.self_attn.k_proj.bias').shape).toEqual([24]);
      expect(weights.info('model.layers.2.mlp.gate_proj.weight').shape).toEqual([80, 48]);
      expect(weights.has('model.layers.2.self_attn.o_proj.bias')).toBe(false);
      expect(weights.info('lm_head.weight').shape).toEqual([300, 48]);
      const bias = (await weights.read('model.layers.0.self_attn.v_proj.bias')).data;
      expect(bias.some((b) => b !== 0)).toBe(true);
    } finally {
      await weights.close();
    }
    // Adding tensors leaves the shared ones as they were: each tensor has its own random stream.
    const plain = randomWeights({ ...qwen.config, qkvBias: false, tieWordEmbeddings: true }, 0);
    const withBias = randomWeights(qwen.config, 0);
    expect(withBias.get('model.layers.1.mlp.up_proj.weight')!.data).toEqual(
      plain.get('model.layers.1.mlp.up_proj.weight')!.data,
    );
  });

  test('bfloat16 storage holds the float32 weights rounded to bfloat16', async () => {
    const bf16 = await createTinyModel(join(root, 'bf16'), { seed: 7, dtype: 'bfloat16' });
    const weights = await openSafetensors(bf16.dir);
    try {
      expect(weights.info('model.norm.weight').dtype).toBe('BF16');
      const expected = randomWeights(model.config, 7).get('model.norm.weight')!.data;
      expect((await weights.read('model.norm.weight')).data).toEqual(bfloat16ToFloat32(float32ToBfloat16(expected)));
    } finally {
      await weights.close();
    }
    expect(await readLlamaConfig(bf16.dir)).toMatchObject({ torchDtype: 'bfloat16' });
  });

  test('options that make no model fail with the field named', async () => {
    await expect(createTinyModel(join(root, 'bad'), { hiddenSize: 60, numAttentionHeads: 7 })).rejects.toThrow(
      /"hidden_size" must be a multiple of num_attention_heads \(7\)/,
    );
    await expect(createTinyModel(join(root, 'bad'), { numAttentionHeads: 4, numKeyValueHeads: 3 })).rejects.toThrow(
      /"num_key_value_heads" must be a divisor/,
    );
  });
});

describe('tokenizer through transformers.js', () => {
  test.each([
    'What is the weather in Philadelphia tomorrow?',
    'São Paulo, Zürich, Kraków and Reykjavík ❄️🌧️☀️ — 25°C / 77°F',
    "It's  raining\n\n\tin Tōkyō: 3.5 mm, wind 12 km/h (gusts 40)!",
    '{"weather":true,"location":"Seattle","region":"WA","when":"+3d","aspect":"rain","units":null}',
    ' ',
  ])('encode then decode gives back %j', (text) => {
    const ids = tokenizer.encode(text);
    expect(ids.every((id) => Number.isInteger(id) && id >= 0 && id < model.config.vocabSize)).toBe(true);
    expect(tokenizer.decode(ids)).toBe(text);
  });

  test('special tokens are single ids and are not split from surrounding text', () => {
    expect(tokenizer.encode('<|endoftext|>')).toEqual([0]);
    expect(tokenizer.encode('<|im_start|>')).toEqual([1]);
    expect(tokenizer.encode('<|im_end|>')).toEqual([2]);
    const ids = tokenizer.encode('<|im_start|>user\nhi<|im_end|>');
    expect(ids[0]).toBe(1);
    expect(ids.at(-1)).toBe(2);
    expect(tokenizer.decode(ids, { skip_special_tokens: true })).toBe('user\nhi');
    expect(tokenizer.eos_token_id).toBe(2);
    expect(tokenizer.pad_token_id).toBe(2);
  });

  test('the chat template renders ChatML, a system turn only when given', () => {
    const user = { role: 'user', content: 'Weather in Paris?' };
    expect(tokenizer.apply_chat_template([user], { tokenize: false, add_generation_prompt: true })).toBe(
      '<|im_start|>user\nWeather in Paris?<|im_end|>\n<|im_start|>assistant\n',
    );
    expect(
      tokenizer.apply_chat_template(
        [{ role: 'system', content: 'Be brief.' }, user, { role: 'assistant', content: 'Rain, 12°C.' }],
        { tokenize: false },
      ),
    ).toBe(
      '<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nWeather in Paris?<|im_end|>\n<|im_start|>assistant\nRain, 12°C.<|im_end|>\n',
    );
    const ids = tokenizer.apply_chat_template([user], {
      add_generation_prompt: true,
      return_tensor: false,
      return_dict: false,
    }) as number[];
    expect(ids.filter((id) => id === 1)).toHaveLength(2);
    expect(tokenizer.decode(ids)).toBe('<|im_start|>user\nWeather in Paris?<|im_end|>\n<|im_start|>assistant\n');
  });

  test('loads by model id from env.localModelPath too, with remote models off', async () => {
    const previous = env.localModelPath;
    env.localModelPath = root;
    try {
      const byId = await AutoTokenizer.from_pretrained('llama');
      expect(byId.encode('Rain in São Paulo')).toEqual(tokenizer.encode('Rain in São Paulo'));
      // transformers.js 4.3 fails on a missing folder without naming it ("reading 'tokenizer_class'"), but it fails
      // without going online.
      await expect(AutoTokenizer.from_pretrained('no-such-model')).rejects.toThrow();
    } finally {
      env.localModelPath = previous;
    }
  });

  test('learned merges compress the corpus: frequent words are single tokens', () => {
    const bytes = new TextEncoder().encode(DEFAULT_TINY_CORPUS).length;
    expect(tokenizer.encode(DEFAULT_TINY_CORPUS).length).toBeLessThan(bytes / 2.5);
    for (const word of [' weather', ' the', 'location', ' rain']) expect(tokenizer.encode(word)).toHaveLength(1);
    // Digits stay single, as in SmolLM2.
    expect(tokenizer.encode('2026').map((id) => tokenizer.decode([id]))).toEqual(['2', '0', '2', '6']);
  });
});

describe('the initials word split', () => {
  let dir: string;
  let initials: PreTrainedTokenizer;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tiny-initials-'));
    await createTinyModel(dir, { vocabSize: 480, wordSplit: 'initials' });
    initials = await AutoTokenizer.from_pretrained(dir, { local_files_only: true });
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));
  const pieces = (text: string) =>
    initials.encode(text, { add_special_tokens: false }).map((id) => initials.decode([id]));

  test.each([
    'São Paulo, Zürich ❄️🌧️ — 25°C / 77°F',
    "It's  raining\n\n\tin Tōkyō: 3.5 mm",
    '{"weather":true,"location":"Seattle","region":"WA","when":"+3d","aspect":"rain","units":null}',
  ])('encode then decode gives back %j', (text) => {
    expect(initials.decode(initials.encode(text, { add_special_tokens: false }))).toBe(text);
  });

  test('a name has the same tokens after a space or a quote, and in lower case all but its first', () => {
    const inMessage = pieces('rain in Qwertyville tomorrow');
    const inQuery = pieces('{"location":"Qwertyville"}');
    const name = inQuery.slice(inQuery.indexOf('Q'), inQuery.indexOf('"}'));
    expect(name[0]).toBe('Q');
    expect(inMessage.join('|')).toContain(name.join('|'));
    expect(inMessage[inMessage.indexOf('Q') - 1]).toBe(' ');
    expect(pieces('rain in qwertyville').slice(-name.length)).toEqual(['q', ...name.slice(1)]);
    // transformers.js cuts words as byteLevelWords does, which the merges were learned on.
    expect(byteLevelWords('in Qwertyville', 'initials')).toEqual(['i', 'n', 'Ġ', 'Q', 'wertyville']);
  });
});

describe('BPE training', () => {
  test('merges the most frequent pair first, ties by sort order, and is deterministic', () => {
    const bpe = trainByteLevelBpe('low low low lower lowest newest newest', BASE_VOCAB_SIZE + 4);
    expect(bpe.merges.slice(0, 2)).toEqual([
      ['l', 'o'],
      ['lo', 'w'],
    ]);
    expect(bpe.vocab.slice(BASE_VOCAB_SIZE)).toEqual(bpe.merges.map(([a, b]) => a + b));
    expect(trainByteLevelBpe('low low low lower lowest newest newest', BASE_VOCAB_SIZE + 4)).toEqual(bpe);
    expect(bpe.vocab.slice(0, 3)).toEqual(['<|endoftext|>', '<|im_start|>', '<|im_end|>']);
    expect(new Set(bpe.vocab).size).toBe(bpe.vocab.length);
  });

  test('special tokens in the corpus are not learned from; words follow the pre-tokenizer', () => {
    expect(byteLevelWords("<|im_start|>user\nIt's 25°C in São Paulo<|im_end|>")).toEqual([
      'user',
      'Ċ',
      'It',
      "'s",
      'Ġ',
      '2',
      '5',
      'Â°',
      'C',
      'Ġin',
      'ĠSÃ£o',
      'ĠPaulo',
    ]);
    const bpe = trainByteLevelBpe('<|im_start|><|im_start|><|im_start|>ab ab', BASE_VOCAB_SIZE + 2);
    expect(bpe.merges).toEqual([
      ['a', 'b'],
      ['Ġ', 'ab'],
    ]);
  });

  test('asking for more tokens than the corpus supports, or fewer than the bytes, is an error', () => {
    expect(() => trainByteLevelBpe('ab ab', 1000)).toThrow(TokenizerTrainingError);
    expect(() => trainByteLevelBpe('ab ab', 1000)).toThrow(
      'the corpus supports a vocabulary of only 261 tokens (2 merges); asked for 1000',
    );
    expect(() => trainByteLevelBpe('ab', 100)).toThrow(/at least 259/);
  });
});
