/**
 * Decoding under a grammar (bot/core/grammar.ts) with transformers.js: a logits processor that leaves, at each step,
 * only the tokens whose bytes keep the text inside the grammar, and the stop tokens once the text is whole. The
 * vocabulary is kept as a byte trie, walked beside the grammar, so a step costs the tokens the grammar allows, not the
 * vocabulary's size.
 */
import { LogitsProcessor, type PreTrainedTokenizer, type Tensor } from '@huggingface/transformers';
import { BYTE_CHARS } from '../core/byte-level';
import { grammarAccepts, grammarStart, grammarStep, type GrammarState, type Rule } from '../core/grammar';

interface TokenNode {
  readonly children: Map<number, TokenNode>;
  /** Tokens whose bytes end here. */
  readonly ids: number[];
}

/** The byte each character of a byte-level vocabulary spells. */
const BYTE_OF_CHAR: ReadonlyMap<string, number> = new Map(BYTE_CHARS.map((char, byte) => [char, byte]));

/** Below this share of byte-level tokens, the vocabulary is not byte-level BPE (SentencePiece's "▁", say). */
const BYTE_LEVEL_SHARE = 0.9;

/** A tokenizer's vocabulary as the grammar sees it. */
export class TokenBytes {
  private constructor(
    private readonly root: TokenNode,
    private readonly bytesById: ReadonlyMap<number, readonly number[]>,
  ) {}

  /** The vocabulary's byte trie, special tokens left out; null when the tokenizer is not byte-level. */
  static of(tokenizer: PreTrainedTokenizer): TokenBytes | null {
    const special = new Set(tokenizer.all_special_ids.map(Number));
    const root: TokenNode = { children: new Map(), ids: [] };
    const bytesById = new Map<number, number[]>();
    let tokens = 0;
    for (const [text, id] of tokenizer.get_vocab()) {
      tokens++;
      if (special.has(id) || text.length === 0) continue;
      const bytes = [...text].map((char) => BYTE_OF_CHAR.get(char));
      if (bytes.some((byte) => byte === undefined)) continue;
      bytesById.set(id, bytes as number[]);
      let node = root;
      for (const byte of bytes as number[]) {
        let child = node.children.get(byte);
        if (!child) node.children.set(byte, (child = { children: new Map(), ids: [] }));
        node = child;
      }
      node.ids.push(id);
    }
    return bytesById.size >= tokens * BYTE_LEVEL_SHARE ? new TokenBytes(root, bytesById) : null;
  }

  /** The bytes of a token (none for a special token). */
  bytesOf(id: number): readonly number[] {
    return this.bytesById.get(id) ?? [];
  }

  /** Tokens that keep the text inside the grammar from `state`. */
  allowed(state: GrammarState): number[] {
    const ids: number[] = [];
    const walk = (node: TokenNode, at: GrammarState) => {
      for (const [byte, child] of node.children) {
        const next = grammarStep(at, byte);
        if (next.length === 0) continue;
        ids.push(...child.ids);
        walk(child, next);
      }
    };
    walk(this.root, state);
    return ids;
  }
}

/**
 * Masks every token the grammar does not allow after the text generated so far. One instance decodes one sequence:
 * it follows the tokens appended after the prompt (`promptLength`).
 */
export class GrammarLogitsProcessor extends LogitsProcessor {
  private state: GrammarState;
  private seen: number;

  constructor(
    rule: Rule,
    private readonly vocabulary: TokenBytes,
    private readonly stopTokenIds: readonly number[],
    promptLength: number,
  ) {
    super();
    this.state = grammarStart(rule);
    this.seen = promptLength;
  }

  override _call(inputIds: bigint[][], logits: Tensor): Tensor {
    const generated = inputIds[0];
    for (; this.seen < generated.length; this.seen++) {
      for (const byte of this.vocabulary.bytesOf(Number(generated[this.seen]))) {
        this.state = grammarStep(this.state, byte);
      }
    }
    const allowed = this.vocabulary.allowed(this.state);
    if (grammarAccepts(this.state)) allowed.push(...this.stopTokenIds);
    // Outside the grammar (it cannot happen from its start) nothing is masked: the guard reads what was written.
    if (allowed.length === 0) return logits;
    const scores = logits.data as Float32Array;
    const kept = allowed.map((id) => scores[id]);
    scores.fill(-Infinity);
    allowed.forEach((id, i) => (scores[id] = kept[i]));
    return logits;
  }
}
