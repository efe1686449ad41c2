import type { Place, UnitSystem, WeatherAlert, WeatherReport } from '../core/domain';
import { WeatherError, type WeatherProvider } from './provider';
import { placeMatchesRegion } from './regions';

export interface WeatherServiceOptions {
  /** Per attempt. */
  timeoutMs?: number;
  /** Extra attempts after a transient failure. */
  retries?: number;
  /** First backoff; doubles each retry, with jitter. */
  backoffMs?: number;
  /** Forecast cache lifetime; 0 turns caching off. */
  ttlMs?: number;
  geocodeTtlMs?: number;
  /** How long "no such place" is remembered; short, so a place the geocoder missed once is found again soon. */
  notFoundTtlMs?: number;
  /** Entries kept per cache before the oldest go. */
  maxEntries?: number;
  now?: () => number;
  random?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

interface Entry<T> {
  value: T;
  expiresAt: number;
}

const MINUTE = 60_000;
/** "No such place" answers are kept this long at most; found places for `geocodeTtlMs`. */
export const NOT_FOUND_TTL_MS = 5 * MINUTE;

/** Normalized for cache keys: case, accents and spacing do not make a new lookup. */
function key(text: string): string {
  return text.normalize('NFD').replace(/\p{M}/gu, '').trim().replace(/\s+/g, ' ').toLowerCase();
}

/** Resolves places and fetches forecasts through one provider: cached, coalesced, timed out, retried. */
export class WeatherService {
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly backoffMs: number;
  private readonly ttlMs: number;
  private readonly geocodeTtlMs: number;
  private readonly notFoundTtlMs: number;
  private readonly maxEntries: number;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly geocodes = new Map<string, Entry<Place[]>>();
  private readonly forecasts = new Map<string, Entry<WeatherReport>>();
  private readonly inFlight = new Map<string, Promise<unknown>>();

  constructor(
    readonly provider: WeatherProvider,
    options: WeatherServiceOptions = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.retries = options.retries ?? 2;
    this.backoffMs = options.backoffMs ?? 250;
    this.ttlMs = options.ttlMs ?? 10 * MINUTE;
    this.geocodeTtlMs = options.geocodeTtlMs ?? 24 * 60 * MINUTE;
    this.notFoundTtlMs = Math.min(options.notFoundTtlMs ?? NOT_FOUND_TTL_MS, this.geocodeTtlMs);
    this.maxEntries = options.maxEntries ?? 1000;
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  /**
   * The place a user means. With a region ("TX", "Texas", "UK", "France") the first candidate in
   * it; without, the geocoder's best. "Paris, TX" in `location` counts as a region too.
   */
  async resolvePlace(location: string, region: string | null): Promise<Place> {
    let name = location.trim();
    let within = region?.trim() || null;
    const comma = name.lastIndexOf(',');
    if (within === null && comma > 0) {
      within = name.slice(comma + 1).trim() || null;
      name = name.slice(0, comma).trim();
    }
    if (!name) throw new WeatherError('place-not-found', 'No place was named');
    const candidates = await this.cached(
      this.geocodes,
      `geocode:${key(name)}`,
      (found) => (found.length > 0 ? this.geocodeTtlMs : this.notFoundTtlMs),
      (signal) => this.provider.geocode(name, signal),
    );
    const place =
      within === null ? candidates[0] : candidates.find((candidate) => placeMatchesRegion(candidate, within));
    if (!place)
      throw new WeatherError(
        'place-not-found',
        within ? `No place called "${name}" in ${within}` : `No place called "${name}"`,
      );
    return place;
  }

  /** The report for a place; places within about a kilometre share one cache entry. */
  async forecast(place: Place, units: UnitSystem): Promise<WeatherReport> {
    const cacheKey = `forecast:${place.latitude.toFixed(2)},${place.longitude.toFixed(2)}:${units}`;
    return this.cached(
      this.forecasts,
      cacheKey,
      () => this.ttlMs,
      (signal) => this.provider.forecast(place, units, signal),
    );
  }

  /** Whether the provider issues severe-weather alerts (OpenWeather does; Open-Meteo has no alerts service). */
  get hasAlerts(): boolean {
    return this.provider.alerts !== undefined;
  }

  /** The alerts at a place now, asked afresh each time (timeout and retries); none without an alerts service. */
  alerts(place: Place): Promise<WeatherAlert[]> {
    const alertsOf = this.provider.alerts?.bind(this.provider);
    if (!alertsOf) return Promise.resolve([]);
    return this.withRetries((signal) => alertsOf(place, signal));
  }

  private cached<T>(
    cache: Map<string, Entry<T>>,
    cacheKey: string,
    /** How long a loaded value is kept; failures are never kept. */
    ttlOf: (value: T) => number,
    load: (signal: AbortSignal) => Promise<T>,
  ): Promise<T> {
    const hit = cache.get(cacheKey);
    if (hit && hit.expiresAt > this.now()) return Promise.resolve(hit.value);
    cache.delete(cacheKey);
    const pending = this.inFlight.get(cacheKey);
    if (pending) return pending as Promise<T>;
    const request = this.withRetries(load)
      .then((value) => {
        const ttlMs = ttlOf(value);
        if (ttlMs > 0) {
          cache.set(cacheKey, { value, expiresAt: this.now() + ttlMs });
          if (cache.size > this.maxEntries) cache.delete(cache.keys().next().value!);
        }
        return value;
      })
      .finally(() => this.inFlight.delete(cacheKey));
    this.inFlight.set(cacheKey, request);
    return request;
  }

  private async withRetries<T>(load: (signal: AbortSignal) => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.attempt(load);
      } catch (caught) {
        const error = caught as WeatherError;
        if (!error.transient) throw error;
        if (attempt >= this.retries) {
          const tries = attempt + 1;
          throw new WeatherError(
            'provider-down',
            `${this.provider.name} failed ${tries} time${tries > 1 ? 's' : ''}: ${error.message}`,
            { cause: error },
          );
        }
        const ceiling = this.backoffMs * 2 ** attempt;
        await this.sleep(ceiling / 2 + (this.random() * ceiling) / 2);
      }
    }
  }

  /** One try under its own deadline; a provider that ignores the signal is abandoned all the same. */
  private async attempt<T>(load: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const controller = new AbortController();
    const timedOut = new WeatherError('provider-down', `no answer within ${this.timeoutMs} ms`, { transient: true });
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        controller.abort(timedOut);
        reject(timedOut);
      }, this.timeoutMs);
    });
    try {
      return await Promise.race([load(controller.signal), deadline]);
    } catch (error) {
      if (controller.signal.aborted) throw timedOut;
      if (error instanceof WeatherError) throw error;
      throw new WeatherError(
        'bad-response',
        `${this.provider.name} failed unexpectedly: ${error instanceof Error ? error.message : String(error)}`,
      );
    } finally {
      clearTimeout(timer);
    }
  }
}
