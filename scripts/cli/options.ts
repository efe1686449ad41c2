/** A command-line value that is wrong: commands print its message with their usage and exit 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** The whole number of at least `min` given as `--name`; undefined when the option was not given. */
export function wholeNumber(value: string | undefined, name: string, min = 1): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n < min)
    throw new UsageError(`--${name} must be a whole number of at least ${min}, got "${value}"`);
  return n;
}
