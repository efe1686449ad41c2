import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The project's folder: the nearest one above this module that holds package.json. Found rather than fixed so that
 * the source (bot/core/) and the bundles built from it (dist/bot/, dist/scripts/bench/) name the same files.
 */
export const PROJECT_DIR = nearestPackageFolder(dirname(fileURLToPath(import.meta.url)));

function nearestPackageFolder(from: string): string {
  for (let folder = from; ; folder = dirname(folder)) {
    if (existsSync(join(folder, 'package.json'))) return folder;
    if (dirname(folder) === folder) throw new Error(`no package.json above ${from}`);
  }
}
