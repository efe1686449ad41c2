import { WeatherError } from './provider';

/** Replaces every secret (raw or URL-encoded) in a text, so errors and logs never carry it. */
export function scrub(text: string, secrets: readonly string[]): string {
  return secrets
    .filter((secret) => secret.length > 0)
    .flatMap((secret) => [secret, encodeURIComponent(secret)])
    .reduce((out, secret) => out.split(secret).join('***'), text);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function networkReason(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } } | null)?.cause;
  if (typeof cause?.code === 'string') return cause.code;
  if (typeof cause?.message === 'string') return cause.message;
  return error instanceof Error ? error.message : String(error);
}

/** Both services explain an error in a JSON body: Open-Meteo as `reason`, OpenWeather as `message`. */
function errorReason(body: unknown): string | null {
  if (typeof body !== 'object' || body === null) return null;
  const { reason, message } = body as { reason?: unknown; message?: unknown };
  const text = typeof reason === 'string' ? reason : typeof message === 'string' ? message : null;
  return text?.slice(0, 200) ?? null;
}

/** An upstream HTTP error status as a WeatherError: 5xx and 429 are worth retrying, other 4xx are not. */
export function httpError(
  service: string,
  status: number,
  body: unknown,
  secrets: readonly string[] = [],
): WeatherError {
  const reason = errorReason(body);
  const message = `${service} answered HTTP ${status}${reason ? `: ${reason}` : ''}`;
  return new WeatherError('provider-down', scrub(message, secrets), { transient: status >= 500 || status === 429 });
}

/**
 * GETs a JSON document. Network failures and HTTP errors become provider-down WeatherErrors,
 * a body that is not JSON becomes bad-response; no message ever contains the URL.
 */
export async function getJson(
  service: string,
  url: string,
  signal: AbortSignal,
  secrets: readonly string[] = [],
): Promise<unknown> {
  let text: string;
  let status: number;
  try {
    const response = await fetch(url, { signal, headers: { accept: 'application/json' } });
    status = response.status;
    text = await response.text();
  } catch (error) {
    throw new WeatherError('provider-down', scrub(`${service} unreachable: ${networkReason(error)}`, secrets), {
      transient: true,
    });
  }
  const body = parseJson(text);
  if (status < 200 || status >= 300) throw httpError(service, status, body, secrets);
  if (body === undefined) throw new WeatherError('bad-response', `${service} sent a body that is not JSON`);
  return body;
}
