import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isUnderstanding, type Understanding, type WeatherFacts } from '../../bot/core/domain';
import { PROJECT_DIR } from '../../bot/core/project';

/** The seed dataset shipped with the project. */
export const SHIPPED_SEED_DIR = join(PROJECT_DIR, 'data', 'seed');

/** One line of data/seed/*.jsonl (see data/seed/README.md). */
export interface SeedExample {
  id: string;
  message: string;
  query: Understanding;
  /** What the tool returns; null when the message is not a weather question. */
  facts: WeatherFacts | null;
  answer: string | null;
  source: 'seed';
}

export type SeedSplit = 'train' | 'test' | 'pretrain';

export class SeedFormatError extends Error {
  override name = 'SeedFormatError';
}

function checkExample(value: unknown, where: string): SeedExample {
  const e = value as Partial<SeedExample>;
  const fail = (what: string) => new SeedFormatError(`${where}: ${what}`);
  if (typeof e?.id !== 'string' || typeof e.message !== 'string') throw fail('needs a string id and message');
  if (!isUnderstanding(e.query)) throw fail('query is not a weather query nor {"weather":false}');
  if (e.source !== 'seed') throw fail('source must be "seed"');
  const answered = e.facts !== null && e.facts !== undefined;
  if (answered !== (typeof e.answer === 'string')) throw fail('facts and answer go together (both set or both null)');
  if (answered && !e.query.weather) throw fail('a message that is not about the weather has no facts');
  return {
    id: e.id,
    message: e.message,
    query: e.query,
    facts: e.facts ?? null,
    answer: e.answer ?? null,
    source: 'seed',
  };
}

/** The examples of one split of the seed folder, checked line by line. */
export async function loadSeed(seedDir: string, split: SeedSplit): Promise<SeedExample[]> {
  const file = join(seedDir, `${split}.jsonl`);
  const text = await readFile(file, 'utf-8');
  return text.split('\n').flatMap((line, i) => {
    if (line.trim() === '') return [];
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch (error) {
      throw new SeedFormatError(`${file}:${i + 1}: ${(error as Error).message}`);
    }
    return [checkExample(parsed, `${file}:${i + 1}`)];
  });
}
