import { createInterface } from 'node:readline';
import { createApp } from '../bot/app';
import { ConfigError, loadConfig, loadDotEnv } from '../bot/config';
import { createLogger } from '../bot/log';
import { understandByRules } from '../bot/understanding/rules';

const USAGE = `usage: npm run --silent cli -- <command>
  parse              one message per line on stdin -> one JSON query per line on stdout
  ask "<message>"    print the reply the assistant would give`;

/** Reads stdin line by line; every line (even a blank one) gets exactly one JSON line back. */
async function parse(): Promise<void> {
  const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const line of lines) process.stdout.write(JSON.stringify(understandByRules(line)) + '\n');
}

async function ask(message: string): Promise<void> {
  loadDotEnv();
  const config = loadConfig();
  const app = await createApp(config, createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel, config.secrets), { readOnly: true });
  try {
    const reply = await app.assistant.handle({ platform: 'cli', channelId: 'cli', author: { id: 'cli', roles: [] }, text: message });
    process.stdout.write(reply.text + '\n');
  } finally {
    await app.close();
  }
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'parse':
      await parse();
      return 0;
    case 'ask':
      if (rest.length === 0) break;
      await ask(rest.join(' '));
      return 0;
  }
  process.stderr.write(USAGE + '\n');
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => {
    process.stderr.write(error instanceof ConfigError ? `Configuration error: ${error.message}\n` : `cli: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
