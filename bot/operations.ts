import { appendFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { ModelRegistry } from '../training/registry';
import type { IncomingMessage } from './chat/message';
import type { JobOptions, JobRunner } from '../training/jobs/runner';

/** What the admin and moderator commands act on: the training jobs, the model registry, the dataset. */
export interface Operations {
  jobs: JobRunner;
  registry: ModelRegistry;
  /** What every retrain is given (base model, store salt). */
  retrain: JobOptions;
  seedDir: string;
  audit: Audit;
}

/** "discord:alice" — how the audit names whoever acted. */
export const who = (message: IncomingMessage): string =>
  `${message.platform}:${message.author.name ?? message.author.id}`;

export interface AuditEntry {
  /** Who acted: "<platform>:<name or id>". */
  who: string;
  action: string;
  target?: string;
  outcome: 'done' | 'refused' | 'failed';
  detail?: string;
}

/** An append-only record of every change and every refused attempt, with who and when. */
export interface Audit {
  record(entry: AuditEntry): Promise<void>;
}

/** JSON lines in a file; one append per entry, so a crash loses at most the entry being written. */
export function fileAudit(path: string): Audit {
  return {
    async record(entry) {
      await mkdir(dirname(path), { recursive: true });
      await appendFile(path, JSON.stringify({ at: new Date().toISOString(), ...entry }) + '\n');
    },
  };
}
