import { ConfigError } from '../bot/config';

/**
 * `npm run --silent cli -- <command> [args]`. Each command is a module in scripts/cli/
 * exporting `run(args)`, which returns the exit code (2: wrong usage). Modules load only when run.
 */
interface CliCommand {
  usage: string;
  load: () => Promise<{ run(args: string[]): Promise<number> }>;
}

const COMMANDS: Record<string, CliCommand> = {
  parse: {
    usage:
      'parse [--rules|--model]   one message per line on stdin -> one JSON query per line (default: as the chat reads it)',
    load: () => import('./cli/parse'),
  },
  teach: {
    usage:
      'teach              JSONL {"message","reading"} on stdin: each asked, then corrected to its reading -> one JSON line each',
    load: () => import('./cli/teach'),
  },
  ask: { usage: 'ask "<message>"    print the reply the assistant would give', load: () => import('./cli/ask') },
  chart: {
    usage: 'chart "<place>" [--days 7] --out chart.png   the forecast chart /chart posts, as a PNG file',
    load: () => import('./cli/chart'),
  },
  dataset: {
    usage: 'dataset export --format hf|openai [--out file] [--split train|validation|all] | dataset stats',
    load: () => import('./cli/dataset'),
  },
  export: {
    usage:
      'export --model <hf-model-folder> [--adapter <peft-folder>] --out <folder> [--force]   write a transformers.js model folder',
    load: () => import('./cli/export'),
  },
  train: {
    usage:
      'train --base <hf-model-folder|hub-repo|tiny> [--data <jsonl>] [--out <folder>] [--epochs n] [--max-examples n]   fine-tune, evaluate, register',
    load: () => import('./cli/train'),
  },
  evaluate: {
    usage:
      'evaluate [--model <folder|version>] [--samples n]   score a model on the held-out seed split, beside the rules',
    load: () => import('./cli/evaluate'),
  },
  model: {
    usage:
      'model pull [repo] [--revision main] [--offline] | model list | model activate <version|latest> | model rollback [version]',
    load: () => import('./cli/model'),
  },
  manifest: {
    usage: 'manifest slack [--out file]   write the Slack app manifest, its slash commands from the command registry',
    load: () => import('./cli/manifest'),
  },
};

const usage = () =>
  `usage: npm run --silent cli -- <command>\n${Object.values(COMMANDS)
    .map((c) => `  ${c.usage}`)
    .join('\n')}\n`;

async function main([name, ...args]: string[]): Promise<number> {
  const command = name !== undefined && Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  const code = command ? await (await command.load()).run(args) : 2;
  if (code === 2) process.stderr.write(usage());
  return code;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => {
    process.stderr.write(
      error instanceof ConfigError
        ? `Configuration error: ${error.message}\n`
        : `cli: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    process.exit(1);
  },
);
