import { loadConfig, loadDotEnv } from '../../bot/config';
import { openRegistry, registryPath, type ModelRegistry, type RegisteredVersion } from '../../training/registry';

/** One line per version, newest first: id, status, base, metrics, note; the active one marked. */
function line(version: RegisteredVersion, activeId: string | null): string {
  const { manifest } = version;
  const metrics = Object.entries(manifest.metrics)
    .map(([name, value]) => `${name}=${Number.isInteger(value) ? value : value.toFixed(3)}`)
    .join(' ');
  const mark = version.id === activeId ? '*' : ' ';
  return `${mark} ${version.id}  ${manifest.status.padEnd(9)}  ${manifest.baseModel}  ${metrics}${manifest.note ? `  (${manifest.note})` : ''}`;
}

const ACTIONS: Record<string, (registry: ModelRegistry, version: string | undefined) => Promise<string>> = {
  async list(registry) {
    const [versions, active] = await Promise.all([registry.history(), registry.active()]);
    if (versions.length === 0) return 'no model versions yet';
    return versions.map((version) => line(version, active?.id ?? null)).join('\n');
  },
  async activate(registry, version) {
    if (!version) throw new UsageError();
    const id = version === 'latest' ? (await registry.history())[0]?.id : version;
    if (!id) throw new Error('there is no model version to activate');
    return `active: ${(await registry.activate(id)).id} (a running bot switches to it within seconds)`;
  },
  async rollback(registry, version) {
    return `active: ${(await registry.rollback(version)).id} (a running bot switches to it within seconds)`;
  },
};

class UsageError extends Error {}

/**
 * `model list | activate <version|latest> | rollback [version]`: the operators' view of the model registry in
 * DATA_DIR, beside the admins' /model in chat. A running bot follows the change.
 */
export async function run([action, version, ...rest]: string[]): Promise<number> {
  const act = action !== undefined && Object.hasOwn(ACTIONS, action) ? ACTIONS[action] : undefined;
  if (!act || rest.length > 0 || (action === 'list' && version !== undefined)) return 2;
  loadDotEnv();
  const registry = await openRegistry(registryPath(loadConfig().dataDir));
  try {
    process.stdout.write(`${await act(registry, version)}\n`);
    return 0;
  } catch (error) {
    if (error instanceof UsageError) return 2;
    process.stderr.write(`model ${action}: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}
