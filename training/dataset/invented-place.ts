/**
 * A reading with its place swapped for a name no list holds. A small model trained only on real cities learns to
 * recall them (it writes a training city for a place it never saw); with invented names beside them, the only way to
 * write the place right is to copy it from the message, which carries over to real places it never saw.
 */
import type { SeedExample } from './seed';

const CONSONANTS = 'bcdfghjklmnprstvwxz';
const VOWELS = 'aeiouy';

/** A pronounceable name of one to three capitalised words, none of which any gazetteer needs to hold. */
export function inventedName(random: () => number): string {
  const pick = (letters: string) => letters[Math.floor(random() * letters.length)];
  const syllable = () =>
    (random() < 0.8 ? pick(CONSONANTS) : '') + pick(VOWELS) + (random() < 0.3 ? pick(CONSONANTS) : '');
  const word = () => {
    const text = Array.from({ length: 2 + Math.floor(random() * 3) }, syllable).join('');
    return text[0].toUpperCase() + text.slice(1);
  };
  const words = random() < 0.75 ? 1 : random() < 0.8 ? 2 : 3;
  return Array.from({ length: words }, word).join(' ');
}

/** `name` written the way `typed` is: all capitals, all lower case, or as it is. */
function casedLike(typed: string, name: string): string {
  if (typed === typed.toUpperCase() && typed !== typed.toLowerCase()) return name.toUpperCase();
  if (typed === typed.toLowerCase()) return name.toLowerCase();
  return name;
}

/**
 * The example with its place, wherever the message spells it (in any case), renamed to an invented name typed in the
 * same case; its reading names the invented place. Null when the reading names no place or the message does not spell
 * it (a nickname: the name is not copied from the message, so there is nothing to teach).
 */
export function withInventedPlace(example: SeedExample, random: () => number): SeedExample | null {
  const { query, message } = example;
  if (!query.weather || query.location === null) return null;
  const at = message.toLowerCase().indexOf(query.location.toLowerCase());
  if (at < 0) return null;
  const typed = message.slice(at, at + query.location.length);
  const name = inventedName(random);
  return {
    ...example,
    message: message.slice(0, at) + casedLike(typed, name) + message.slice(at + typed.length),
    query: { ...query, location: name },
    facts: null,
    answer: null,
  };
}
