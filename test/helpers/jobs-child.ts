/**
 * Another process using the job runner on the same data folder as the test. Prints `pid <pid>`
 * first. Usage: tsx test/helpers/jobs-child.ts <command> <dataDir> [seedDir]
 *   start   tries to start a retrain; prints `error <message>` when refused, else `started <job id>` (then cancels it)
 *   run     starts a long retrain of the tiny base and prints `training <job id> <training pid>` once it
 *           trains, then waits (to be killed)
 */
import { JobRunner } from '../../training/jobs/runner';
import { tinyRetrain } from './jobs-fixtures';
import { TRAINING_JOB_ENTRY } from '../../bot/training';

const [command, dataDir, seedDir] = process.argv.slice(2);
process.stdout.write(`pid ${process.pid}\n`);
const runner = new JobRunner({ dataDir, entry: TRAINING_JOB_ENTRY });

if (command === 'start') {
  try {
    const job = await runner.start('retrain', tinyRetrain(seedDir ?? '', 1), { by: 'another process' });
    process.stdout.write(`started ${job.id}\n`);
    job.cancel();
    await job.done.catch(() => undefined);
  } catch (error) {
    process.stdout.write(`error ${(error as Error).message}\n`);
  }
} else if (command === 'run') {
  let printed = false;
  const job = await runner.start('retrain', tinyRetrain(seedDir, 10_000), {
    by: 'a process about to be killed',
    onProgress: (event) => {
      if (printed || event.type !== 'train') return;
      printed = true;
      process.stdout.write(`training ${job.id} ${job.pid}\n`);
    },
  });
  await job.done;
} else {
  throw new Error(`unknown command ${command}`);
}
