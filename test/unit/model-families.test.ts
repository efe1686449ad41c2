import { ModelConfigError } from '../../training/model/llama-config';
import { LLAMA, MODEL_FAMILIES, modelFamily } from '../../training/model/families';
import { parseLlamaConfig, toHfConfig } from '../../training/model/hf-config';
import { buildLossGraph, llamaWeightShapes } from '../../training/model/llama';
import { exportedConfig } from '../../training/export/model-folder';

/** The fields every family needs, without the ones whose defaults differ by family. */
const MINIMAL = {
  vocab_size: 300,
  hidden_size: 32,
  intermediate_size: 48,
  num_hidden_layers: 2,
  num_attention_heads: 4,
};

describe('model families', () => {
  test('model_type maps to its family, and every family here to the Llama definition', () => {
    expect(Object.keys(MODEL_FAMILIES)).toEqual(['llama', 'qwen2', 'mistral', 'smollm']);
    for (const type of Object.keys(MODEL_FAMILIES)) expect(modelFamily(type).definition).toBe(LLAMA);
    expect(LLAMA.weightShapes).toBe(llamaWeightShapes);
    expect(LLAMA.buildLossGraph).toBe(buildLossGraph);
    expect(modelFamily('qwen2')).toMatchObject({ architecture: 'Qwen2ForCausalLM', attentionBias: 'qkv' });
  });

  test('an unsupported model_type is an error that names it', () => {
    expect(() => modelFamily('gemma')).toThrow(ModelConfigError);
    expect(() => modelFamily('gemma')).toThrow(
      'model_type "gemma" is not supported (supported: llama, qwen2, mistral, smollm)',
    );
    expect(() => modelFamily('toString')).toThrow(/"toString" is not supported/);
  });

  test('config.json is read and written as its family spells it', () => {
    const qwen = parseLlamaConfig({ ...MINIMAL, model_type: 'qwen2' });
    expect(qwen).toMatchObject({ maxPositionEmbeddings: 32768, qkvBias: true, outputBias: false });
    expect(toHfConfig(qwen)).toMatchObject({ architectures: ['Qwen2ForCausalLM'], use_sliding_window: false });
    expect(toHfConfig(qwen)).not.toHaveProperty('attention_bias');

    const llama = parseLlamaConfig({ ...MINIMAL, model_type: 'llama', attention_bias: true });
    expect(llama).toMatchObject({ maxPositionEmbeddings: 2048, qkvBias: true, outputBias: true });
    expect(toHfConfig(llama)).toMatchObject({
      architectures: ['LlamaForCausalLM'],
      attention_bias: true,
      mlp_bias: false,
    });
    expect(toHfConfig(llama)).not.toHaveProperty('use_sliding_window');

    const smollm = parseLlamaConfig({ ...MINIMAL, model_type: 'smollm' });
    expect(exportedConfig(smollm, [])).toMatchObject({ model_type: 'llama', architectures: ['LlamaForCausalLM'] });
  });
});
