/**
 * Chat examples to token ids through the model's own chat template, with a mask that marks the
 * tokens the model learns to write: each assistant message's content and its end-of-turn token
 * (so it learns to stop), not the system, user or tool turns nor the template's headers.
 *
 * The template is rendered prefix by prefix (messages[0..i], and the assistant header before
 * each assistant turn), so every piece of the full text is known to belong to one turn; the
 * pieces are tokenised on their own and their concatenation must equal the tokenisation of the
 * whole rendering, or the example is refused rather than masked wrongly.
 */

import type { PreTrainedTokenizer } from '@huggingface/transformers';
import { PROTOCOL_ROLES, type ProtocolMessage, type ProtocolRole } from '../../bot/core/protocol';

/**
 * `tool` carries a tool's result (the weather facts of bot/core/protocol.ts); like a user turn, it is read, not
 * learned.
 */
export type ChatRole = ProtocolRole;

export interface ChatMessage extends ProtocolMessage {
  /** OpenAI fine-tuning's per-message weight: 0 keeps an assistant message out of the loss. Default 1. */
  weight?: 0 | 1;
}

/** One training conversation, in the HF "messages" / OpenAI chat fine-tuning shape. */
export interface ChatExample {
  messages: ChatMessage[];
}

export interface EncodedExample {
  ids: Int32Array;
  /** 1 on tokens the model learns to produce (assistant content and end of turn), else 0. */
  assistantMask: Uint8Array;
}

export interface EncodeOptions {
  /** Longest sequence kept; longer examples are refused, never cut mid-answer. */
  maxSeqLen: number;
  /** The token that ends an assistant turn. Default: the tokenizer's eos token (`<|im_end|>` for ChatML). */
  endOfTurn?: string;
}

export type DropReason = 'too-long' | 'no-assistant' | 'invalid' | 'template';

export class EncodeError extends Error {
  override name = 'EncodeError';
  constructor(
    readonly reason: DropReason,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The ids and assistant mask of one example, ending at its last trained token: tokens after it
 * cannot change any trained prediction of a causal model, so they are left out.
 */
export function encodeChat(
  tokenizer: PreTrainedTokenizer,
  example: ChatExample,
  options: EncodeOptions,
): EncodedExample {
  const messages = validMessages(example);
  const endOfTurn = options.endOfTurn ?? tokenizer.eos_token;
  if (!endOfTurn) throw new EncodeError('template', 'the tokenizer has no eos token; pass endOfTurn');
  const render = (count: number, generationPrompt: boolean): string => {
    try {
      return tokenizer.apply_chat_template(messages.slice(0, count), {
        tokenize: false,
        add_generation_prompt: generationPrompt,
      }) as string;
    } catch (error) {
      throw new EncodeError(
        'template',
        `the chat template failed on the first ${count} messages: ${(error as Error).message}`,
      );
    }
  };

  const pieces: Array<{ text: string; trained: boolean }> = [];
  let rendered = '';
  const extendTo = (prefix: string, trained: boolean) => {
    if (!prefix.startsWith(rendered))
      throw new EncodeError(
        'template',
        'the chat template does not render a conversation as an extension of its beginning',
      );
    pieces.push({ text: prefix.slice(rendered.length), trained });
    rendered = prefix;
  };
  messages.forEach((message, i) => {
    if (message.role !== 'assistant') return extendTo(render(i + 1, false), false);
    extendTo(render(i, true), false);
    const turnEnd = render(i + 1, false);
    const turn = turnEnd.slice(rendered.length);
    const stop = turn.lastIndexOf(endOfTurn);
    if (stop < 0) throw new EncodeError('template', `no ${endOfTurn} after assistant message ${i}`);
    extendTo(rendered + turn.slice(0, stop + endOfTurn.length), message.weight !== 0);
    extendTo(turnEnd, false);
  });

  const encode = (text: string) => tokenizer.encode(text, { add_special_tokens: false });
  const ids: number[] = [];
  const mask: number[] = [];
  for (const { text, trained } of pieces) {
    for (const id of encode(text)) {
      ids.push(id);
      mask.push(trained ? 1 : 0);
    }
  }
  const whole = encode(rendered);
  if (whole.length !== ids.length || whole.some((id, i) => id !== ids[i])) {
    throw new EncodeError('template', 'tokenising the turns one by one differs from tokenising the whole conversation');
  }
  const length = mask.lastIndexOf(1) + 1;
  if (length === 0) throw new EncodeError('no-assistant', 'no assistant message to learn from');
  if (length > options.maxSeqLen) throw new EncodeError('too-long', `${length} tokens, more than ${options.maxSeqLen}`);
  return { ids: Int32Array.from(ids.slice(0, length)), assistantMask: Uint8Array.from(mask.slice(0, length)) };
}

function validMessages(example: ChatExample): ChatMessage[] {
  const messages = example?.messages;
  if (!Array.isArray(messages) || messages.length === 0)
    throw new EncodeError('invalid', 'an example needs a non-empty "messages" list');
  messages.forEach((m, i) => {
    if (!(PROTOCOL_ROLES as readonly unknown[]).includes(m?.role) || typeof m.content !== 'string') {
      throw new EncodeError('invalid', `message ${i} needs a role of ${PROTOCOL_ROLES.join('/')} and string content`);
    }
  });
  return messages.map(({ role, content, weight }) => ({ role, content, ...(weight === undefined ? {} : { weight }) }));
}

export interface DroppedExample {
  /** Position in the input list. */
  index: number;
  reason: DropReason;
  message: string;
}

/** Encodes every example; those that cannot be trained on are reported, not silently lost. */
export function encodeChats(
  tokenizer: PreTrainedTokenizer,
  examples: readonly ChatExample[],
  options: EncodeOptions,
): { examples: EncodedExample[]; dropped: DroppedExample[] } {
  const encoded: EncodedExample[] = [];
  const dropped: DroppedExample[] = [];
  examples.forEach((example, index) => {
    try {
      encoded.push(encodeChat(tokenizer, example, options));
    } catch (error) {
      if (!(error instanceof EncodeError)) throw error;
      dropped.push({ index, reason: error.reason, message: error.message });
    }
  });
  return { examples: encoded, dropped };
}
