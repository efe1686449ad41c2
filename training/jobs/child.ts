/**
 * The training process's side of a job. JobRunner (runner.ts) forks a composition root (the bot's
 * is bot/training-job.ts), which builds the pieces a retrain needs and calls serveRetrainJob: it
 * hears one `start`, sends progress and the outcome back, and `cancel` aborts the run between
 * steps. The bot's process only waits on messages, so it keeps answering while this one computes,
 * at a lower CPU priority.
 */
import { setPriority } from 'node:os';
import type { ChildMessage, ParentMessage } from './messages';
import { retrain, RetrainCancelledError, type RetrainServices } from './retrain';

export function serveRetrainJob(services: RetrainServices): void {
  if (!process.send) throw new Error('a training job runs as a JobRunner child process (it needs an IPC channel)');
  const controller = new AbortController();
  let running = false;

  const send = (message: ChildMessage): Promise<void> =>
    new Promise((done) => {
      if (!process.connected) return done();
      process.send!(message, undefined, {}, () => done());
    });

  const run = async (message: Extract<ParentMessage, { type: 'start' }>): Promise<void> => {
    running = true;
    try {
      setPriority(message.niceness);
    } catch {
      // Some systems refuse; the job then competes with the bot at the same priority.
    }
    try {
      const summary = await retrain(message.options, services, {
        signal: controller.signal,
        onProgress: (event) => void send({ type: 'progress', event }),
      });
      await send({ type: 'done', summary });
    } catch (error) {
      if (error instanceof RetrainCancelledError) await send({ type: 'cancelled', message: error.message });
      else {
        const { name, message: text, stack } = error instanceof Error ? error : new Error(String(error));
        await send({ type: 'failed', error: { name, message: text, stack } });
      }
    }
    process.exit(0);
  };

  process.on('message', (message: ParentMessage) => {
    if (message.type === 'cancel') controller.abort(new Error('cancelled by request'));
    else if (message.type === 'start') void run(message);
  });
  // The runner's process is gone (the bot stopped or crashed), or Ctrl-C reached the whole process
  // group: stop as a cancel would, cleaning up, rather than die with the work folder half-written.
  const stop = (why: string) => (running ? controller.abort(new Error(why)) : process.exit(0));
  process.on('disconnect', () => stop('the process that started the job went away'));
  process.on('SIGINT', () => stop('interrupted (SIGINT)'));
  process.on('SIGTERM', () => stop('terminated (SIGTERM)'));
}
