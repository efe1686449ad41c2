import type { Place, UnitSystem, WeatherAlert, WeatherReport } from '../core/domain';

/** A weather source: geocoding plus a forecast normalized to a WeatherReport. */
export interface WeatherProvider {
  readonly name: WeatherReport['provider'];
  /** Candidate places for a name, best first; an empty list when nothing matches. */
  geocode(name: string, signal: AbortSignal): Promise<Place[]>;
  forecast(place: Place, units: UnitSystem, signal: AbortSignal): Promise<WeatherReport>;
  /** Severe-weather alerts in force or coming at a place; absent where the provider has no alerts service. */
  alerts?(place: Place, signal: AbortSignal): Promise<WeatherAlert[]>;
}

export type WeatherErrorKind = 'place-not-found' | 'provider-down' | 'bad-response';

/** The only error the weather layer throws; `kind` decides the friendly reply. */
export class WeatherError extends Error {
  /** Worth retrying: a network failure, a timeout, HTTP 5xx or 429. */
  readonly transient: boolean;

  constructor(
    readonly kind: WeatherErrorKind,
    message: string,
    options?: { cause?: unknown; transient?: boolean },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'WeatherError';
    this.transient = options?.transient ?? false;
  }
}
