import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const bench = (...args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'scripts/bench/index.ts', ...args], { cwd: root, encoding: 'utf-8' });

describe('bench dispatcher and capture bench', () => {
  test('an unknown or missing name prints the usage and exits 2', () => {
    for (const args of [['no-such-bench'], []]) {
      const result = bench(...args);
      expect(result.status).toBe(2);
      expect(result.stderr).toMatch(/usage: npm run --silent bench -- <name> \[args\]\n {2}capture /);
    }
    expect(bench('toString').status).toBe(2);
  });

  test('the capture bench ends with its one machine-readable line', () => {
    const result = bench(
      'capture',
      '--records',
      '300',
      '--captures',
      '40',
      '--chunk-size',
      '50',
      '--naive-records',
      '100',
      '--naive-captures',
      '5',
    );
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const lines = result.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^filled 300 exchanges .* 6 chunk files of 50/);
    expect(lines.at(-1)).toMatch(/^capture_p50_ms=\d+(\.\d+)? capture_p99_ms=\d+(\.\d+)? records=300$/);
  });
});
