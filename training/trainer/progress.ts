/** A one-line terminal progress bar for training progress events. */

import type { TrainProgress } from './train';

const WIDTH = 24;

/** "████░░░░…": a fraction from 0 to 1 drawn as a fixed-width bar. */
export function bar(fraction: number): string {
  const filled = Math.round(Math.min(1, Math.max(0, fraction)) * WIDTH);
  return '█'.repeat(filled) + '░'.repeat(WIDTH - filled);
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.max(0, Math.round(seconds));
  const [h, m] = [Math.floor(s / 3600), Math.floor((s % 3600) / 60)];
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : m > 0 ? `${m}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

const loss = (value: number | null) => (value === null ? '–' : value.toFixed(4));

/** The text of one event: a bar line for a step, a summary line for an epoch. */
export function renderProgress(event: TrainProgress): string {
  if (event.type === 'epoch') {
    const verdict = event.improved ? 'best so far' : `best ${loss(event.bestValidationLoss)}`;
    const stop = event.stopping ? ' · early stop' : '';
    return `epoch ${event.epoch}/${event.epochs} done · train ${loss(event.trainLoss)} · val ${loss(event.validationLoss)} (${verdict})${stop}`;
  }
  return (
    `epoch ${event.epoch}/${event.epochs} ${bar(event.step / event.totalSteps)} ${event.step}/${event.totalSteps} · loss ${loss(event.loss)} · val ${loss(event.validationLoss)}` +
    ` · lr ${event.learningRate.toExponential(1)} · ${Math.round(event.tokensPerSecond)} tok/s · ETA ${formatDuration(event.etaSeconds)}`
  );
}

/** An onProgress handler drawing on `stream` (stderr by default): steps redraw one line, epochs keep theirs. */
export function progressBar(
  stream: NodeJS.WritableStream & { isTTY?: boolean } = process.stderr,
): (event: TrainProgress) => void {
  return (event) => {
    const line = renderProgress(event);
    // Off a terminal \r does not redraw, so only epoch lines are written there.
    if (event.type === 'epoch') stream.write(`${stream.isTTY ? '\r\x1b[2K' : ''}${line}\n`);
    else if (stream.isTTY) stream.write(`\r\x1b[2K${line}`);
  };
}
