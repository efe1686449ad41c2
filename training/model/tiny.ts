/**
 * The tiny-model factory: a complete, small HF model folder — config, generation config,
 * byte-level BPE tokenizer learned from a corpus, ChatML template, and seeded random weights —
 * that transformers.js and HF transformers load like any hub model. Tests and offline runs
 * use it wherever a real base model would be too big or out of reach.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Llama3RopeScaling, LlamaConfig, TorchDType } from './llama-config';
import { parseLlamaConfig, toHfConfig } from './hf-config';
import { randomWeights } from './init';
import { SINGLE_FILE, writeSafetensors, type TensorToWrite } from './safetensors';
import { SPECIAL_TOKEN_IDS, trainByteLevelBpe, writeTokenizerFiles, type WordSplit } from './tokenizer';

export interface TinyModelOptions {
  /** Seeds the weights; the same seed and options give byte-identical files. Default 0. */
  seed?: number;
  /** Tokens in the vocabulary: 3 special + 256 bytes + learned merges. Default 512. */
  vocabSize?: number;
  /** Text the BPE merges are learned from. Default: a few paragraphs of weather chat. */
  corpus?: string;
  /** How the BPE cuts text into words (tokenizer.ts). Default `gpt2`. */
  wordSplit?: WordSplit;
  hiddenSize?: number;
  numHiddenLayers?: number;
  numAttentionHeads?: number;
  /** Default: half the attention heads when even (grouped-query attention, as in SmolLM2). */
  numKeyValueHeads?: number;
  intermediateSize?: number;
  /** Default true, as in SmolLM2. */
  tieWordEmbeddings?: boolean;
  /** q/k/v bias; true makes a Qwen2 model (model_type "qwen2"). Default false (Llama). */
  attentionBias?: boolean;
  maxPositionEmbeddings?: number;
  ropeTheta?: number;
  ropeScaling?: Llama3RopeScaling | null;
  rmsNormEps?: number;
  /** How model.safetensors stores the weights. Default float32. */
  dtype?: TorchDType;
}

export interface TinyModel {
  dir: string;
  config: LlamaConfig;
  /** Names of the files written, relative to `dir`. */
  files: string[];
  parameterCount: number;
  merges: number;
}

export const DEFAULT_TINY_CORPUS = `Hi! What's the weather like in Philadelphia today?
Right now it is 12°C and partly cloudy in Philadelphia, with a light wind from the west.
Will it rain tomorrow in Seattle? Tomorrow in Seattle there is a 70% chance of rain, with a high of 14°C and a low of 8°C.
How cold is it in Chicago tonight? Tonight in Chicago it will be clear and cold, down to -3°C, so bring a warm coat.
Is it going to snow this weekend in Denver? Snow is likely on Saturday in Denver, about 5 cm, and Sunday will be sunny but cold.
What's the forecast for Paris on Friday? On Friday Paris will be cloudy with light rain in the afternoon and a high of 15°C.
How windy is it in Boston? The wind in Boston is 25 km/h from the northeast, with gusts up to 40 km/h.
What is the humidity in Miami right now? The humidity in Miami is 80%, and it feels like 31°C.
Do I need an umbrella in London tomorrow? Yes, take an umbrella: London expects showers most of the day tomorrow.
Is it sunny in Los Angeles? It is sunny in Los Angeles, 24°C, with a UV index of 7, so wear sunscreen.
What will the weather be in Toronto on Monday? Monday in Toronto looks cloudy, with a high of 9°C and a low of 2°C.
How hot will it get in Phoenix this week? Phoenix will be hot and dry this week, with highs near 38°C every day.
Thanks! You're welcome. Ask me about the weather anywhere, any time.
Tell me a joke. I can only help with the weather, but I'm happy to tell you the forecast for your city.
{"weather":true,"location":"Philadelphia","region":null,"when":"today","aspect":"general","units":null}
{"weather":true,"location":"Seattle","region":"WA","when":"tomorrow","aspect":"rain","units":null}
{"weather":true,"location":"Chicago","region":null,"when":"tonight","aspect":"temperature","units":"celsius"}
{"weather":true,"location":"Denver","region":null,"when":"weekend","aspect":"snow","units":null}
{"weather":true,"location":"Boston","region":null,"when":"now","aspect":"wind","units":"fahrenheit"}
{"weather":false}
The temperature is 20°C (68°F), the wind is light, and there is no rain in the forecast for the next three days.
Expect a mix of sun and clouds in the morning, then thunderstorms later in the evening with heavy rain at times.
Fog will clear by mid-morning, giving way to a mostly sunny afternoon; tonight will be clear with a low of 5°C.
`;

function tinyConfig(options: TinyModelOptions, vocabSize: number): LlamaConfig {
  const hiddenSize = options.hiddenSize ?? 64;
  const numAttentionHeads = options.numAttentionHeads ?? 4;
  const qwen2 = options.attentionBias ?? false;
  const config: LlamaConfig = {
    modelType: qwen2 ? 'qwen2' : 'llama',
    vocabSize,
    hiddenSize,
    intermediateSize: options.intermediateSize ?? hiddenSize * 2,
    numHiddenLayers: options.numHiddenLayers ?? 2,
    numAttentionHeads,
    numKeyValueHeads:
      options.numKeyValueHeads ?? (numAttentionHeads % 2 === 0 ? numAttentionHeads / 2 : numAttentionHeads),
    headDim: hiddenSize / numAttentionHeads,
    rmsNormEps: options.rmsNormEps ?? 1e-5,
    ropeTheta: options.ropeTheta ?? 10000,
    ropeScaling: options.ropeScaling ?? null,
    maxPositionEmbeddings: options.maxPositionEmbeddings ?? 1024,
    tieWordEmbeddings: options.tieWordEmbeddings ?? true,
    qkvBias: qwen2,
    outputBias: false,
    bosTokenId: SPECIAL_TOKEN_IDS.bos,
    eosTokenIds: [SPECIAL_TOKEN_IDS.eos],
    padTokenId: SPECIAL_TOKEN_IDS.pad,
    torchDtype: options.dtype ?? 'float32',
  };
  // Checked by the same reader every model goes through, so a bad option fails the way a bad config.json would.
  const { head_dim: _derived, ...json } = toHfConfig(config);
  return parseLlamaConfig(json, 'tiny model options');
}

const SAFETENSORS_DTYPE = { float32: 'F32', float16: 'F16', bfloat16: 'BF16' } as const;

/** Writes a complete small model folder into `dir` (created if missing; files there are replaced). */
export async function createTinyModel(dir: string, options: TinyModelOptions = {}): Promise<TinyModel> {
  const bpe = trainByteLevelBpe(options.corpus ?? DEFAULT_TINY_CORPUS, options.vocabSize ?? 512, options.wordSplit);
  const config = tinyConfig(options, bpe.vocab.length);
  await mkdir(dir, { recursive: true });

  const writeJson = (name: string, json: unknown) => writeFile(join(dir, name), JSON.stringify(json, null, 2) + '\n');
  await writeJson('config.json', toHfConfig(config));
  await writeJson('generation_config.json', {
    bos_token_id: config.bosTokenId,
    eos_token_id: config.eosTokenIds[0],
    pad_token_id: config.padTokenId,
  });
  const tokenizerFiles = await writeTokenizerFiles(dir, bpe, config.maxPositionEmbeddings);

  const weights = randomWeights(config, options.seed ?? 0);
  const dtype = SAFETENSORS_DTYPE[config.torchDtype];
  const tensors: Array<[string, TensorToWrite]> = [...weights].map(([name, weight]) => [name, { ...weight, dtype }]);
  await writeSafetensors(join(dir, SINGLE_FILE), tensors, { format: 'pt' });

  return {
    dir,
    config,
    files: ['config.json', 'generation_config.json', ...tokenizerFiles, SINGLE_FILE],
    parameterCount: [...weights.values()].reduce((n, w) => n + w.data.length, 0),
    merges: bpe.merges.length,
  };
}
