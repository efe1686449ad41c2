/**
 * `npm run --silent bench -- <name> [args]`. Each benchmark is a module here exporting
 * `run(args)`, which prints a short table and ends with one `key=value …` line for machines.
 * Modules load only when run: some pull in heavy dependencies.
 */
interface Benchmark {
  usage: string;
  load: () => Promise<{ run(args: string[]): Promise<void> }>;
}

const BENCHMARKS: Record<string, Benchmark> = {
  capture: {
    usage: '[--records 100000] [--captures 2000] [--chunk-size 100] [--naive-records 10000] [--naive-captures 100]',
    load: () => import('./capture'),
  },
  train: {
    usage:
      '[--shape smollm2-135m|smollm2-360m] [--batch 4] [--seq 128] [--rank 8] [--targets q,v] [--threads 2] [--steps 5] [--warmup 1] [--no-pytorch]',
    load: () => import('./train'),
  },
  'matmul-peak': {
    usage: '[--threads 2] [--seconds 1] [--engine-choices]',
    load: () => import('./matmul-peak'),
  },
  reply: {
    usage:
      '[--shape smollm2-135m|smollm2-360m] [--requests 12] [--tokens 32] [--warmup 1] [--prompts 50] [--base <folder>]',
    load: () => import('./reply'),
  },
  learning: {
    usage: '[--drift test/fixtures/learning/drift.jsonl] [--show-misses] [--no-retrain] [--base <folder>]',
    load: () => import('./learning'),
  },
  fuzz: {
    usage: '[--cases 100000] [--seed N] [--progress 1000]',
    load: () => import('./fuzz'),
  },
};

async function main([name, ...args]: string[]): Promise<number> {
  const benchmark = name !== undefined && Object.hasOwn(BENCHMARKS, name) ? BENCHMARKS[name] : undefined;
  if (benchmark === undefined) {
    const lines = Object.entries(BENCHMARKS).map(([known, { usage }]) => `  ${known} ${usage}`);
    process.stderr.write(
      `${name === undefined ? '' : `bench: unknown benchmark "${name}"\n`}usage: npm run --silent bench -- <name> [args]\n${lines.join('\n')}\n`,
    );
    return 2;
  }
  await (await benchmark.load()).run(args);
  // A benchmark that found a problem (fuzz) says so in its exit code.
  return Number(process.exitCode ?? 0);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => {
    process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
