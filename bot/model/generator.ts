/**
 * The language model as the assistant sees it: chat messages in, the assistant's next turn out,
 * within a token budget and a wall-clock deadline. It runs a transformers.js model folder
 * (an export) with greedy decoding and stops at `<|im_end|>` or the model's end-of-sequence
 * tokens. One generation runs at a time per model: calls queue in order, and the deadline
 * of each counts from its call, waiting included. (Measured on 2 cores: four parallel calls on
 * one ORT session give the same tokens, but all four finish together at the end, ~1.2 s; queued,
 * they finish at 0.3, 0.6, 0.9 and 1.3 s, and no call's deadline is eaten by another's work.)
 * It serves the folder's int8 weights unless told fp32, decodes under a grammar when asked, and starts each prompt
 * from the KV cache of what it shares with the sequences it wrote last (the query step) or with the prefix it was
 * loaded with (the system prompt).
 */
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import {
  AutoModelForCausalLM,
  AutoTokenizer,
  DynamicCache,
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

/**
 * Sequences whose KV cache is kept: a new prompt starts from the longest one it shares (the system prompt with any
 * earlier message; the whole query step with its answer step, which repeats it before the facts).
 */
const KEPT_SEQUENCES = 2;
/** Shorter shared beginnings are computed again: copying their cache would cost about as much. */
const MIN_REUSED_TOKENS = 8;

/** Tokens and the KV cache of every one of them (each entry [1, kv heads, tokens, head size]). */
interface CachedSequence {
  tokens: readonly bigint[];
  entries: Readonly<Record<string, Tensor>>;
}

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
  /** The newest first. */
  private sequences: CachedSequence[] = [];
  /** The prefix's cache, kept for good. */
  private prefix: CachedSequence | null = null;
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
    const generator = new ModelGenerator(model, tokenizer, [...stops].map(Number), dtype);
    // Queued, not awaited: the model is ready now, and a first prompt waits for it only if it comes at once.
    if (options.prefix?.length) generator.queue = generator.computePrefix(options.prefix).catch(() => {});
    return generator;
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
    const prompt = (inputs.input_ids.tolist() as bigint[][])[0];
    const { cache, reused } = this.cacheFor(prompt);
    const result = (await this.model.generate({
      ...inputs,
      ...(cache ? { past_key_values: cache } : {}),
      return_dict_in_generate: true,
      logits_processor: logitsProcessor,
      do_sample: false,
      max_new_tokens: options.maxNewTokens,
      eos_token_id: [...this.stopTokenIds],
      stopping_criteria: [new DeadlineCriteria(deadline, options.signal)],
    })) as { sequences: Tensor; past_key_values: Record<string, Tensor> & { get_seq_length(): number } };
    const sequence = (result.sequences.tolist() as bigint[][])[0];
    this.keep(sequence, result.past_key_values);
    const generated = sequence.slice(promptLength).map(Number);
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
      reusedTokens: reused,
      finish: stopped ? 'stop' : 'length',
    };
  }

  private async computePrefix(messages: readonly ProtocolMessage[]): Promise<void> {
    const inputs = this.tokenizer.apply_chat_template([...messages], { return_dict: true }) as {
      input_ids: Tensor;
      attention_mask: Tensor;
    };
    const result = (await this.model.generate({
      ...inputs,
      return_dict_in_generate: true,
      do_sample: false,
      max_new_tokens: 1,
    })) as { sequences: Tensor; past_key_values: Record<string, Tensor> & { get_seq_length(): number } };
    this.prefix = cachedSequence((result.sequences.tolist() as bigint[][])[0], result.past_key_values);
  }

  /** The KV cache of the longest beginning `prompt` shares with a kept sequence (its last token is always computed). */
  private cacheFor(prompt: readonly bigint[]): { cache: DynamicCache | null; reused: number } {
    let best: CachedSequence | null = null;
    let length = 0;
    for (const kept of this.prefix ? [...this.sequences, this.prefix] : this.sequences) {
      let shared = 0;
      const most = Math.min(kept.tokens.length, prompt.length - 1);
      while (shared < most && kept.tokens[shared] === prompt[shared]) shared++;
      if (shared > length) [best, length] = [kept, shared];
    }
    if (!best || length < MIN_REUSED_TOKENS) return { cache: null, reused: 0 };
    const entries = Object.fromEntries(
      Object.entries(best.entries).map(([name, tensor]) => [name, tensor.slice(null, null, [0, length], null)]),
    );
    return { cache: new DynamicCache(entries), reused: length };
  }

  /** Keeps the cache a generation ended with. */
  private keep(sequence: readonly bigint[], cache: Record<string, Tensor> & { get_seq_length(): number }): void {
    this.sequences = [cachedSequence(sequence, cache), ...this.sequences].slice(0, KEPT_SEQUENCES);
  }
}

/** A generation's sequence and the cache it ended with, which holds every token of it but the last one written. */
function cachedSequence(
  sequence: readonly bigint[],
  cache: Record<string, Tensor> & { get_seq_length(): number },
): CachedSequence {
  const entries = Object.fromEntries(
    Object.entries(cache).filter((entry): entry is [string, Tensor] => entry[0].startsWith('past_key_values.')),
  );
  return { tokens: sequence.slice(0, cache.get_seq_length()), entries };
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
