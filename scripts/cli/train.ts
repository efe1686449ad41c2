import { cp, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig, loadDotEnv } from '../../bot/config';
import type { ChatExample, ChatRole } from '../../training/encoding';
import { renderRetrainProgress, type RetrainProgress } from '../../training/jobs/progress';
import { retrain, type Hyperparameters, type RetrainSummary } from '../../training/jobs/retrain';
import { openRegistry, registryPath } from '../../training/registry';
import { progressBar } from '../../training/trainer/progress';
import { PROTOCOL_ROLES } from '../../bot/core/protocol';
import { UsageError, wholeNumber } from './options';
import { trainingServices } from '../../bot/training';

export const USAGE = `usage: npm run --silent cli -- train --base <hf-model-folder|hub-repo|tiny> [options]
  --data <jsonl>         extra conversations in HF "messages" format (as \`dataset export --format hf\` writes), added to training
  --out <folder>         also copy the exported transformers.js model folder there
  --epochs <n>           passes over the training data (default: the base's recipe)
  --max-examples <n>     train on at most n conversations (moderated exchanges first)
  --seed-dir <folder>    the seed dataset (default data/seed)
  --threads <n>          ORT intra-op threads
Runs the retrain pipeline here (prepare, fine-tune, export, evaluate, register, promote) on DATA_DIR.
`;

export class TrainDataError extends Error {
  override name = 'TrainDataError';
}

/** The conversations of an HF "messages" JSONL file, checked line by line. */
export async function readHfConversations(path: string): Promise<ChatExample[]> {
  const lines = (await readFile(path, 'utf-8')).split('\n');
  return lines.flatMap((line, i) => {
    if (line.trim() === '') return [];
    const where = `${path}:${i + 1}`;
    let record: { messages?: unknown };
    try {
      record = JSON.parse(line) as { messages?: unknown };
    } catch (error) {
      throw new TrainDataError(`${where}: ${(error as Error).message}`);
    }
    const messages = record?.messages;
    const valid =
      Array.isArray(messages) &&
      messages.length > 0 &&
      messages.every(
        (m: { role?: unknown; content?: unknown }) =>
          (PROTOCOL_ROLES as readonly unknown[]).includes(m?.role) && typeof m.content === 'string',
      );
    if (!valid)
      throw new TrainDataError(
        `${where}: expected {"messages":[{"role":"system|user|assistant|tool","content":"…"},…]}`,
      );
    if (!messages.some((m: { role: ChatRole }) => m.role === 'assistant'))
      throw new TrainDataError(`${where}: the conversation has no assistant turn to learn`);
    return [
      { messages: messages.map(({ role, content }: { role: ChatRole; content: string }) => ({ role, content })) },
    ];
  });
}

/** Step and info lines stay; the trainer's bar redraws one line on a terminal. */
function terminalProgress(stream: NodeJS.WriteStream = process.stderr): (event: RetrainProgress) => void {
  const bar = progressBar(stream);
  return (event) => {
    if (event.type === 'train') bar(event.event);
    else stream.write(`${stream.isTTY ? '\r\x1b[2K' : ''}${renderRetrainProgress(event)}\n`);
  };
}

const HEADLINE = [
  'validationLoss',
  'parseMean',
  'guardedParseMean',
  'rulesParseMean',
  'factConsistency',
  'chrF',
  'latencyMsP50',
] as const;

function headline(summary: RetrainSummary): string {
  const shown = HEADLINE.filter((name) => summary.metrics[name] !== undefined).map(
    (name) => `  ${name.padEnd(18)} ${summary.metrics[name].toFixed(name === 'latencyMsP50' ? 0 : 4)}`,
  );
  return (
    [
      `${summary.versionId} ${summary.promoted ? 'promoted (now active)' : 'registered, not promoted'}: ${summary.reason}`,
      `data: ${summary.dataset.train} training, ${summary.dataset.validation} validation conversations; ${Math.round(summary.durationMs / 1000)} s`,
      ...shown,
      `report: ${summary.reportPath}`,
    ].join('\n') + '\n'
  );
}

export async function run(args: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        base: { type: 'string' },
        data: { type: 'string' },
        out: { type: 'string' },
        epochs: { type: 'string' },
        'max-examples': { type: 'string' },
        'seed-dir': { type: 'string' },
        threads: { type: 'string' },
      },
    }));
  } catch (error) {
    process.stderr.write(`train: ${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  if (!values.base) {
    process.stderr.write(`train: --base is required\n${USAGE}`);
    return 2;
  }
  loadDotEnv();
  const config = loadConfig(process.env);
  try {
    const hyperparameters: Partial<Hyperparameters> = {};
    const epochs = wholeNumber(values.epochs, 'epochs');
    const maxExamples = wholeNumber(values['max-examples'], 'max-examples');
    if (epochs !== undefined) hyperparameters.epochs = epochs;
    if (maxExamples !== undefined) hyperparameters.maxTrainExamples = maxExamples;
    const extraTrain = values.data ? await readHfConversations(values.data) : undefined;
    if (extraTrain) process.stderr.write(`${extraTrain.length} extra conversations from ${values.data}\n`);
    const summary = await retrain(
      {
        dataDir: config.dataDir,
        base: values.base,
        storeSalt: config.storeSalt ?? undefined,
        seedDir: values['seed-dir'],
        hyperparameters,
        gate: { everydayTolerance: config.retrain.everydayTolerance },
        threads: wholeNumber(values.threads, 'threads'),
        dtype: config.model.dtype,
        extraTrain,
      },
      trainingServices,
      { onProgress: terminalProgress() },
    );
    if (values.out) {
      const version = await (await openRegistry(registryPath(config.dataDir))).get(summary.versionId);
      await cp(version.modelDir, values.out, { recursive: true });
      process.stderr.write(`model folder copied to ${join(values.out)}\n`);
    }
    process.stdout.write(headline(summary));
    return 0;
  } catch (error) {
    process.stderr.write(
      `train: ${error instanceof Error ? error.message : String(error)}\n${error instanceof UsageError ? USAGE : ''}`,
    );
    return error instanceof UsageError ? 2 : 1;
  }
}
