/**
 * The seam between the model and the trainer: the trainer owns the optimiser, the schedule and
 * the data; the model owns its graphs and sessions and answers loss (and gradients) for a batch.
 */

/** One padded batch of token ids. Row-major [batchSize, seqLen]. */
export interface Batch {
  batchSize: number;
  seqLen: number;
  /** Token ids; padding positions hold the pad id. */
  inputIds: BigInt64Array;
  /** 1 for real tokens, 0 for padding (attention padding mask). */
  attentionMask: BigInt64Array;
  /** Next-token targets aligned with inputIds (targets[t] = inputIds[t + 1]); any valid id where lossMask is 0. */
  targets: BigInt64Array;
  /** 1 where the target is an assistant token that counts in the loss, else 0. */
  lossMask: Float32Array;
}

export interface LossResult {
  /** Mean cross-entropy over the batch's counted (lossMask = 1) targets. */
  loss: number;
  /** How many targets counted. */
  tokens: number;
}

export interface TrainableParameter {
  shape: number[];
  /** Owned by the model; the optimiser updates it in place between steps. */
  data: Float32Array;
}

export interface TrainableModel {
  /** The trainable tensors (LoRA A and B matrices), by PEFT-style name. */
  readonly parameters: ReadonlyMap<string, TrainableParameter>;
  /** Forward and backward: the loss and d(loss)/d(parameter) for every trainable parameter. */
  lossAndGradients(batch: Batch): Promise<LossResult & { gradients: Map<string, Float32Array> }>;
  /** Forward only (validation). */
  loss(batch: Batch): Promise<LossResult>;
  /** Frees native sessions. */
  dispose(): Promise<void>;
}
