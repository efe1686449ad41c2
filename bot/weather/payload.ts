import { WeatherError } from './provider';

export type JsonObject = Record<string, unknown>;

/** Reads an upstream payload field by field; anything missing or mistyped is a bad-response, never a TypeError. */
export class PayloadReader {
  constructor(readonly service: string) {}

  fail(what: string): WeatherError {
    return new WeatherError('bad-response', `${this.service} sent a malformed or partial response (${what})`);
  }

  object(value: unknown, what: string): JsonObject {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw this.fail(what);
    return value as JsonObject;
  }

  array(value: unknown, what: string): unknown[] {
    if (!Array.isArray(value)) throw this.fail(what);
    return value;
  }

  number(value: unknown, what: string): number {
    if (typeof value !== 'number' || !Number.isFinite(value)) throw this.fail(what);
    return value;
  }

  /** Absent or null is null; present but not a number is still malformed. */
  numberOrNull(value: unknown, what: string): number | null {
    return value === null || value === undefined ? null : this.number(value, what);
  }

  string(value: unknown, what: string): string {
    if (typeof value !== 'string') throw this.fail(what);
    return value;
  }
}
