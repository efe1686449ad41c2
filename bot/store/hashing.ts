import { createHmac, randomBytes } from 'node:crypto';
import { open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { syncFolder, temporaryPath } from '../core/durable-file';

const HASH_HEX_CHARS = 16;

/** `discord:3f9a…`: an HMAC-SHA256 of the platform id under the store's secret salt, 64 bits in hex. */
export function hashPlatformId(salt: string, platform: string, id: string): string {
  const digest = createHmac('sha256', salt).update(`${platform}:${id}`).digest('hex');
  return `${platform}:${digest.slice(0, HASH_HEX_CHARS)}`;
}

export const SALT_FILE = '.salt';

/**
 * The salt kept in `<dir>/.salt`; created (random, mode 0600) when `create` is set and there is
 * none yet. Returns null when there is none and it may not create one.
 */
export async function loadSalt(
  dir: string,
  { create, fsync }: { create: boolean; fsync: boolean },
): Promise<string | null> {
  const file = join(dir, SALT_FILE);
  try {
    const salt = (await readFile(file, 'utf-8')).trim();
    if (salt === '')
      throw new Error(
        `${file} is empty: restore the salt (hashes made with another salt no longer match) or delete the file`,
      );
    return salt;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  if (!create) return null;
  const salt = randomBytes(32).toString('hex');
  const staging = temporaryPath(file);
  const handle = await open(staging, 'w', 0o600);
  try {
    await handle.writeFile(`${salt}\n`);
    if (fsync) await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(staging, file);
  if (fsync) await syncFolder(dir);
  return salt;
}
