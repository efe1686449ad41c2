/**
 * Full-parameter training of a Llama-family model: every weight is a trainable parameter. Used to
 * pretrain the tiny base, whose random weights LoRA alone cannot turn into a model of the protocol.
 */
import { gradients } from '../engine/autodiff';
import { Runner } from '../engine/session';
import type { Feed } from '../engine/session';
import type { Batch, LossResult, TrainableModel, TrainableParameter } from '../trainer/trainable';
import { llamaWeightShapes, readLlamaConfig, type LlamaConfig } from './config';
import { buildLossGraph, graphShape, loadLlamaWeights, lossRows, transposed } from './llama';
import { SINGLE_FILE, writeSafetensors } from './safetensors';
import { join } from 'node:path';

/** Trains every weight (graph layout: Linear weights [in, out]), by HF name. */
export class FullModel implements TrainableModel {
  readonly parameters: ReadonlyMap<string, TrainableParameter>;
  private readonly sessions = new Map<'train' | 'loss', Promise<Runner>>();

  constructor(readonly config: LlamaConfig, weights: ReadonlyMap<string, { shape: readonly number[]; data: Float32Array | Float64Array }>, private readonly threads?: number) {
    this.parameters = new Map([...weights].map(([name, w]) => [name, { shape: [...w.shape], data: Float32Array.from(w.data) }]));
  }

  static async load(modelDir: string, options: { threads?: number } = {}): Promise<FullModel> {
    const config = await readLlamaConfig(modelDir);
    return new FullModel(config, await loadLlamaWeights(modelDir, config), options.threads);
  }

  async lossAndGradients(batch: Batch): Promise<LossResult & { gradients: Map<string, Float32Array> }> {
    const counted = lossRows(batch);
    if (counted.tokens === 0) {
      return { loss: 0, tokens: 0, gradients: new Map([...this.parameters].map(([name, p]) => [name, new Float32Array(p.data.length)])) };
    }
    const out = await (await this.session('train')).run(this.feeds(batch, counted));
    const grads = new Map([...this.parameters.keys()].map((name) => [name, out[`grad.${name}`].data as Float32Array]));
    return { loss: Number(out.loss.data[0]), tokens: counted.tokens, gradients: grads };
  }

  async loss(batch: Batch): Promise<LossResult> {
    const counted = lossRows(batch);
    if (counted.tokens === 0) return { loss: 0, tokens: 0 };
    const out = await (await this.session('loss')).run(this.feeds(batch, counted));
    return { loss: Number(out.loss.data[0]), tokens: counted.tokens };
  }

  /** Writes the current weights over `modelDir`'s model.safetensors (F32, HF layout). */
  async save(modelDir: string): Promise<void> {
    const shapes = llamaWeightShapes(this.config);
    const tensors = [...this.parameters].map(([name, p]): [string, { shape: number[]; data: Float32Array }] => {
      const hfShape = shapes.get(name)!;
      const isLinear = graphShape(name, hfShape).length === 2 && name.endsWith('_proj.weight');
      return [name, { shape: hfShape, data: isLinear ? transposed(p.data, p.shape[0], p.shape[1]) : Float32Array.from(p.data) }];
    });
    await writeSafetensors(join(modelDir, SINGLE_FILE), tensors, { format: 'pt' });
  }

  async dispose(): Promise<void> {
    const sessions = [...this.sessions.values()];
    this.sessions.clear();
    await Promise.all(sessions.map(async (s) => (await s).release()));
  }

  private feeds(batch: Batch, counted: ReturnType<typeof lossRows>): Record<string, Feed> {
    const dims = [counted.tokens];
    return {
      ...Object.fromEntries([...this.parameters].map(([name, p]) => [name, p.data])),
      input_ids: { data: batch.inputIds, dims: [batch.batchSize, batch.seqLen] },
      attention_mask: { data: batch.attentionMask, dims: [batch.batchSize, batch.seqLen] },
      loss_positions: { data: counted.positions, dims },
      loss_targets: { data: counted.targets, dims },
      loss_weights: { data: counted.weights, dims },
    };
  }

  private session(kind: 'train' | 'loss'): Promise<Runner> {
    let session = this.sessions.get(kind);
    if (!session) {
      const { graph, frozenInputs, loss } = buildLossGraph(this.config, { batch: 'batch', seq: 'seq' });
      if (kind === 'train') {
        const weights = [...frozenInputs.values()];
        gradients(loss, weights).forEach((grad, i) => graph.output(`grad.${weights[i].name}`, grad));
      }
      session = Runner.create(graph, { intraOpThreads: this.threads });
      this.sessions.set(kind, session);
      session.catch(() => this.sessions.delete(kind));
    }
    return session;
  }
}
