/**
 * A message being read: its tokens and what each token has been read as so far. Each rule
 * marks the tokens it uses, so later rules do not read them again ("in 3 days" is a time, not
 * "in" + a place; "the Windy City" is a place, not wind).
 */
import type { Token } from '../core/text';

export type Role = 'ignored' | 'units' | 'time' | 'place' | 'cue';

export class Reading {
  readonly roles: (Role | undefined)[];

  constructor(readonly tokens: Token[]) {
    this.roles = tokens.map(() => undefined);
  }

  readonly isFree = (i: number): boolean => i >= 0 && i < this.tokens.length && this.roles[i] === undefined;

  mark(start: number, end: number, role: Role): void {
    for (let i = start; i < end; i++) this.roles[i] = role;
  }

  /** Whether a word with one of these keys appears (outside ignored phrases). */
  has(keys: ReadonlySet<string>): boolean {
    return this.tokens.some((t, i) => keys.has(t.key) && this.roles[i] !== 'ignored');
  }

  get hasQuestionMark(): boolean {
    return this.tokens.some((t) => t.text === '?');
  }

  get words(): Token[] {
    return this.tokens.filter((t, i) => t.word && this.roles[i] !== 'ignored');
  }
}
