/** The file work of the registry: listing a version's files, hashing them, copying and flushing them. */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { copyFile, mkdir, open, readdir, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { syncFolder } from '../../bot/core/durable-file';
import { MODEL_DTYPES, ONNX_FILES, type ModelDtype } from '../../bot/core/generation';
import type { FileRecord } from './version-manifest';

/**
 * Paths ('/'-separated, relative to `dir`) of every file under `dir`, sorted, except the names
 * `skip` at its top. Links and special files are refused: a version holds plain files only.
 */
export async function listFiles(dir: string, skip: readonly string[] = []): Promise<string[]> {
  const files: string[] = [];
  async function walk(relative: string): Promise<void> {
    for (const entry of await readdir(join(dir, relative), { withFileTypes: true })) {
      const path = relative === '' ? entry.name : `${relative}/${entry.name}`;
      if (relative === '' && skip.includes(entry.name)) continue;
      if (entry.isDirectory()) await walk(path);
      else if (entry.isFile()) files.push(path);
      else throw new Error(`${join(dir, path)} is a link or special file; a model folder holds plain files only`);
    }
  }
  await walk('');
  return files.sort();
}

export async function describeFile(file: string): Promise<FileRecord> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of createReadStream(file)) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { sha256: hash.digest('hex'), bytes };
}

export async function describeFiles(dir: string, files: readonly string[]): Promise<Record<string, FileRecord>> {
  const records: Record<string, FileRecord> = {};
  for (const file of files) {
    const dtype = dtypeOfFile(file);
    records[file] = { ...(await describeFile(join(dir, file))), ...(dtype ? { dtype } : {}) };
  }
  return records;
}

/** The dtype of an exported ONNX file or of its data file, by transformers.js's names; undefined for other files. */
export function dtypeOfFile(path: string): ModelDtype | undefined {
  const [folder, name] = path.split('/').slice(-2);
  if (folder !== 'onnx') return undefined;
  return MODEL_DTYPES.find((dtype) => name === ONNX_FILES[dtype] || name === `${ONNX_FILES[dtype]}_data`);
}

export async function fileSize(file: string): Promise<number> {
  return (await stat(file)).size;
}

export async function copyFiles(from: string, to: string, files: readonly string[]): Promise<void> {
  for (const folder of foldersOf(to, files)) await mkdir(folder, { recursive: true });
  for (const file of files) await copyFile(join(from, file), join(to, file));
}

/** Flushes `files` under `dir` and every folder holding them (deepest first) to the disk. */
export async function syncTree(dir: string, files: readonly string[]): Promise<void> {
  for (const file of files) {
    const handle = await open(join(dir, file), 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  }
  const folders = foldersOf(dir, files).sort((a, b) => b.length - a.length);
  for (const folder of folders) await syncFolder(folder);
}

function foldersOf(dir: string, files: readonly string[]): string[] {
  const folders = new Set<string>([dir]);
  for (const file of files) {
    for (let folder = dirname(join(dir, file)); folder.length > dir.length; folder = dirname(folder))
      folders.add(folder);
  }
  return [...folders];
}
