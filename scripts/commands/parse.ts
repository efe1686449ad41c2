import { createInterface } from 'node:readline';
import { understandByRules } from '../../bot/understanding/rules';

/** One message per line on stdin -> one JSON query per line on stdout (a blank line too). */
export async function run(): Promise<number> {
  const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const line of lines) process.stdout.write(JSON.stringify(understandByRules(line)) + '\n');
  return 0;
}
