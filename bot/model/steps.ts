/**
 * The model's two jobs in the tool-call protocol, each within the generation limits and each
 * with its fallback: (1) message -> query, guarded by the rules; (2) message, query and facts ->
 * answer, guarded by the facts. A generation that fails or runs out of time falls back too.
 */
import type { Understanding, WeatherFacts, WeatherQuery } from '../core/domain';
import { answerProblem, guardQuery, queryGrammar, type AnswerFallback, type GuardedQuery } from '../core/guard';
import type { Generation, TextGenerator } from '../core/generation';
import { UNMEASURED_SAY, type EarnedSay } from '../core/say';
import { answerPrompt, queryPrompt } from '../core/protocol';
import { NICKNAMES } from '../understanding/places';

/** The step needs generation only: whoever holds the model disposes of it. */
export type Generate = Pick<TextGenerator, 'generate'>;

export interface ModelLimits {
  maxNewTokens: number;
  /** Per step, waiting for the model included. */
  timeoutMs: number;
}

/** Why a generation gave nothing to check. */
export type GenerationFailure = 'timeout' | 'error';

export interface QueryStep extends Omit<GuardedQuery, 'fallback'> {
  fallback: GuardedQuery['fallback'] | GenerationFailure;
  /** What the model wrote and what it cost; null when generation failed. */
  generation: Generation | null;
}

export interface AnswerStep {
  /** The model's answer, or null when the template must stand in. */
  text: string | null;
  fallback: AnswerFallback | GenerationFailure | null;
  generation: Generation | null;
}

// By name: importing the class would load transformers.js into processes that never run a model.
const failureOf = (error: unknown): GenerationFailure =>
  error instanceof Error && error.name === 'GenerationTimeoutError' ? 'timeout' : 'error';

/** Step 1: the model's query for `message`, or the rules' where the guard says so, given the say its version earned. */
export async function writeQuery(
  generator: Generate,
  message: string,
  rules: Understanding,
  limits: ModelLimits,
  say: EarnedSay = UNMEASURED_SAY,
): Promise<QueryStep> {
  let generation: Generation;
  try {
    generation = await generator.generate(queryPrompt(message), {
      ...limits,
      grammar: queryGrammar(message, rules, NICKNAMES),
    });
  } catch (error) {
    return { query: rules, by: 'rules', fallback: failureOf(error), corrections: [], generation: null };
  }
  return { ...guardQuery(message, generation.text, rules, NICKNAMES, say), generation };
}

/** Step 2: the model's answer from the facts, or null (with the reason) when the template must stand in. */
export async function writeAnswer(
  generator: Generate,
  message: string,
  query: WeatherQuery,
  facts: WeatherFacts,
  limits: ModelLimits,
): Promise<AnswerStep> {
  let generation: Generation;
  try {
    generation = await generator.generate(answerPrompt(message, query, facts), limits);
  } catch (error) {
    return { text: null, fallback: failureOf(error), generation: null };
  }
  const text = generation.text.trim();
  const problem = answerProblem(text, generation.finish, facts);
  return { text: problem === null ? text : null, fallback: problem, generation };
}
