/**
 * A real, small TrainableModel for the trainer's tests: a bigram language model — embedding
 * lookup, then a linear head to the vocabulary — built with the engine, differentiated by its
 * autodiff and run by onnxruntime-node in one session with symbolic batch and sequence dims.
 */
import { Graph, gradients, crossEntropy, op, Runner } from '../../training/engine';
import { seededRandom } from '../../training/random';
import type { EncodedExample } from '../../training/encoding/encode';
import type { Batch, LossResult, TrainableModel, TrainableParameter } from '../../training/trainer/trainable';

export interface ToyModelOptions {
  vocabSize: number;
  width: number;
  /** Seeds the initial weights. */
  seed?: number;
}

export class ToyLanguageModel implements TrainableModel {
  readonly parameters: ReadonlyMap<string, TrainableParameter>;
  /** Batch shapes seen, as "batch×seq". */
  readonly shapes = new Set<string>();

  private constructor(
    private readonly train: Runner,
    private readonly evaluate: Runner,
    parameters: Map<string, TrainableParameter>,
  ) {
    this.parameters = parameters;
  }

  static async create({ vocabSize, width, seed = 1 }: ToyModelOptions): Promise<ToyLanguageModel> {
    const random = seededRandom(seed);
    const init = (shape: number[]) => ({
      shape,
      data: Float32Array.from({ length: shape[0] * shape[1] }, () => (random() - 0.5) * 0.2),
    });
    const parameters = new Map<string, TrainableParameter>([
      ['embed.weight', init([vocabSize, width])],
      ['head.weight', init([width, vocabSize])],
    ]);
    const build = (withGradients: boolean) => {
      const g = new Graph(withGradients ? 'toy-train' : 'toy-loss');
      const embed = g.input('embed.weight', 'float32', [vocabSize, width]);
      const head = g.input('head.weight', 'float32', [width, vocabSize]);
      const ids = g.input('input_ids', 'int64', ['batch', 'seq']);
      const targets = g.input('targets', 'int64', ['batch', 'seq']);
      const mask = g.input('loss_mask', 'float32', ['batch', 'seq']);
      const logits = op.matmul(op.gather(embed, ids), head); // (batch, seq, vocab)
      const loss = crossEntropy(logits, targets, mask);
      g.output('loss', loss);
      if (withGradients) {
        const [dEmbed, dHead] = gradients(loss, [embed, head]);
        g.output('grad.embed.weight', dEmbed);
        g.output('grad.head.weight', dHead);
      }
      return g;
    };
    return new ToyLanguageModel(await Runner.create(build(true)), await Runner.create(build(false)), parameters);
  }

  private feeds(batch: Batch) {
    this.shapes.add(`${batch.batchSize}×${batch.seqLen}`);
    const dims = [batch.batchSize, batch.seqLen];
    return {
      'embed.weight': this.parameters.get('embed.weight')!.data,
      'head.weight': this.parameters.get('head.weight')!.data,
      input_ids: { data: batch.inputIds, dims },
      targets: { data: batch.targets, dims },
      loss_mask: { data: batch.lossMask, dims },
    };
  }

  async lossAndGradients(batch: Batch): Promise<LossResult & { gradients: Map<string, Float32Array> }> {
    const out = await this.train.run(this.feeds(batch));
    const gradients = new Map(
      [...this.parameters.keys()].map((name) => [name, out[`grad.${name}`].data as Float32Array]),
    );
    return { loss: out.loss.data[0] as number, tokens: countedTargets(batch), gradients };
  }

  async loss(batch: Batch): Promise<LossResult> {
    const out = await this.evaluate.run(this.feeds(batch));
    return { loss: out.loss.data[0] as number, tokens: countedTargets(batch) };
  }

  /** A copy of every parameter. */
  snapshot(): Map<string, Float32Array> {
    return new Map([...this.parameters].map(([name, p]) => [name, Float32Array.from(p.data)]));
  }

  async dispose(): Promise<void> {
    await this.train.release();
    await this.evaluate.release();
  }
}

function countedTargets(batch: Batch): number {
  return batch.lossMask.reduce((n, m) => n + m, 0);
}

/**
 * Sequences of a learnable toy language: after a prompt of random tokens, the "answer" follows
 * next = rule(previous), so a bigram model can learn it; only the answer counts in the loss.
 */
export function toySequences(
  count: number,
  options: {
    vocabSize: number;
    seed: number;
    rule?: (token: number) => number;
    minLength?: number;
    maxLength?: number;
  },
): EncodedExample[] {
  const { vocabSize, seed, rule = (t) => (t * 5 + 3) % vocabSize, minLength = 6, maxLength = 30 } = options;
  const random = seededRandom(seed);
  const pick = (n: number) => Math.floor(random() * n);
  return Array.from({ length: count }, () => {
    const length = minLength + pick(maxLength - minLength + 1);
    const promptLength = 2 + pick(3);
    const ids = new Int32Array(length);
    const assistantMask = new Uint8Array(length);
    for (let t = 0; t < length; t++) {
      const answer = t >= promptLength;
      ids[t] = answer ? rule(ids[t - 1]) : pick(vocabSize);
      assistantMask[t] = answer ? 1 : 0;
    }
    return { ids, assistantMask };
  });
}
