/**
 * The drift set (test/fixtures/learning/drift.jsonl): messages of kinds the rules miss today, with gold readings,
 * in teach/test pairs that share a phenomenon but not a message. These checks keep its shape: valid readings,
 * several languages, every phenomenon taught and tested, every gold place known to the Open-Meteo emulator, and
 * the rules alone reading most test messages wrong (so that the set measures what learning adds).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isUnderstanding, type Place, type Understanding, type WeatherQuery } from '../../bot/core/domain';
import { understandByRules } from '../../bot/understanding/rules';
import { placeMatchesRegion } from '../../bot/weather/regions';

const KINDS = ['nickname', 'language', 'slang', 'time', 'typo'] as const;
type Kind = (typeof KINDS)[number];

interface DriftMessage {
  phenomenon: string;
  kind: Kind;
  language: string;
  split: 'teach' | 'test';
  message: string;
  reading: Understanding;
}

const FIXTURE = fileURLToPath(new URL('../fixtures/learning/drift.jsonl', import.meta.url));
const GEOCODING = fileURLToPath(new URL('../fixtures/openmeteo/geocoding.json', import.meta.url));

const lines = readFileSync(FIXTURE, 'utf8')
  .split('\n')
  .filter((line) => line.trim());
const set: DriftMessage[] = lines.map((line) => JSON.parse(line) as DriftMessage);

interface GeocodingResult {
  name: string;
  admin1?: string;
  country?: string;
  country_code?: string;
  latitude: number;
  longitude: number;
  timezone: string;
}
const places: GeocodingResult[] = (JSON.parse(readFileSync(GEOCODING, 'utf8')) as { results: GeocodingResult[] })
  .results;

const FIELDS = ['weather', 'location', 'region', 'when', 'aspect', 'units'] as const;
type Field = (typeof FIELDS)[number];

/** Lower case, no accents, no punctuation, single spaces: "¿Va a llover?" and "va a llover" are one message. */
function normalise(text: string): string {
  return text
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

/** The emulator's geocoder match (test/emulators/openmeteo.ts): the same name, or a prefix of three letters or more. */
function geocode(name: string): GeocodingResult[] {
  const fold = (text: string) => text.normalize('NFD').replace(/\p{M}/gu, '').trim().toLowerCase();
  const wanted = fold(name);
  if (wanted.length < 2) return [];
  return places.filter((p) => fold(p.name) === wanted || (wanted.length >= 3 && fold(p.name).startsWith(wanted)));
}

function asPlace(result: GeocodingResult): Place {
  return {
    name: result.name,
    region: result.admin1 ?? null,
    country: result.country ?? null,
    countryCode: result.country_code?.toUpperCase() ?? null,
    latitude: result.latitude,
    longitude: result.longitude,
    timezone: result.timezone,
    utcOffsetSeconds: 0,
  };
}

/** A field as the rules' reading gives it; a weather field of a reading that is not weather is "(not weather)". */
function fieldOf(reading: Understanding, field: Field): unknown {
  if (field === 'weather') return reading.weather;
  return reading.weather ? (reading as WeatherQuery)[field] : '(not weather)';
}

interface Score {
  messages: number;
  whole: number;
  /** Per field: right and counted (`weather` counts every message, the others only weather questions). */
  fields: Record<Field, { right: number; counted: number }>;
}

function score(messages: DriftMessage[]): Score {
  const result: Score = {
    messages: messages.length,
    whole: 0,
    fields: Object.fromEntries(FIELDS.map((f) => [f, { right: 0, counted: 0 }])) as Score['fields'],
  };
  for (const { message, reading } of messages) {
    const actual = understandByRules(message);
    if (JSON.stringify(actual) === JSON.stringify(reading)) result.whole++;
    for (const field of FIELDS) {
      if (field !== 'weather' && !reading.weather) continue;
      result.fields[field].counted++;
      if (fieldOf(actual, field) === fieldOf(reading, field)) result.fields[field].right++;
    }
  }
  return result;
}

const percent = (right: number, of: number) => (of ? `${Math.round((100 * right) / of)}%` : '–');

describe('the drift set', () => {
  it('has at least 150 messages, each with all its fields', () => {
    expect(set.length).toBeGreaterThanOrEqual(150);
    for (const row of set) {
      expect(Object.keys(row)).toEqual(['phenomenon', 'kind', 'language', 'split', 'message', 'reading']);
      expect(row.phenomenon).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
      expect(KINDS).toContain(row.kind);
      expect(['teach', 'test']).toContain(row.split);
      expect(row.language).toMatch(/^[a-z]{2}$/);
      expect(row.message.trim()).not.toBe('');
    }
  });

  it('gives every message a valid reading, its keys in the order the parse CLI prints them', () => {
    for (const { message, reading } of set) {
      if (!isUnderstanding(reading)) throw new Error(`not a valid reading for ${JSON.stringify(message)}`);
      expect(Object.keys(reading)).toEqual(reading.weather ? [...FIELDS] : ['weather']);
    }
  });

  it('covers every kind, at least four other languages, and messages in them that are not about weather', () => {
    for (const kind of KINDS) expect(set.some((row) => row.kind === kind)).toBe(true);
    const languages = new Set(set.filter((row) => row.language !== 'en').map((row) => row.language));
    expect(languages.size).toBeGreaterThanOrEqual(4);
    const negativeLanguages = new Set(
      set.filter((row) => row.language !== 'en' && !row.reading.weather).map((row) => row.language),
    );
    expect(negativeLanguages.size).toBeGreaterThanOrEqual(4);
    for (const row of set.filter((r) => !r.reading.weather)) {
      const pair = set.filter((r) => r.phenomenon === row.phenomenon);
      expect(pair.every((r) => !r.reading.weather)).toBe(true);
    }
  });

  it('teaches and tests every phenomenon, never with the same message', () => {
    const phenomena = new Map<string, DriftMessage[]>();
    for (const row of set) phenomena.set(row.phenomenon, [...(phenomena.get(row.phenomenon) ?? []), row]);
    for (const [phenomenon, rows] of phenomena) {
      const splits = rows.map((r) => r.split);
      if (!splits.includes('teach') || !splits.includes('test'))
        throw new Error(`${phenomenon} needs a teach and a test message`);
      expect(new Set(rows.map((r) => r.kind)).size).toBe(1);
      expect(new Set(rows.map((r) => r.language)).size).toBe(1);
    }
    const taught = new Set(set.filter((r) => r.split === 'teach').map((r) => normalise(r.message)));
    const tested = set.filter((r) => r.split === 'test').map((r) => r.message);
    expect(tested.filter((m) => taught.has(normalise(m)))).toEqual([]);
    expect(new Set(set.map((r) => normalise(r.message))).size).toBe(set.length);
  });

  it('names only places the Open-Meteo emulator finds, in the region given', () => {
    const missing: string[] = [];
    for (const { reading } of set) {
      if (!reading.weather || reading.location === null) continue;
      const found = geocode(reading.location).map(asPlace);
      const { region } = reading;
      if (!found.some((place) => region === null || placeMatchesRegion(place, region)))
        missing.push(region ? `${reading.location}, ${region}` : reading.location);
    }
    expect([...new Set(missing)]).toEqual([]);
  });

  it('is read mostly wrong by the rules alone: it measures drift', () => {
    const rows: string[] = [];
    for (const split of ['teach', 'test'] as const) {
      for (const kind of [...KINDS, 'all'] as const) {
        const messages = set.filter((r) => r.split === split && (kind === 'all' || r.kind === kind));
        const s = score(messages);
        const fields = FIELDS.map((f) => percent(s.fields[f].right, s.fields[f].counted));
        rows.push(`| ${split} | ${kind} | ${s.messages} | ${percent(s.whole, s.messages)} | ${fields.join(' | ')} |`);
        if (split === 'test') expect(s.whole / s.messages).toBeLessThan(0.5);
      }
    }
    console.log(
      [
        'the rules on the drift set (whole reading, then per field):',
        `| split | kind | messages | whole | ${FIELDS.join(' | ')} |`,
        ...rows,
      ].join('\n'),
    );
  });
});
