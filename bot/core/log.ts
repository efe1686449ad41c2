export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/**
 * One-line logs on stderr (stdout belongs to the terminal chat and the CLIs). Every line is
 * scrubbed of the configured secret values, wherever they hide (URLs, error texts, fields).
 */
export function createLogger(
  level: LogLevel,
  secrets: readonly string[] = [],
  write: (line: string) => void = (line) => void process.stderr.write(line + '\n'),
): Logger {
  const scrub = (text: string) => secrets.reduce((out, secret) => out.split(secret).join('***'), text);
  const emit = (at: Exclude<LogLevel, 'silent'>) => (message: string, fields?: Record<string, unknown>) => {
    if (ORDER[at] < ORDER[level]) return;
    const extra = fields
      ? ' ' + JSON.stringify(fields, (_key, value) => (value instanceof Error ? value.message : value))
      : '';
    write(scrub(`${new Date().toISOString()} ${at.toUpperCase()} ${message}${extra}`));
  };
  return { debug: emit('debug'), info: emit('info'), warn: emit('warn'), error: emit('error') };
}

export const silentLogger: Logger = createLogger('silent');
