import { spawn } from 'node:child_process';
import { join } from 'node:path';

export const ROOT = join(import.meta.dirname, '..', '..');
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');

export interface ScriptRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a project script through tsx as `npm start` / `npm run cli` do, with a clean environment
 * (PATH, HOME and the given variables only, so a developer's own settings never leak in).
 */
export function runScript(
  script: string,
  args: string[],
  options: { env?: Record<string, string>; input?: string; cwd?: string } = {},
): Promise<ScriptRun> {
  return new Promise((resolve, reject) => {
    const env = { PATH: process.env.PATH!, HOME: process.env.HOME!, ...options.env };
    const child = spawn(TSX, [join(ROOT, script), ...args], { cwd: options.cwd ?? ROOT, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.input ?? '');
  });
}
