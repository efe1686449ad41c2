/**
 * Child process of the registry tests: a training job (or admin) changing the registry while
 * the test process reads it. Prints `pid <pid>` first, then one line per finished step.
 * Usage: tsx test/helpers/registry-child.ts <root> <command> ...
 *   activate-cycle <rounds> <pauseMs> <id>...   activates the ids in turn, printing `activated <id>`
 *   register-loop <first seed> <count|forever> <onnx bytes>   registers versions, printing
 *     `registering <seed>` as it calls register() and `registered <id> <seed>` when it resolved
 *   activate <id> <lockTimeoutMs>               one activation, printing `ok <ms>` or `error <name> <message>`
 */
import { rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { openRegistry } from '../../training/registry';
import { versionFields, writeModelSource } from './registry-fixtures';

const [root, command, ...args] = process.argv.slice(2);
process.stdout.write(`pid ${process.pid}\n`);

if (command === 'activate-cycle') {
  const registry = await openRegistry(root);
  const [rounds, pauseMs, ...ids] = args;
  for (let round = 0; round < Number(rounds); round += 1) {
    const id = ids[round % ids.length];
    await registry.activate(id);
    process.stdout.write(`activated ${id}\n`);
    if (Number(pauseMs) > 0) await new Promise((done) => setTimeout(done, Number(pauseMs)));
  }
} else if (command === 'register-loop') {
  const registry = await openRegistry(root);
  const [first, count, onnxBytes] = args;
  // Beside the registry, so the test that owns the folder removes what a killed child leaves.
  const work = join(dirname(root), `sources-${process.pid}`);
  try {
    for (let seed = Number(first); count === 'forever' || seed < Number(first) + Number(count); seed += 1) {
      const source = join(work, String(seed));
      await writeModelSource(source, seed, { onnxBytes: Number(onnxBytes) });
      process.stdout.write(`registering ${seed}\n`);
      const version = await registry.register(source, versionFields(seed));
      process.stdout.write(`registered ${version.id} ${seed}\n`);
      await rm(source, { recursive: true });
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
} else if (command === 'activate') {
  const [id, lockTimeoutMs] = args;
  const registry = await openRegistry(root, { lockTimeoutMs: Number(lockTimeoutMs) });
  process.stdout.write('ready\n');
  const started = Date.now();
  try {
    await registry.activate(id);
    process.stdout.write(`ok ${Date.now() - started}\n`);
  } catch (error) {
    process.stdout.write(`error ${(error as Error).name} ${(error as Error).message}\n`);
  }
} else {
  throw new Error(`unknown command ${command}`);
}
