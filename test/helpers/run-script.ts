import { spawn } from 'node:child_process';
import { join } from 'node:path';

export const ROOT = join(import.meta.dirname, '..', '..');
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');

export interface ScriptRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

interface RunOptions {
  env?: Record<string, string>;
  input?: string;
  cwd?: string;
}

/** Runs a project script through tsx as `npm run cli` does (see runCommand). */
export function runScript(script: string, args: string[], options: RunOptions = {}): Promise<ScriptRun> {
  return runCommand(TSX, [join(ROOT, script), ...args], options);
}

/**
 * Runs a command in the project with a clean environment (PATH, HOME and the given variables only, so a developer's
 * own settings never leak in), `input` on its stdin.
 */
export function runCommand(command: string, args: string[], options: RunOptions = {}): Promise<ScriptRun> {
  return new Promise((resolve, reject) => {
    const env = { PATH: process.env.PATH!, HOME: process.env.HOME!, ...options.env };
    const child = spawn(command, args, { cwd: options.cwd ?? ROOT, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.input ?? '');
  });
}
