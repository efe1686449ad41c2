/** Offset from UTC of an IANA zone at an instant, in seconds; null for a zone this runtime does not know. */
export function zoneOffsetSeconds(timeZone: string, at: Date): number | null {
  try {
    const label = new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'longOffset' })
      .formatToParts(at)
      .find((part) => part.type === 'timeZoneName')?.value;
    const match = /^GMT(?:([+-])(\d{2}):(\d{2}))?$/.exec(label ?? '');
    if (!match) return null;
    const [, sign, hours = '0', minutes = '0'] = match;
    return (sign === '-' ? -1 : 1) * (Number(hours) * 3600 + Number(minutes) * 60);
  } catch {
    return null;
  }
}

/** "UTC+05:30" / "UTC-03:00": the zone name of a place known only by its offset. */
export function fixedOffsetZone(offsetSeconds: number): string {
  const sign = offsetSeconds < 0 ? '-' : '+';
  const minutes = Math.round(Math.abs(offsetSeconds) / 60);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `UTC${sign}${pad(Math.floor(minutes / 60))}:${pad(minutes % 60)}`;
}

/** Local wall-clock time "YYYY-MM-DDTHH:MM" of a Unix time at a fixed offset. */
export function localIso(unixSeconds: number, offsetSeconds: number): string {
  return new Date((unixSeconds + offsetSeconds) * 1000).toISOString().slice(0, 16);
}

/** The wall-clock time "YYYY-MM-DDTHH:MM" of a place's zone (IANA, or fixedOffsetZone's "UTC+05:30") at an instant. */
export function wallClock(timeZone: string, at: Date): string {
  const fixed = /^UTC([+-])(\d{2}):(\d{2})$/.exec(timeZone);
  const offset = fixed
    ? (fixed[1] === '-' ? -1 : 1) * (Number(fixed[2]) * 3600 + Number(fixed[3]) * 60)
    : (zoneOffsetSeconds(timeZone, at) ?? 0);
  return localIso(Math.floor(at.getTime() / 1000), offset);
}
