/**
 * The language model as the assistant sees it: chat messages in, the assistant's next turn out,
 * within a token budget and a wall-clock deadline. It runs a transformers.js model folder
 * (an export) with greedy decoding and stops at `<|im_end|>` or the model's end-of-sequence
 * tokens. One generation runs at a time per model: calls queue in order, and the deadline
 * of each counts from its call, waiting included. (Measured on 2 cores: four parallel calls on
 * one ORT session give the same tokens, but all four finish together at the end, ~1.2 s; queued,
 * they finish at 0.3, 0.6, 0.9 and 1.3 s, and no call's deadline is eaten by another's work.)
 */
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import {
  AutoModelForCausalLM,
  AutoTokenizer,
  LogitsProcessorList,
  StoppingCriteria,
  type PreTrainedModel,
  type PreTrainedTokenizer,
  type Tensor,
} from '@huggingface/transformers';
import {
  ONNX_FILES,
  type GenerateOptions,
  type Generation,
  type GeneratorOptions,
  type ModelDtype,
  type TextGenerator,
} from '../core/generation';
import type { ProtocolMessage } from '../core/protocol';
import { GrammarLogitsProcessor, TokenBytes } from './constrained';

export type { GenerateOptions, Generation, GeneratorOptions } from '../core/generation';

export class GenerationTimeoutError extends Error {
  override name = 'GenerationTimeoutError';
  constructor(readonly timeoutMs: number) {
    super(`generation did not finish within ${timeoutMs} ms`);
  }
}

export class GeneratorDisposedError extends Error {
  override name = 'GeneratorDisposedError';
}

export class ModelFolderError extends Error {
  override name = 'ModelFolderError';
}

/** What a model folder needs for this generator besides the ONNX file (transformers.js reads more when present). */
const REQUIRED_FILES = ['config.json', 'tokenizer.json', 'tokenizer_config.json'];

const TURN_END = '<|im_end|>';

/** Ends generation at the next token once the deadline has passed or the signal aborted. */
class DeadlineCriteria extends StoppingCriteria {
  constructor(
    private readonly deadline: number,
    private readonly signal?: AbortSignal,
  ) {
    super();
  }

  override _call(inputIds: number[][]): boolean[] {
    const stop = Date.now() >= this.deadline || this.signal?.aborted === true;
    return inputIds.map(() => stop);
  }
}

export class ModelGenerator implements TextGenerator {
  /** Settles when every generation queued so far has. */
  private queue: Promise<unknown> = Promise.resolve();
  private disposed: Promise<void> | null = null;
  /** The vocabulary's bytes for decoding under a grammar, made on first use; null when it is not byte-level. */
  private vocabulary: TokenBytes | null | undefined;

  private constructor(
    private readonly model: PreTrainedModel,
    private readonly tokenizer: PreTrainedTokenizer,
    /** Token ids that end the assistant's turn. */
    readonly stopTokenIds: readonly number[],
    /** The weights it runs. */
    readonly dtype: ModelDtype,
  ) {}

  /**
   * Loads an exported model folder (config.json, tokenizer files, the ONNX file of the dtype asked for: q8 unless
   * told otherwise, fp32 where a folder exported before q8 has no int8 weights).
   */
  static async load(modelDir: string, options: GeneratorOptions = {}): Promise<ModelGenerator> {
    const exists = (file: string) =>
      access(join(modelDir, file)).then(
        () => true,
        () => false,
      );
    const wanted = options.dtype ?? 'q8';
    const dtype = wanted === 'q8' && !(await exists(`onnx/${ONNX_FILES.q8}`)) ? 'fp32' : wanted;
    for (const file of [...REQUIRED_FILES, `onnx/${ONNX_FILES[dtype]}`]) {
      if (!(await exists(file)))
        throw new ModelFolderError(`${modelDir} is not a transformers.js model folder: ${file} is missing`);
    }
    const sessionOptions =
      options.threads === undefined ? {} : { intraOpNumThreads: options.threads, interOpNumThreads: 1 };
    const [model, tokenizer] = await Promise.all([
      AutoModelForCausalLM.from_pretrained(modelDir, {
        local_files_only: true,
        dtype,
        session_options: sessionOptions,
      }),
      AutoTokenizer.from_pretrained(modelDir, { local_files_only: true }),
    ]);
    const configured =
      model.generation_config?.eos_token_id ??
      (model.config as { eos_token_id?: number | number[] | null }).eos_token_id ??
      [];
    const turnEnd = tokenizer.get_vocab().get(TURN_END);
    const stops = new Set([
      ...(Array.isArray(configured) ? configured : [configured]),
      ...(turnEnd === undefined ? [] : [turnEnd]),
    ]);
    if (stops.size === 0) {
      await model.dispose();
      throw new ModelFolderError(
        `${modelDir}: the model names no end-of-sequence token and its tokenizer has no ${TURN_END}`,
      );
    }
    return new ModelGenerator(model, tokenizer, [...stops].map(Number), dtype);
  }

  /**
   * The assistant's reply to `messages` (the chat template with a generation prompt, then greedy
   * decoding). Rejects with GenerationTimeoutError at the deadline, with the signal's reason
   * when aborted, and with GeneratorDisposedError after dispose().
   */
  generate(messages: ProtocolMessage[], options: GenerateOptions): Promise<Generation> {
    if (this.disposed) return Promise.reject(new GeneratorDisposedError('the model generator has been disposed'));
    if (options.signal?.aborted) return Promise.reject(options.signal.reason);
    const calledAt = performance.now();
    const deadline = Date.now() + options.timeoutMs;
    const run = this.queue.then(() => this.run(messages, options, deadline, performance.now() - calledAt));
    this.queue = run.catch(() => {});
    return withDeadline(run, options.timeoutMs, options.signal);
  }

  /** Lets queued generations finish, then frees the model's session. */
  dispose(): Promise<void> {
    this.disposed ??= this.queue.then(() => this.model.dispose()).then(() => {});
    return this.disposed;
  }

  private async run(
    messages: ProtocolMessage[],
    options: GenerateOptions,
    deadline: number,
    waitedMs: number,
  ): Promise<Generation> {
    // Whoever waited has been answered already (timeout or abort); skip the work.
    if (Date.now() >= deadline || options.signal?.aborted) throw new GenerationTimeoutError(options.timeoutMs);
    const started = performance.now();
    const inputs = this.tokenizer.apply_chat_template(messages, { add_generation_prompt: true, return_dict: true }) as {
      input_ids: Tensor;
      attention_mask: Tensor;
    };
    const promptLength = inputs.input_ids.dims[1];
    const logitsProcessor = new LogitsProcessorList();
    if (options.grammar) {
      if (this.vocabulary === undefined) this.vocabulary = TokenBytes.of(this.tokenizer);
      if (this.vocabulary) {
        const { grammar } = options;
        logitsProcessor.push(new GrammarLogitsProcessor(grammar, this.vocabulary, this.stopTokenIds, promptLength));
      }
    }
    const sequences = (await this.model.generate({
      ...inputs,
      logits_processor: logitsProcessor,
      do_sample: false,
      max_new_tokens: options.maxNewTokens,
      eos_token_id: [...this.stopTokenIds],
      stopping_criteria: [new DeadlineCriteria(deadline, options.signal)],
    })) as Tensor;
    const generated = (sequences.tolist() as bigint[][])[0].slice(promptLength).map(Number);
    const stopped = generated.length > 0 && this.stopTokenIds.includes(generated[generated.length - 1]);
    if (!stopped && generated.length < options.maxNewTokens) {
      if (options.signal?.aborted) throw options.signal.reason;
      throw new GenerationTimeoutError(options.timeoutMs);
    }
    return {
      text: this.tokenizer.decode(stopped ? generated.slice(0, -1) : generated, { skip_special_tokens: true }),
      tokens: generated.length,
      ms: performance.now() - started,
      waitedMs,
      finish: stopped ? 'stop' : 'length',
    };
  }
}

/** `work`, or a rejection as soon as the time is up or the signal aborts, whichever comes first. */
function withDeadline<T>(work: Promise<T>, timeoutMs: number, signal?: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => finish(() => reject(new GenerationTimeoutError(timeoutMs))), timeoutMs);
    const onAbort = () => finish(() => reject(signal!.reason));
    signal?.addEventListener('abort', onAbort, { once: true });
    function finish(settle: () => void) {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      settle();
    }
    work.then(
      (value) => finish(() => resolve(value)),
      (error: unknown) => finish(() => reject(error)),
    );
  });
}
