/**
 * LoRA training throughput on SmolLM2 shapes (random weights): tokens/s and peak RSS of
 * `LoraModel.lossAndGradients` (forward + backward in one onnxruntime-node session), next to the
 * same step in PyTorch on the same shapes and threads (scripts/reference/llama_reference.py,
 * when /usr/bin/python3 imports torch), and the model FLOP/s as a share of the MatMul peak
 * measured in the same run. Both sides count the loss on the second half of every sequence
 * (the "assistant" tokens) and compute logits for those rows only.
 *
 *   npm run --silent bench -- train [--shape smollm2-135m|smollm2-360m] [--batch 4] [--seq 128]
 *     [--rank 8] [--targets q,v] [--threads 2] [--steps 5] [--warmup 1] [--no-pytorch]
 *   npx tsx scripts/bench/train.ts [same flags]
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { toHfConfig, type LlamaConfig } from '../../training/model/config';
import { LoraModel } from '../../training/model/llama';
import { linearShape, loraConfig, type LoraConfig } from '../../training/model/lora';
import { SINGLE_FILE, writeSafetensors } from '../../training/model/safetensors';
import { randomLlamaWeights } from '../../training/model/tiny';
import type { Batch } from '../../training/trainer/trainable';
import { measureMatMulPeak } from './matmul-peak';

export const SHAPES = {
  'smollm2-135m': { hiddenSize: 576, numHiddenLayers: 30, numAttentionHeads: 9, numKeyValueHeads: 3, intermediateSize: 1536 },
  'smollm2-360m': { hiddenSize: 960, numHiddenLayers: 32, numAttentionHeads: 15, numKeyValueHeads: 5, intermediateSize: 2560 },
} as const;
export type ShapeName = keyof typeof SHAPES;

export function smollmConfig(shape: ShapeName): LlamaConfig {
  const s = SHAPES[shape];
  return {
    modelType: 'llama', vocabSize: 49152, ...s, headDim: s.hiddenSize / s.numAttentionHeads, rmsNormEps: 1e-5, ropeTheta: 100000,
    ropeScaling: null, maxPositionEmbeddings: 8192, tieWordEmbeddings: true, qkvBias: false, outputBias: false,
    bosTokenId: 1, eosTokenIds: [2], padTokenId: 2, torchDtype: 'float32',
  };
}

/**
 * FLOPs of one LoRA training step (2 per multiply-add): the forward pass; the backward pass's
 * input gradients of every frozen Linear (as many as its forward) and of attention (twice its
 * forward); LoRA's forward, input and weight gradients (three times its forward). Attention is
 * counted over all T×T scores, as the graph computes them; the head over the counted rows.
 */
export function trainingStepFlops(config: LlamaConfig, lora: LoraConfig, batch: number, seq: number, lossTokens: number): number {
  const tokens = batch * seq;
  const { hiddenSize: c, numHiddenLayers: layers, numAttentionHeads: nh, headDim: hs } = config;
  const targets = ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'] as const;
  const linear = targets.reduce((sum, t) => sum + linearShape(config, t)[0] * linearShape(config, t)[1], 0);
  const loraParams = lora.targetModules.reduce((sum, t) => sum + lora.r * (linearShape(config, t)[0] + linearShape(config, t)[1]), 0);
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

/** Writes config.json and random float32 weights for `shape` into `dir` (run in a child process, so that generating them stays out of the measured peak RSS). */
async function makeModel(dir: string, shape: ShapeName): Promise<void> {
  const config = smollmConfig(shape);
  await writeFile(join(dir, 'config.json'), JSON.stringify(toHfConfig(config), null, 2));
  await writeSafetensors(join(dir, SINGLE_FILE), [...randomLlamaWeights(config, 0)], { format: 'pt' });
}

function makeModelInChild(dir: string, shape: ShapeName): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--make-model', dir, '--shape', shape], { stdio: 'inherit' });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`making the ${shape} weights failed (exit ${code})`))));
  });
}

const PYTHON = '/usr/bin/python3';

/** The PyTorch peer's tokens/s, or undefined when torch is not importable here. */
function pytorchPeer(config: LlamaConfig, lora: LoraConfig, options: { batch: number; seq: number; threads: number; steps: number; warmup: number }) {
  const probe = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) return undefined;
  const script = fileURLToPath(new URL('../reference/llama_reference.py', import.meta.url));
  const args = [
    script, 'bench', '--hidden', config.hiddenSize, '--layers', config.numHiddenLayers, '--heads', config.numAttentionHeads,
    '--kv-heads', config.numKeyValueHeads, '--intermediate', config.intermediateSize, '--vocab', config.vocabSize,
    '--batch', options.batch, '--seq', options.seq, '--rank', lora.r, '--targets', lora.targetModules.join(','),
    '--threads', options.threads, '--steps', options.steps, '--warmup', options.warmup,
  ].map(String);
  const run = spawnSync(PYTHON, args, { encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: String(options.threads) } });
  if (run.status !== 0) throw new Error(`llama_reference.py bench failed:\n${run.stderr}`);
  const fields = Object.fromEntries(run.stdout.trim().split(/\s+/).map((kv) => kv.split('=') as [string, string]));
  return { tokensPerSecond: Number(fields.pytorch_tokens_per_s), stepSeconds: Number(fields.step_s), bestSeconds: Number(fields.best_step_s), peakRssMb: Number(fields.peak_rss_mb), info: run.stderr.trim() };
}

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
  const [batchSize, seqLen, rank, threads, steps, warmup] = [values.batch, values.seq, values.rank, values.threads, values.steps, values.warmup].map(Number);
  const config = smollmConfig(shape);
  const lora = loraConfig(rank, 2 * rank, values.targets.split(','));

  const peak = await measureMatMulPeak({ threads });
  const dir = await mkdtemp(join(tmpdir(), `weatherbot-bench-train-${shape}-`));
  let ours: { tokensPerSecond: number; stepSeconds: number; bestSeconds: number; firstSeconds: number; loadSeconds: number };
  const batch = benchBatch(batchSize, seqLen, config.vocabSize);
  const lossTokens = batch.lossMask.reduce((n, m) => n + m, 0);
  try {
    await makeModelInChild(dir, shape);
    const loadStart = performance.now();
    const model = await LoraModel.load(dir, { lora, threads });
    const loadSeconds = (performance.now() - loadStart) / 1000;
    try {
      const firstStart = performance.now();
      for (let i = 0; i < warmup; i++) await model.lossAndGradients(batch);
      const firstSeconds = (performance.now() - firstStart) / 1000;
      const times: number[] = [];
      for (let i = 0; i < steps; i++) {
        const start = performance.now();
        await model.lossAndGradients(batch);
        times.push((performance.now() - start) / 1000);
      }
      // The median step: other processes on a shared machine slow some steps down.
      const stepSeconds = [...times].sort((a, b) => a - b)[Math.floor(times.length / 2)];
      ours = { tokensPerSecond: (batchSize * seqLen) / stepSeconds, stepSeconds, bestSeconds: Math.min(...times), firstSeconds, loadSeconds };
    } finally {
      await model.dispose();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  const peakRssMb = process.resourceUsage().maxRSS / 1024;
  const peer = values['no-pytorch'] ? undefined : pytorchPeer(config, lora, { batch: batchSize, seq: seqLen, threads, steps, warmup });

  const flops = trainingStepFlops(config, lora, batchSize, seqLen, lossTokens);
  const gflops = flops / ours.stepSeconds / 1e9;
  console.log(`LoRA training step, ${shape} shapes (random float32 weights), batch ${batchSize} x ${seqLen}, loss on ${lossTokens} tokens, ` +
    `r=${rank} alpha=${2 * rank} on ${lora.targetModules.join(',')}, ${threads} intra-op threads`);
  console.log(`  weights loaded in ${ours.loadSeconds.toFixed(1)} s; first step (builds the session) ${ours.firstSeconds.toFixed(1)} s`);
  console.log(`  onnxruntime-node engine  ${ours.stepSeconds.toFixed(2)} s/step median (best ${ours.bestSeconds.toFixed(2)})  ${ours.tokensPerSecond.toFixed(1)} tokens/s  peak RSS ${peakRssMb.toFixed(0)} MB`);
  if (peer) {
    console.log(`  PyTorch (${peer.info})  ${peer.stepSeconds.toFixed(2)} s/step median (best ${peer.bestSeconds.toFixed(2)})  ${peer.tokensPerSecond.toFixed(1)} tokens/s  peak RSS ${peer.peakRssMb.toFixed(0)} MB`);
  } else {
    console.log(`  PyTorch: not measured (${values['no-pytorch'] ? '--no-pytorch' : `${PYTHON} cannot import torch`})`);
  }
  console.log(`  model ${(flops / 1e9).toFixed(0)} GFLOP/step = ${gflops.toFixed(1)} GFLOP/s, ${((100 * gflops) / peak.gflops).toFixed(0)}% of the MatMul peak ${peak.gflops.toFixed(1)} GFLOP/s`);
  const ratio = peer ? (ours.tokensPerSecond / peer.tokensPerSecond).toFixed(2) : 'na';
  console.log(`train_tokens_per_s=${ours.tokensPerSecond.toFixed(1)} pytorch_tokens_per_s=${peer ? peer.tokensPerSecond.toFixed(1) : 'na'} ratio=${ratio} peak_rss_mb=${peakRssMb.toFixed(0)}`);
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
