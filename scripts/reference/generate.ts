/**
 * Regenerates test/fixtures/reference/llama-reference.json: builds each tiny reference model
 * (cases.ts), saves the reference adapter in PEFT format, runs the independent PyTorch model
 * (llama_reference.py, float64) on the reference batch, and keeps its logits, loss and LoRA
 * gradients. Needs /usr/bin/python3 with torch (Debian: python3-torch libopenblas0-pthread).
 *
 *   npx tsx scripts/reference/generate.ts
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { saveLoraAdapter } from '../../training/model/lora';
import {
  FIXTURE,
  makeReferenceModel,
  REFERENCE_BATCH,
  REFERENCE_CASES,
  referenceAdapter,
  type ReferenceFixture,
} from './cases';

const SCRIPT = fileURLToPath(new URL('./llama_reference.py', import.meta.url));
const PYTHON = '/usr/bin/python3';

/** Eight significant digits: far below the tests' tolerances, and a third of the bytes. */
const compact = (values: number[]) => values.map((v) => Number(v.toPrecision(8)));

async function main(): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'llama-reference-'));
  const batch = REFERENCE_BATCH;
  const inputs = {
    batch: batch.batchSize,
    seq: batch.seqLen,
    input_ids: Array.from(batch.inputIds, Number),
    attention_mask: Array.from(batch.attentionMask, Number),
    targets: Array.from(batch.targets, Number),
    loss_mask: Array.from(batch.lossMask),
  };
  const version = spawnSync(PYTHON, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' });
  if (version.status !== 0) throw new Error(`${PYTHON} cannot import torch: ${version.stderr}`);
  const fixture: ReferenceFixture = {
    generatedBy: `scripts/reference/generate.ts, torch ${version.stdout.trim()}, float64`,
    cases: {},
  };
  try {
    const inputsPath = join(root, 'inputs.json');
    await writeFile(inputsPath, JSON.stringify(inputs));
    for (const c of REFERENCE_CASES) {
      const modelDir = join(root, c.name, 'model');
      const adapterDir = join(root, c.name, 'adapter');
      const outPath = join(root, c.name, 'out.json');
      const { config, sha256 } = await makeReferenceModel(modelDir, c);
      await saveLoraAdapter(adapterDir, referenceAdapter(config));
      const run = spawnSync(
        PYTHON,
        [SCRIPT, 'reference', '--model', modelDir, '--adapter', adapterDir, '--inputs', inputsPath, '--out', outPath],
        { encoding: 'utf8' },
      );
      if (run.status !== 0) throw new Error(`${c.name}: llama_reference.py failed:\n${run.stderr}`);
      const out = JSON.parse(await readFile(outPath, 'utf8')) as {
        logits: number[];
        loss: number;
        gradients: Record<string, number[]>;
      };
      fixture.cases[c.name] = {
        modelSha256: sha256,
        loss: out.loss,
        logits: compact(out.logits),
        gradients: Object.fromEntries(Object.entries(out.gradients).map(([name, g]) => [name, compact(g)])),
      };
      console.log(
        `${c.name}: loss ${out.loss.toFixed(6)}, ${out.logits.length} logits, ${Object.keys(out.gradients).length} LoRA gradients`,
      );
    }
    await writeFile(FIXTURE, `${JSON.stringify(fixture)}\n`);
    console.log(`wrote ${FIXTURE}`);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
