import { inventedName, withInventedPlace } from '../../training/dataset/invented-place';
import type { SeedExample } from '../../training/dataset/seed';
import { seededRandom } from '../../training/random';

const example = (message: string, location: string | null): SeedExample => ({
  id: 'seed-1',
  message,
  query: { weather: true, location, region: null, when: 'tomorrow', aspect: 'rain', units: null },
  facts: null,
  answer: null,
  source: 'seed',
});

test('invented names are capitalised words of letters, many and different, the same for the same seed', () => {
  const random = seededRandom(3);
  const names = Array.from({ length: 500 }, () => inventedName(random));
  for (const name of names) expect(name).toMatch(/^[A-Z][a-z]+( [A-Z][a-z]+){0,2}$/);
  expect(new Set(names).size).toBeGreaterThan(490);
  expect(names.some((name) => name.includes(' '))).toBe(true);
  const again = seededRandom(3);
  expect(inventedName(again)).toBe(names[0]);
});

test('the place is renamed in the message as it was typed and in the reading capitalised; the rest stays', () => {
  const random = seededRandom(1);
  const lower = withInventedPlace(example('will it rain in addis ababa tomorrow?', 'Addis Ababa'), random)!;
  const name = lower.query.weather ? lower.query.location! : '';
  expect(name).toMatch(/^[A-Z]/);
  expect(lower.message).toBe(`will it rain in ${name.toLowerCase()} tomorrow?`);
  expect(lower.query).toEqual({ ...example('', null).query, location: name });

  const caps = withInventedPlace(example('RAIN IN OSLO TOMORROW', 'Oslo'), random)!;
  const capsName = caps.query.weather ? caps.query.location! : '';
  expect(caps.message).toBe(`RAIN IN ${capsName.toUpperCase()} TOMORROW`);

  const asTyped = withInventedPlace(example('rain in Oslo tomorrow', 'Oslo'), random)!;
  expect(asTyped.message).toBe(`rain in ${asTyped.query.weather ? asTyped.query.location : ''} tomorrow`);
});

test('nothing to rename: no place, a nickname the message does not spell, not weather', () => {
  const random = seededRandom(1);
  expect(withInventedPlace(example('rain tomorrow?', null), random)).toBeNull();
  expect(withInventedPlace(example('rain in the big apple tomorrow?', 'New York'), random)).toBeNull();
  expect(withInventedPlace({ ...example('hi', null), query: { weather: false } }, random)).toBeNull();
});
