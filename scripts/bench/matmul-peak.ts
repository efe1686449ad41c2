/**
 * MatMul throughput of onnxruntime-node on this machine at SmolLM2-135M shapes (batch 4 × 128
 * tokens against the model's projections): the peak that model FLOP/s are reported against.
 * `--engine-choices` also times the two engine decisions that rest on a measurement: frozen
 * weights as initializers vs fed inputs, and the embedding gradient as ScatterND vs one-hot MatMul.
 *
 *   npm run --silent bench -- matmul-peak [--threads 2] [--seconds 1] [--engine-choices]
 *   npx tsx scripts/bench/matmul-peak.ts [same flags]
 */

import { pathToFileURL } from 'node:url';
import { gradients } from '../../training/engine/autodiff';
import { Graph } from '../../training/engine/graph';
import type { TensorData, Value } from '../../training/engine/graph';
import * as op from '../../training/engine/ops';
import { random } from '../../training/random';
import { Runner } from '../../training/engine/session';
import type { Feed } from '../../training/engine/session';

export interface MatMulMeasurement {
  readonly m: number;
  readonly k: number;
  readonly n: number;
  /** Fastest run: the machine's capability, least disturbed by other processes. */
  readonly msBest: number;
  readonly msMedian: number;
  /** From the fastest run. */
  readonly gflops: number;
}

export interface MatMulPeak {
  /** The best of the shapes below, in GFLOP/s. */
  readonly gflops: number;
  readonly threads: number;
  readonly shapes: readonly MatMulMeasurement[];
}

/** [m, k, n]: 512 tokens through attention (576×576), MLP up (576×1536) and down (1536×576). */
export const SMOLLM_SHAPES: readonly (readonly [number, number, number])[] = [
  [512, 576, 576],
  [512, 576, 1536],
  [512, 1536, 576],
];

export async function measureMatMulPeak({
  threads = 2,
  seconds = 1,
  shapes = SMOLLM_SHAPES,
} = {}): Promise<MatMulPeak> {
  const measured: MatMulMeasurement[] = [];
  for (const [m, k, n] of shapes) {
    const graph = new Graph('matmul');
    const a = graph.input('a', 'float32', [m, k]);
    graph.output('y', op.matmul(a, graph.initializer('b', randomFloat32([k, n]), [k, n])));
    const [{ best, median }] = await timeInterleaved(
      [{ graph, feeds: { a: randomFloat32([m, k]) } }],
      threads,
      seconds,
    );
    measured.push({ m, k, n, msBest: best, msMedian: median, gflops: (2 * m * k * n) / (best * 1e6) });
  }
  return { gflops: Math.max(...measured.map((s) => s.gflops)), threads, shapes: measured };
}

interface Timing {
  readonly best: number;
  readonly median: number;
}

/**
 * Milliseconds per run of each graph over at least `seconds` each, after a warm-up run, running
 * them in turn so that load from other processes on a shared machine falls on all alike.
 */
async function timeInterleaved(
  cases: readonly { graph: Graph; feeds: Record<string, Feed> }[],
  threads: number,
  seconds: number,
): Promise<Timing[]> {
  const runners = await Promise.all(cases.map(({ graph }) => Runner.create(graph, { intraOpThreads: threads })));
  try {
    for (const [i, runner] of runners.entries()) await runner.run(cases[i].feeds);
    const times = runners.map((): number[] => []);
    const end = performance.now() + seconds * 1000 * runners.length;
    while (performance.now() < end || times[0].length < 5) {
      for (const [i, runner] of runners.entries()) {
        const start = performance.now();
        await runner.run(cases[i].feeds);
        times[i].push(performance.now() - start);
      }
    }
    return times.map((t) => t.sort((x, y) => x - y)).map((t) => ({ best: t[0], median: t[Math.floor(t.length / 2)] }));
  } finally {
    await Promise.all(runners.map((r) => r.release()));
  }
}

function randomFloat32(shape: number[], seed = 1): Float32Array {
  return Float32Array.from(random(shape, { seed, low: -0.1, high: 0.1 }));
}

export interface EngineChoices {
  /** Median ms per forward+backward run of a 4-layer MLP whose frozen weights are initializers / fed inputs. */
  readonly frozenAsInitializers: number;
  readonly frozenAsInputs: number;
  /** Median ms per run of an embedding gradient (vocab × dim) as ScatterND add / one-hot MatMul. */
  readonly embeddingScatter: number;
  readonly embeddingOneHot: number;
  readonly embeddingShape: readonly [vocab: number, dim: number, tokens: number];
}

export async function measureEngineChoices({ threads = 2, seconds = 1 } = {}): Promise<EngineChoices> {
  const [tokens, dim, hidden, rank] = [512, 576, 1536, 8];
  const frozenShapes: [number, number][] = [
    [dim, hidden],
    [hidden, dim],
    [dim, hidden],
    [hidden, dim],
  ];
  const frozenData = frozenShapes.map((shape, i) => randomFloat32(shape, 10 + i));
  const loraData = randomFloat32([dim, rank], 20);
  const x = randomFloat32([tokens, dim], 21);

  const mlp = (asInitializers: boolean) => {
    const graph = new Graph('mlp');
    const input = graph.input('x', 'float32', [tokens, dim]);
    const lora = graph.input('lora', 'float32', [dim, rank]);
    const feeds: Record<string, TensorData> = { x, lora: loraData };
    const weights = frozenShapes.map((shape, i) => {
      if (asInitializers) return graph.initializer(`w${i}`, frozenData[i], shape);
      feeds[`w${i}`] = frozenData[i];
      return graph.input(`w${i}`, 'float32', shape);
    });
    const start = op.add(
      input,
      op.matmul(op.matmul(input, lora), graph.constant(randomFloat32([rank, dim], 22), [rank, dim])),
    );
    const out = weights.reduce<Value>((h, w) => op.tanh(op.matmul(h, w)), start);
    graph.output('grad', gradients(op.reduceMean(out), [lora])[0]);
    return { graph, feeds };
  };

  const [vocab, tokensPerBatch] = [49152, 512];
  const ids = BigInt64Array.from({ length: tokensPerBatch }, (_, i) => BigInt((i * 7919) % vocab));
  const upstream = randomFloat32([tokensPerBatch, dim], 23);
  const embedding = (oneHot: boolean) => {
    const graph = new Graph('embedding-grad');
    const idsIn = graph.input('ids', 'int64', [tokensPerBatch]);
    const g = graph.input('g', 'float32', [tokensPerBatch, dim]);
    const grad = oneHot
      ? op.gemm(
          op.cast(
            op.equal(
              op.unsqueeze(idsIn, [1]),
              graph.constant(
                BigInt64Array.from({ length: vocab }, (_, i) => BigInt(i)),
                [1, vocab],
              ),
            ),
            'float32',
          ),
          g,
          { transA: true },
        )
      : op.scatterAdd(op.zeros(graph, [vocab, dim], 'float32'), op.unsqueeze(idsIn, [1]), g);
    graph.output('grad', grad);
    return { graph, feeds: { ids, g: upstream } };
  };

  const medians = async (cases: Parameters<typeof timeInterleaved>[0]) =>
    (await timeInterleaved(cases, threads, seconds)).map((t) => t.median);
  const [frozenAsInitializers, frozenAsInputs] = await medians([mlp(true), mlp(false)]);
  const [embeddingScatter, embeddingOneHot] = await medians([embedding(false), embedding(true)]);
  return {
    frozenAsInitializers,
    frozenAsInputs,
    embeddingScatter,
    embeddingOneHot,
    embeddingShape: [vocab, dim, tokensPerBatch],
  };
}

function flag(args: string[], name: string, fallback: number): number {
  const at = args.indexOf(name);
  return at >= 0 ? Number(args[at + 1]) : fallback;
}

/** Bench entry (scripts/bench/index.ts convention): a short table, then one key=value line. */
export async function run(args: string[]): Promise<void> {
  const threads = flag(args, '--threads', 2);
  const seconds = flag(args, '--seconds', 1);
  const peak = await measureMatMulPeak({ threads, seconds });
  console.log(`onnxruntime-node MatMul, float32, ${threads} intra-op threads, fastest of ${seconds} s per shape`);
  for (const s of peak.shapes) {
    const shape = `[${s.m}x${s.k}] x [${s.k}x${s.n}]`.padEnd(24);
    console.log(
      `  ${shape} best ${s.msBest.toFixed(2).padStart(6)} ms  ${s.gflops.toFixed(1).padStart(6)} GFLOP/s  (median ${s.msMedian.toFixed(2)} ms)`,
    );
  }
  const fields = [`matmul_peak_gflops=${peak.gflops.toFixed(1)}`, `threads=${threads}`];
  if (args.includes('--engine-choices')) {
    const c = await measureEngineChoices({ threads, seconds });
    const [vocab, dim, tokens] = c.embeddingShape;
    console.log('engine choices (ms per run)');
    console.log(
      `  4-layer MLP fwd+bwd, frozen weights as initializers ${c.frozenAsInitializers.toFixed(2)}, as fed inputs ${c.frozenAsInputs.toFixed(2)}`,
    );
    console.log(
      `  embedding gradient ${vocab}x${dim} from ${tokens} tokens: ScatterND ${c.embeddingScatter.toFixed(2)}, one-hot GEMM ${c.embeddingOneHot.toFixed(2)}`,
    );
    fields.push(
      `frozen_initializer_ms=${c.frozenAsInitializers.toFixed(2)}`,
      `frozen_input_ms=${c.frozenAsInputs.toFixed(2)}`,
      `embedding_scatter_ms=${c.embeddingScatter.toFixed(2)}`,
      `embedding_onehot_ms=${c.embeddingOneHot.toFixed(2)}`,
    );
  }
  console.log(fields.join(' '));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  run(process.argv.slice(2)).catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
