import type { Understanding, WeatherFacts } from './domain';

/**
 * The tool-call protocol the model is trained on and prompted with, like a chat model calling a
 * weather function: the user asks; the assistant answers with the query JSON (the call); the
 * tool turn carries the weather facts (the result); the assistant writes the reply from them.
 * One conversation teaches both jobs; inference stops after each assistant turn.
 */

export const PROTOCOL_ROLES = ['system', 'user', 'assistant', 'tool'] as const;
export type ProtocolRole = (typeof PROTOCOL_ROLES)[number];

export interface ProtocolMessage {
  role: ProtocolRole;
  content: string;
}

export const SYSTEM_PROMPT =
  'You are WeatherBot. First turn the user message into a JSON weather query with the keys weather, location, region, when, aspect, units ' +
  '(or {"weather":false} when it is not a weather question). Then, given the tool result, answer in one or two short sentences ' +
  'using only its facts, numbers and units.';

/**
 * Compact JSON, keys in the one order the model learns and its grammar (guard.ts's queryGrammar) allows. Every key is
 * written, null included: leaving the nulls out decodes a third fewer tokens, but the tiny base retrained on that form
 * kept its readings (0.935 against 0.936) and lost answers (fact consistency 0.946 against 0.998, held-out split).
 */
export function queryText(query: Understanding): string {
  if (!query.weather) return JSON.stringify({ weather: false });
  const { location, region, when, aspect, units } = query;
  return JSON.stringify({ weather: true, location, region, when, aspect, units });
}
export const factsText = (facts: WeatherFacts): string => JSON.stringify(facts);

/** What every prompt begins with: a generator keeps its KV cache (GeneratorOptions.prefix). */
export const PROMPT_PREFIX: readonly ProtocolMessage[] = [{ role: 'system', content: SYSTEM_PROMPT }];

/** Step 1 prompt: the model continues with the query JSON. */
export function queryPrompt(message: string): ProtocolMessage[] {
  return [...PROMPT_PREFIX, { role: 'user', content: message }];
}

/** Step 2 prompt: the model continues with the answer. */
export function answerPrompt(message: string, query: Understanding, facts: WeatherFacts): ProtocolMessage[] {
  return [
    ...queryPrompt(message),
    { role: 'assistant', content: queryText(query) },
    { role: 'tool', content: factsText(facts) },
  ];
}

/** A whole training conversation; without facts (not weather, or no answer to learn) it ends after the query. */
export function conversation(
  message: string,
  query: Understanding,
  facts: WeatherFacts | null,
  answer: string | null,
): ProtocolMessage[] {
  if (!facts || answer === null) return [...queryPrompt(message), { role: 'assistant', content: queryText(query) }];
  return [...answerPrompt(message, query, facts), { role: 'assistant', content: answer }];
}
