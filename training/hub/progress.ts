/** A one-line terminal progress bar for model downloads. */
import { bar, formatDuration } from '../trainer/progress';
import type { PullProgress } from './pull';

/** Redraws at most this often; every file's last event is drawn regardless. */
const REDRAW_MS = 100;

export function formatBytes(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

/** `bytesPerSecond` counts this session's bytes only, not those resumed from a partial file. */
export function renderPullProgress(progress: PullProgress, bytesPerSecond: number): string {
  const fraction = progress.totalBytes === 0 ? 1 : progress.receivedBytes / progress.totalBytes;
  const eta = bytesPerSecond > 0 ? (progress.totalBytes - progress.receivedBytes) / bytesPerSecond : Infinity;
  return (
    `${bar(fraction)} ${formatBytes(progress.receivedBytes)}/${formatBytes(progress.totalBytes)}` +
    ` · ${formatBytes(bytesPerSecond)}/s · ETA ${formatDuration(eta)} · ${progress.file} (file ${Math.min(progress.filesDone + 1, progress.fileCount)}/${progress.fileCount})`
  );
}

/**
 * An onProgress handler drawing on `stream` (stderr by default): on a terminal one bar redrawn
 * in place; elsewhere, where \r does not redraw, one line per downloaded file.
 */
export function pullProgressBar(
  stream: NodeJS.WritableStream & { isTTY?: boolean } = process.stderr,
): (progress: PullProgress) => void {
  let start: { time: number; bytes: number } | null = null;
  let lastDraw = 0;
  let filesDone = 0;
  return (progress) => {
    const now = Date.now();
    start ??= { time: now, bytes: progress.receivedBytes };
    const fileFinished = progress.filesDone > filesDone;
    filesDone = progress.filesDone;
    if (!stream.isTTY) {
      if (fileFinished)
        stream.write(
          `downloaded ${progress.file} (${formatBytes(progress.fileSize)}), ${progress.filesDone}/${progress.fileCount} files\n`,
        );
      return;
    }
    if (!fileFinished && now - lastDraw < REDRAW_MS) return;
    lastDraw = now;
    const seconds = (now - start.time) / 1000;
    const speed = seconds > 0 ? (progress.receivedBytes - start.bytes) / seconds : 0;
    stream.write(
      `\r\x1b[2K${renderPullProgress(progress, speed)}${progress.filesDone === progress.fileCount ? '\n' : ''}`,
    );
  };
}
