/**
 * What a model may write, as a byte-level automaton: decoding under a grammar takes, at each step, the likeliest token
 * that keeps the text a prefix of something the grammar accepts (bot/model/constrained.ts), as llama.cpp's grammars
 * and structured outputs do. A grammar here is finite — literals, each followed by another rule or by the end — which
 * is all the query step needs, and it is matched on UTF-8 bytes because byte-level tokens may split a character.
 */

/** Alternatives: each a literal and the rule that follows it (null: the text ends after it). */
export type Rule = ReadonlyArray<readonly [literal: string, then: Rule | null]>;

interface Node {
  readonly edges: Map<number, Node>;
  /** Where the text goes on once a literal ends here. */
  readonly then: Node[];
  accepting: boolean;
}

/** Where the text may be: the automaton's current nodes. Empty once the text left the grammar. */
export type GrammarState = readonly Node[];

const newNode = (): Node => ({ edges: new Map(), then: [], accepting: false });
const encoder = new TextEncoder();

// Rules shared by many grammars (the query's `when`, say, has a thousand literals) are compiled once.
const compiled = new WeakMap<Rule, Node>();

function compile(rule: Rule): Node {
  const known = compiled.get(rule);
  if (known) return known;
  const root = newNode();
  compiled.set(rule, root);
  for (const [literal, then] of rule) {
    let node = root;
    for (const byte of encoder.encode(literal)) {
      let next = node.edges.get(byte);
      if (!next) node.edges.set(byte, (next = newNode()));
      node = next;
    }
    if (then === null) node.accepting = true;
    else node.then.push(compile(then));
  }
  return root;
}

/** The state before anything is written. */
export function grammarStart(rule: Rule): GrammarState {
  return [compile(rule)];
}

/** The state after one more byte. */
export function grammarStep(state: GrammarState, byte: number): GrammarState {
  const next: Node[] = [];
  for (const node of state) {
    for (const from of [node, ...node.then]) {
      const to = from.edges.get(byte);
      if (to && !next.includes(to)) next.push(to);
    }
  }
  return next;
}

/** Whether the text written so far is a whole sentence of the grammar. */
export function grammarAccepts(state: GrammarState): boolean {
  return state.some((node) => node.accepting);
}

/** Whether `text` is a whole sentence of the grammar. */
export function grammarMatches(rule: Rule, text: string): boolean {
  let state = grammarStart(rule);
  for (const byte of encoder.encode(text)) state = grammarStep(state, byte);
  return grammarAccepts(state);
}
