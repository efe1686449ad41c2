import { readFile } from 'node:fs/promises';
import { JobAlreadyRunningError, JobCancelledError } from '../../training/jobs/runner';
import { renderRetrainProgress, type RetrainProgress } from '../../training/jobs/progress';
import type { RetrainSummary } from '../../training/jobs/retrain';
import { who } from '../operations';
import { defineCommand } from './command';
import { formatMetrics, operationsOf, plainMessage } from './operations';

/** Progress lines at most this often (platforms rate-limit message edits), except when a step begins. */
const PROGRESS_INTERVAL_MS = 3000;

const seconds = (ms: number) => `${Math.round(ms / 1000)} s`;

/** `/retrain` (admins): fine-tune on the approved conversations, evaluate, promote or explain why not. */
export const retrain = defineCommand({
  name: 'retrain',
  usage: '/retrain [status|cancel]',
  summary: 'fine-tune the model on approved answers now, and promote it if it is no worse',
  description: 'Fine-tune the model on the moderated answers now (admins)',
  permission: 'admin',
  options: [
    {
      name: 'action',
      type: 'choice',
      description: "the running job's status, or cancel it (default: start one)",
      choices: [{ value: 'status' }, { value: 'cancel' }],
    },
  ],
  hint: 'Use /retrain, /retrain status or /retrain cancel.',
  async run({ options: { action }, message, services, progress }) {
    const ops = operationsOf(services);
    const actor = who(message);
    const running = ops.jobs.running();
    if (action === 'status') {
      if (!running) return { kind: 'command', text: 'No training job is running.' };
      return {
        kind: 'command',
        text: `Training (started by ${running.by}): ${running.progress ? renderRetrainProgress(running.progress) : 'starting'}`,
      };
    }
    if (action === 'cancel') {
      if (!running) return { kind: 'command', text: 'No training job is running.' };
      running.cancel();
      await ops.audit.record({ who: actor, action: 'retrain cancel', target: running.id, outcome: 'done' });
      return { kind: 'command', text: 'Cancelling the training job; the active model stays as it is.' };
    }

    let lastReport = 0;
    const onProgress = (event: RetrainProgress) => {
      const now = Date.now();
      if (event.type !== 'step' && now - lastReport < PROGRESS_INTERVAL_MS) return;
      lastReport = now;
      void progress(`Training… ${renderRetrainProgress(event)}`);
    };
    let job;
    try {
      job = await ops.jobs.start('retrain', ops.retrain, { by: actor, onProgress });
    } catch (error) {
      if (error instanceof JobAlreadyRunningError) {
        const text = `Not started: ${plainMessage(error) ?? 'a training job is already running; wait for it or cancel it'}.`;
        return { kind: 'command', text };
      }
      throw error;
    }
    await ops.audit.record({ who: actor, action: 'retrain start', target: job.id, outcome: 'done' });
    await progress('Training started — I will post the result here. The bot keeps answering meanwhile.');
    try {
      const summary = await job.done;
      await ops.audit.record({
        who: actor,
        action: 'retrain finish',
        target: summary.versionId,
        outcome: 'done',
        detail: summary.promoted ? 'promoted' : 'not promoted',
      });
      const verdict = summary.promoted ? `promoted ✅ and now answering` : `not promoted — ${summary.reason}`;
      const png = await readFile(summary.chartPath).catch((error: unknown) => {
        services.log.warn('retrain: the loss chart could not be read', { path: summary.chartPath, error });
        return null;
      });
      return {
        kind: 'command',
        ...(png && {
          image: {
            name: 'loss.png',
            png,
            alt: `Training and validation loss by step while making ${summary.versionId}`,
          },
        }),
        text:
          `Retrain finished in ${seconds(summary.durationMs)}: ${summary.versionId} ${verdict}.\n` +
          `Data: ${summary.dataset.train} training and ${summary.dataset.validation} validation examples. ${slices(summary)}\n` +
          `Metrics: ${formatMetrics(summary.metrics)}.\nReport: ${summary.reportPath} (loss chart: ${summary.chartPath})` +
          (summary.promoted ? '' : `\nTo use it anyway: /model activate ${summary.versionId}`),
      };
    } catch (error) {
      const cancelled = error instanceof JobCancelledError;
      await ops.audit.record({
        who: actor,
        action: 'retrain finish',
        target: job.id,
        outcome: 'failed',
        detail: cancelled ? 'cancelled' : String(error),
      });
      if (cancelled) return { kind: 'command', text: 'Training was cancelled; the active model is unchanged.' };
      services.log.error('retrain failed', { job: job.id, error });
      return {
        kind: 'error',
        text: `Training failed (${plainMessage(error) ?? 'the details are in the bot’s log'}); the active model is unchanged.`,
      };
    }
  },
});

/** How the bot reads with the candidate, slice by slice, beside what users get without it (rules and lessons). */
function slices({ metrics, taught }: Pick<RetrainSummary, 'metrics' | 'taught'>): string {
  const score = (value: number | undefined) => (value === undefined ? 'n/a' : value.toFixed(3));
  const everyday = `everyday messages ${score(metrics.guardedParseMean)} (without it ${score(metrics.rulesParseMean)})`;
  if (!taught) return `Reading with it: ${everyday}; nothing taught yet.`;
  const where = taught.scoredOn === 'validation' ? 'held out' : 'all trained on, so this is recall';
  return (
    `Reading with it: ${everyday}; what moderators taught, ${taught.examples} ${where}, ` +
    `${score(metrics.taughtGuardedParseMean)} (without it ${score(metrics.taughtRulesParseMean)}).`
  );
}
