/**
 * Polls `probe` until it gives a truthy value, and returns that value; fails after `timeoutMs`
 * naming `what` (a function when the name needs the state at the time of failure).
 */
export async function eventually<T>(
  probe: () => T | Promise<T>,
  what: string | (() => string),
  timeoutMs = 10_000,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${typeof what === 'string' ? what : what()}`);
    await new Promise((wake) => setTimeout(wake, 20));
  }
}
