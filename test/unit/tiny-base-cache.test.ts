import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureTinyBase } from '../../training/jobs';
import { RECIPE_FILE } from '../../training/jobs/pretrain';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tiny-base-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

test('the tiny base is made once per recipe: kept while the recipe holds, made again when it changed', async () => {
  const base = join(dir, 'base-tiny');
  // No pretraining readings (as in the tests' seed subsets): the small random base, made in no time.
  expect(await ensureTinyBase(base, { seedDir: null })).toBe(base);
  expect(JSON.parse(await readFile(join(base, RECIPE_FILE), 'utf8'))).toEqual({ random: true });
  const made = (await stat(join(base, 'model.safetensors'))).mtimeMs;

  await ensureTinyBase(base, { seedDir: null });
  expect((await stat(join(base, 'model.safetensors'))).mtimeMs).toBe(made);

  await writeFile(join(base, RECIPE_FILE), JSON.stringify({ hiddenSize: 64, data: 'older' }));
  await new Promise((resolve) => setTimeout(resolve, 20));
  await ensureTinyBase(base, { seedDir: null });
  expect(JSON.parse(await readFile(join(base, RECIPE_FILE), 'utf8'))).toEqual({ random: true });
  expect((await stat(join(base, 'model.safetensors'))).mtimeMs).toBeGreaterThan(made);
});
