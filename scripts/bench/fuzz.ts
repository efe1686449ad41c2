/**
 * The fuzzing harness's long run: generated messages (test/fuzz/arbitraries.ts) through the real
 * Assistant, every property (test/fuzz/properties.ts) checked on each; prints progress, then the
 * count of cases that broke a property by property, a shrunk counterexample for each with the
 * seed and path that replay it, what the cases covered, and last `fuzz_cases=N failures=N crashes=N`
 * (failures: cases that broke a property, plus records the final store sweep found; crashes: cases
 * where the assistant threw or failed inside).
 *
 *   npm run --silent bench -- fuzz [--cases 100000] [--seed N] [--progress 1000]
 */
import { parseArgs } from 'node:util';
import { describeViolation, runFuzz } from '../../test/fuzz/properties';

export async function run(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      cases: { type: 'string', default: '100000' },
      seed: { type: 'string' },
      progress: { type: 'string', default: '1000' },
    },
  });
  const cases = Number(values.cases);
  const seed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(values.seed);
  const every = Number(values.progress);
  if (!Number.isInteger(cases) || cases < 1) throw new Error(`--cases must be a positive whole number`);
  if (!Number.isInteger(seed)) throw new Error(`--seed must be a whole number`);
  if (!Number.isInteger(every) || every < 1) throw new Error(`--progress must be a positive whole number`);
  process.stdout.write(`fuzz: ${cases} cases, seed ${seed}\n`);
  const result = await runFuzz({
    cases,
    seed,
    progressEvery: every,
    onProgress: (p) =>
      process.stdout.write(
        `  ${p.cases}/${cases} cases  failures ${p.failures}  crashes ${p.crashes}  ` +
          `${(p.elapsedMs / 1000).toFixed(1)} s (${Math.round((p.cases * 1000) / Math.max(1, p.elapsedMs))} cases/s)\n`,
      ),
  });
  process.stdout.write(
    `ran ${result.cases} cases in ${(result.elapsedMs / 1000).toFixed(1)} s ` +
      `(${Math.round((result.cases * 1000) / Math.max(1, result.elapsedMs))} cases/s)\n`,
  );
  const { replies, inputs } = result.coverage;
  process.stdout.write(
    `replies by kind: ${JSON.stringify(replies)}\ninputs: ${JSON.stringify(inputs)}\n` +
      `store sweep: ${result.sweep.length} records with a control character\n`,
  );
  for (const v of result.sweep.slice(0, 5)) process.stdout.write(`  ${v.property}: ${v.observed}\n`);
  for (const [property, count] of Object.entries(result.byProperty))
    process.stdout.write(`  ${property}: ${count} failing cases\n`);
  for (const [property, example] of Object.entries(result.examples)) {
    const { first, shrunk } = example;
    process.stdout.write(`\ncounterexample for ${property} (seed ${seed}):\n`);
    process.stdout.write(`  first, case #${first.index}:\n`);
    for (const v of first.violations)
      process.stdout.write(`    ${describeViolation(first.case, v).replace(/\n/g, '\n    ')}\n`);
    if (shrunk) {
      process.stdout.write(`  shrunk (replay: --seed ${seed}, fast-check path "${shrunk.path}"):\n`);
      for (const v of shrunk.violations)
        process.stdout.write(`    ${describeViolation(shrunk.case, v).replace(/\n/g, '\n    ')}\n`);
    }
  }
  process.stdout.write(`fuzz_cases=${result.cases} failures=${result.failures} crashes=${result.crashes}\n`);
  // A script running the long run (a nightly job) must see a broken property without reading the figures.
  if (result.failures > 0 || result.crashes > 0) process.exitCode = 1;
}
