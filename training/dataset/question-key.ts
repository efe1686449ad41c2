import { createHash } from 'node:crypto';

/**
 * The form of a question used to find duplicates and to place it in a split: lower-case,
 * mentions removed, every run of spaces, punctuation or symbols (emoji included) collapsed to one
 * space. "Will it rain in Paris?? ☔" and "will it rain in paris" are the same question.
 */
export function questionKey(text: string): string {
  return text
    .normalize('NFKC')
    .toLowerCase()
    .replace(/<[@#][!&]?[\w-]*>|(^|[\s(])@[\w.-]+/g, '$1 ')
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

export type Split = 'train' | 'validation';

/**
 * Train or validation from a hash of the question key alone, so a question's split never changes
 * when other data is added, and duplicates of it can never land on both sides.
 */
export function splitOf(key: string, validationFraction: number): Split {
  const bucket = createHash('sha256').update(key).digest().readUInt32BE(0) / 2 ** 32;
  return bucket < validationFraction ? 'validation' : 'train';
}
