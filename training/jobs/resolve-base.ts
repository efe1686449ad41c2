/**
 * The resolve-base step: the model folder a retrain starts from. `tiny` (a small model the project
 * makes itself, once per data folder: pretrain.ts), a model folder, or a hub repo id found in the
 * HF cache (offline; `model pull` fetches it).
 */
import { mkdir, readdir, readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { isRepoId, resolveModel } from '../hub';
import { registryPath } from '../registry';
import type { TrainHooks } from '../trainer';
import { makeTinyBase, RECIPE_FILE, tinyBaseRecipe } from './pretrain';

export const TINY_BASE = 'tiny';

/** Where the `tiny` base of a data folder lives. */
export function tinyBaseDir(dataDir: string): string {
  return join(registryPath(dataDir), 'base-tiny');
}

export interface ResolvedBase {
  /** The model folder. */
  dir: string;
  /** What the registry records as the base: `tiny`, the hub repo id, or the absolute folder path. */
  name: string;
}

/** The model folder `base` names: the tiny base of the data folder (made if needed), a folder, or a hub repo id. */
export async function resolveBase(
  base: string,
  { dataDir, ...making }: { dataDir: string; seedDir: string | null; threads?: number } & TrainHooks,
): Promise<ResolvedBase> {
  if (base !== TINY_BASE) {
    const dir = await resolveModel(base);
    // A folder is named by its absolute path; a repo id found in the HF cache by the id.
    return { dir, name: isRepoId(base) && dir !== resolve(base) ? base : dir };
  }
  return { dir: await ensureTinyBase(tinyBaseDir(dataDir), making), name: TINY_BASE };
}

/**
 * The tiny base in `dir`, made there unless it holds one of the same recipe and data already (under the job lock). It
 * is made in a temporary folder renamed into place, so a job killed or cancelled while making it leaves nothing that
 * looks finished. The hooks follow and cancel the making.
 */
export async function ensureTinyBase(
  dir: string,
  making: { seedDir: string | null; threads?: number } & TrainHooks,
): Promise<string> {
  const recipe = JSON.stringify(await tinyBaseRecipe(making.seedDir));
  const made = await readFile(join(dir, RECIPE_FILE), 'utf8').catch(() => null);
  if (made !== null && JSON.stringify(JSON.parse(made)) === recipe) return dir;
  await mkdir(dirname(dir), { recursive: true });
  for (const name of await readdir(dirname(dir))) {
    if (name.startsWith(`${basename(dir)}.partial-`))
      await rm(join(dirname(dir), name), { recursive: true, force: true }); // a killed job's
  }
  const partial = `${dir}.partial-${process.pid}`;
  await mkdir(partial, { recursive: true });
  try {
    await makeTinyBase(partial, making);
    await rm(dir, { recursive: true, force: true }); // made by another recipe, or not finished
    await rename(partial, dir);
  } catch (error) {
    await rm(partial, { recursive: true, force: true });
    throw error;
  }
  return dir;
}
