import type { WeatherFacts } from './domain';
import { factsText } from './protocol';

/** Numbers as written: "-3", "6.4", "07:42" (two numbers), "−2"; the hyphen of "Stoke-on-Trent-2" is no minus sign. */
const NUMBER = /(?:(?<![\p{L}\p{N}])-)?\d+(?:\.\d+)?/gu;

export function numbersIn(text: string): number[] {
  return (text.replace(/−/g, '-').match(NUMBER) ?? []).map(Number);
}

/** Whether `stated` is a fact's number as shown, or that number rounded (6.4 may be said as 6). */
const matches = (stated: number, fact: number) =>
  stated === fact || stated === Math.round(fact) || Math.abs(stated - fact) < 1e-9;

/**
 * The numbers in an answer that no fact supports. An answer is grounded when this is empty:
 * it never invents a temperature, a chance, a speed or a time.
 */
export function unsupportedNumbers(answer: string, facts: WeatherFacts): number[] {
  const known = numbersIn(factsText(facts));
  // "-3" read off "temperatures from -3" and "3" read off "3-day" are the same claim.
  return numbersIn(answer).filter((n) => !known.some((f) => matches(n, f) || matches(Math.abs(n), Math.abs(f))));
}

export const isGrounded = (answer: string, facts: WeatherFacts): boolean =>
  unsupportedNumbers(answer, facts).length === 0;
