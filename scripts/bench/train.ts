/**
 * LoRA training throughput on SmolLM2 shapes (random weights): tokens/s and peak RSS of
 * `LoraModel.lossAndGradients` (forward + backward in one onnxruntime-node session), next to the
 * same step in PyTorch on the same shapes and threads (scripts/reference/llama_reference.py,
 * when /usr/bin/python3 imports torch; the two alternate step by step), and the model FLOP/s as
 * a share of the MatMul peak measured in the same run. Both sides count the loss on the second
 * half of every sequence (the "assistant" tokens) and compute logits for those rows only.
 *
 *   npm run --silent bench -- train [--shape smollm2-135m|smollm2-360m] [--batch 4] [--seq 128]
 *     [--rank 8] [--targets q,v] [--threads 2] [--steps 5] [--warmup 1] [--no-pytorch]
 *   npx tsx scripts/bench/train.ts [same flags]
 */
import { spawn, spawnSync, type ChildProcessByStdio } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import type { LlamaConfig } from '../../training/model/llama-config';
import { toHfConfig } from '../../training/model/hf-config';
import { randomWeights } from '../../training/model/init';
import { linearShape, loraConfig, type LoraConfig } from '../../training/model/lora';
import { LoraModel } from '../../training/model/model-runner';
import { SINGLE_FILE, writeSafetensors } from '../../training/model/safetensors';
import type { Batch } from '../../training/trainer/trainable';
import { measureMatMulPeak } from './matmul-peak';

export const SHAPES = {
  'smollm2-135m': {
    hiddenSize: 576,
    numHiddenLayers: 30,
    numAttentionHeads: 9,
    numKeyValueHeads: 3,
    intermediateSize: 1536,
  },
  'smollm2-360m': {
    hiddenSize: 960,
    numHiddenLayers: 32,
    numAttentionHeads: 15,
    numKeyValueHeads: 5,
    intermediateSize: 2560,
  },
} as const;
export type ShapeName = keyof typeof SHAPES;

export function smollmConfig(shape: ShapeName): LlamaConfig {
  const s = SHAPES[shape];
  return {
    modelType: 'llama',
    vocabSize: 49152,
    ...s,
    headDim: s.hiddenSize / s.numAttentionHeads,
    rmsNormEps: 1e-5,
    ropeTheta: 100000,
    ropeScaling: null,
    maxPositionEmbeddings: 8192,
    tieWordEmbeddings: true,
    qkvBias: false,
    outputBias: false,
    bosTokenId: 1,
    eosTokenIds: [2],
    padTokenId: 2,
    torchDtype: 'float32',
  };
}

/**
 * FLOPs of one LoRA training step (2 per multiply-add): the forward pass; the backward pass's
 * input gradients of every frozen Linear (as many as its forward) and of attention (twice its
 * forward); LoRA's forward, input and weight gradients (three times its forward). Attention is
 * counted over all T×T scores, as the graph computes them; the head over the counted rows.
 */
export function trainingStepFlops(
  config: LlamaConfig,
  lora: LoraConfig,
  batch: number,
  seq: number,
  lossTokens: number,
): number {
  const tokens = batch * seq;
  const { hiddenSize: c, numHiddenLayers: layers, numAttentionHeads: nh, headDim: hs } = config;
  const targets = ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'] as const;
  const linear = targets.reduce((sum, t) => sum + linearShape(config, t)[0] * linearShape(config, t)[1], 0);
  const loraParams = lora.targetModules.reduce(
    (sum, t) => sum + lora.r * (linearShape(config, t)[0] + linearShape(config, t)[1]),
    0,
  );
  const perLayer = 2 * tokens * linear * 2 + 2 * (2 * batch * nh * seq * seq * hs) * 3 + 2 * tokens * loraParams * 3;
  const head = 2 * lossTokens * c * config.vocabSize * 2;
  return layers * perLayer + head;
}

/** A random batch (fixed seed): every token real, the loss counted on the second half of each row. */
export function benchBatch(batchSize: number, seqLen: number, vocab: number): Batch {
  let state = 12345;
  const next = () => (state = (Math.imul(state, 1103515245) + 12345) >>> 0) % vocab;
  const size = batchSize * seqLen;
  return {
    batchSize,
    seqLen,
    inputIds: BigInt64Array.from({ length: size }, () => BigInt(next())),
    attentionMask: new BigInt64Array(size).fill(1n),
    targets: BigInt64Array.from({ length: size }, () => BigInt(next())),
    lossMask: Float32Array.from({ length: size }, (_, i) => (i % seqLen >= seqLen / 2 ? 1 : 0)),
  };
}

/**
 * Writes config.json and random float32 weights for `shape` into `dir` (run in a child process, so that generating them
 * stays out of the measured peak RSS).
 */
async function makeModel(dir: string, shape: ShapeName): Promise<void> {
  const config = smollmConfig(shape);
  await writeFile(join(dir, 'config.json'), JSON.stringify(toHfConfig(config), null, 2));
  await writeSafetensors(join(dir, SINGLE_FILE), [...randomWeights(config, 0)], { format: 'pt' });
}

function makeModelInChild(dir: string, shape: ShapeName): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [...process.execArgv, fileURLToPath(import.meta.url), '--make-model', dir, '--shape', shape],
      { stdio: 'inherit' },
    );
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`making the ${shape} weights failed (exit ${code})`)),
    );
  });
}

const PYTHON = '/usr/bin/python3';

/**
 * The PyTorch peer, scripts/reference/llama_reference.py in interleaved mode: it builds the same
 * model and warms up, then times one step whenever asked, so that its steps alternate with ours
 * and load from other processes on a shared machine falls on both alike.
 */
class PytorchPeer {
  private readonly lines: AsyncIterator<string>;
  private stderr = '';

  private constructor(private readonly child: ChildProcessByStdio<Writable, Readable, Readable>) {
    this.lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    child.stderr.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
  }

  /** Starts the peer and waits for its warm-up; undefined when /usr/bin/python3 cannot import torch. */
  static async start(
    config: LlamaConfig,
    lora: LoraConfig,
    options: { batch: number; seq: number; threads: number; warmup: number },
  ): Promise<PytorchPeer | undefined> {
    const probe = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' });
    if (probe.error || probe.status !== 0) return undefined;
    const script = fileURLToPath(new URL('../reference/llama_reference.py', import.meta.url));
    const args = [
      script,
      'bench',
      '--interleaved',
      '--hidden',
      config.hiddenSize,
      '--layers',
      config.numHiddenLayers,
      '--heads',
      config.numAttentionHeads,
      '--kv-heads',
      config.numKeyValueHeads,
      '--intermediate',
      config.intermediateSize,
      '--vocab',
      config.vocabSize,
      '--batch',
      options.batch,
      '--seq',
      options.seq,
      '--rank',
      lora.r,
      '--targets',
      lora.targetModules.join(','),
      '--threads',
      options.threads,
      '--warmup',
      options.warmup,
    ].map(String);
    const child = spawn(PYTHON, args, {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, OMP_NUM_THREADS: String(options.threads) },
    });
    const peer = new PytorchPeer(child);
    const first = await peer.line();
    if (first !== 'ready') throw new Error(`llama_reference.py bench: expected "ready", got ${JSON.stringify(first)}`);
    return peer;
  }

  /** Seconds of one training step. */
  async step(): Promise<number> {
    this.child.stdin.write('step\n');
    return Number(await this.line());
  }

  /** Ends the peer: its peak RSS and what it runs on. */
  async finish(): Promise<{ peakRssMb: number; info: string }> {
    this.child.stdin.end();
    const summary = Object.fromEntries((await this.line()).split(/\s+/).map((kv) => kv.split('=') as [string, string]));
    await new Promise((resolve) =>
      this.child.exitCode === null ? this.child.once('exit', resolve) : resolve(undefined),
    );
    return { peakRssMb: Number(summary.peak_rss_mb), info: this.stderr.trim() };
  }

  /** Stops a peer that will not be finished (an error on our side). */
  kill(): void {
    if (this.child.exitCode === null) this.child.kill();
  }

  private async line(): Promise<string> {
    const next = await this.lines.next();
    if (next.done) throw new Error(`llama_reference.py bench ended early:\n${this.stderr}`);
    return next.value;
  }
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

export async function run(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      shape: { type: 'string', default: 'smollm2-135m' },
      batch: { type: 'string', default: '4' },
      seq: { type: 'string', default: '128' },
      rank: { type: 'string', default: '8' },
      targets: { type: 'string', default: 'q,v' },
      threads: { type: 'string', default: '2' },
      steps: { type: 'string', default: '5' },
      warmup: { type: 'string', default: '1' },
      'no-pytorch': { type: 'boolean', default: false },
    },
  });
  const shape = values.shape as ShapeName;
  if (!Object.hasOwn(SHAPES, shape)) throw new Error(`--shape must be one of ${Object.keys(SHAPES).join(', ')}`);
  const [batchSize, seqLen, rank, threads, steps, warmup] = [
    values.batch,
    values.seq,
    values.rank,
    values.threads,
    values.steps,
    values.warmup,
  ].map(Number);
  const config = smollmConfig(shape);
  const lora = loraConfig(rank, 2 * rank, values.targets.split(','));
  const batch = benchBatch(batchSize, seqLen, config.vocabSize);
  const lossTokens = batch.lossMask.reduce((n, m) => n + m, 0);

  const peak = await measureMatMulPeak({ threads });
  const dir = await mkdtemp(join(tmpdir(), `weatherbot-bench-train-${shape}-`));
  const peer = values['no-pytorch']
    ? undefined
    : await PytorchPeer.start(config, lora, { batch: batchSize, seq: seqLen, threads, warmup });
  const [ourTimes, peerTimes]: number[][] = [[], []];
  let loadSeconds: number;
  let firstSeconds: number;
  try {
    await makeModelInChild(dir, shape);
    const loadStart = performance.now();
    const model = await LoraModel.load(dir, { lora, threads });
    loadSeconds = (performance.now() - loadStart) / 1000;
    try {
      const firstStart = performance.now();
      for (let i = 0; i < warmup; i++) await model.lossAndGradients(batch);
      firstSeconds = (performance.now() - firstStart) / 1000;
      for (let i = 0; i < steps; i++) {
        const start = performance.now();
        await model.lossAndGradients(batch);
        ourTimes.push((performance.now() - start) / 1000);
        if (peer) peerTimes.push(await peer.step());
      }
    } finally {
      await model.dispose();
    }
  } catch (error) {
    peer?.kill();
    throw error;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  const peakRssMb = process.resourceUsage().maxRSS / 1024;
  const peerSummary = await peer?.finish();

  // Medians: other processes on a shared machine slow some steps down.
  const tokens = batchSize * seqLen;
  const ours = tokens / median(ourTimes);
  const theirs = peer ? tokens / median(peerTimes) : undefined;
  const flops = trainingStepFlops(config, lora, batchSize, seqLen, lossTokens);
  const gflops = flops / median(ourTimes) / 1e9;
  console.log(
    `LoRA training step, ${shape} shapes (random float32 weights), batch ${batchSize} x ${seqLen}, loss on ${lossTokens} tokens, ` +
      `r=${rank} alpha=${2 * rank} on ${lora.targetModules.join(',')}, ${threads} intra-op threads, ${steps} steps each, alternating`,
  );
  console.log(
    `  weights loaded in ${loadSeconds.toFixed(1)} s; first step (builds the session) ${firstSeconds.toFixed(1)} s`,
  );
  console.log(
    `  onnxruntime-node engine  ${median(ourTimes).toFixed(2)} s/step median (best ${Math.min(...ourTimes).toFixed(2)})  ${ours.toFixed(1)} tokens/s  peak RSS ${peakRssMb.toFixed(0)} MB`,
  );
  if (peerSummary) {
    console.log(
      `  PyTorch (${peerSummary.info})  ${median(peerTimes).toFixed(2)} s/step median (best ${Math.min(...peerTimes).toFixed(2)})  ${theirs!.toFixed(1)} tokens/s  peak RSS ${peerSummary.peakRssMb.toFixed(0)} MB`,
    );
  } else {
    console.log(`  PyTorch: not measured (${values['no-pytorch'] ? '--no-pytorch' : `${PYTHON} cannot import torch`})`);
  }
  console.log(
    `  model ${(flops / 1e9).toFixed(0)} GFLOP/step = ${gflops.toFixed(1)} GFLOP/s, ${((100 * gflops) / peak.gflops).toFixed(0)}% of the MatMul peak ${peak.gflops.toFixed(1)} GFLOP/s`,
  );
  const ratio = theirs ? (ours / theirs).toFixed(2) : 'na';
  console.log(
    `train_tokens_per_s=${ours.toFixed(1)} pytorch_tokens_per_s=${theirs ? theirs.toFixed(1) : 'na'} ratio=${ratio} peak_rss_mb=${peakRssMb.toFixed(0)}`,
  );
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const argv = process.argv.slice(2);
  const at = argv.indexOf('--make-model');
  const shapeAt = argv.indexOf('--shape');
  const main = at >= 0 ? makeModel(argv[at + 1], (argv[shapeAt + 1] ?? 'smollm2-135m') as ShapeName) : run(argv);
  main.catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
