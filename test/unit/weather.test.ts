import type { Place } from '../../bot/core/domain';
import { conditionFromOpenWeather, conditionFromWmo, severity } from '../../bot/weather/conditions';
import { createWeatherProvider } from '../../bot/weather/factory';
import { scrub } from '../../bot/weather/http';
import { placeMatchesRegion, countryName } from '../../bot/weather/regions';
import { fixedOffsetZone, localIso, zoneOffsetSeconds } from '../../bot/weather/time';

const place = (fields: Partial<Place>): Place => ({
  name: 'X',
  region: null,
  country: null,
  countryCode: null,
  latitude: 0,
  longitude: 0,
  timezone: 'UTC',
  utcOffsetSeconds: 0,
  ...fields,
});

describe('WMO codes', () => {
  test.each([
    [0, 'clear', 'clear sky'],
    [2, 'partly-cloudy', 'partly cloudy'],
    [3, 'cloudy', 'overcast'],
    [45, 'fog', 'fog'],
    [51, 'drizzle', 'light drizzle'],
    [57, 'freezing-rain', 'dense freezing drizzle'],
    [65, 'rain', 'heavy rain'],
    [75, 'snow', 'heavy snow'],
    [82, 'rain', 'violent rain showers'],
    [95, 'thunderstorm', 'thunderstorm'],
    [96, 'thunderstorm', 'thunderstorm with hail'],
  ])('%i is %s (%s)', (code, expected, text) => {
    expect(conditionFromWmo(code)).toEqual({ code: expected, text });
  });

  test('an undocumented code has no condition', () => {
    expect(conditionFromWmo(42)).toBeNull();
  });
});

describe('OpenWeather condition ids', () => {
  test.each([
    [201, 'thunderstorm'],
    [301, 'drizzle'],
    [500, 'rain'],
    [511, 'freezing-rain'],
    [521, 'rain'],
    [601, 'snow'],
    [611, 'sleet'],
    [616, 'sleet'],
    [621, 'snow'],
    [741, 'fog'],
    [781, 'thunderstorm'],
    [800, 'clear'],
    [802, 'partly-cloudy'],
    [804, 'cloudy'],
  ])('%i is %s', (id, code) => {
    expect(conditionFromOpenWeather(id, 'Some Words ')?.code).toBe(code);
  });

  test("keeps OpenWeather's wording, lower case", () => {
    expect(conditionFromOpenWeather(502, 'Heavy intensity rain')).toEqual({
      code: 'rain',
      text: 'heavy intensity rain',
    });
    expect(conditionFromOpenWeather(999, 'x')).toBeNull();
  });

  test('severity orders thunder above snow above rain above cloud', () => {
    const rank = (id: number) => severity(conditionFromOpenWeather(id, 'x')!);
    expect(rank(201)).toBeGreaterThan(rank(601));
    expect(rank(601)).toBeGreaterThan(rank(500));
    expect(rank(500)).toBeGreaterThan(rank(804));
    expect(rank(804)).toBeGreaterThan(rank(800));
  });
});

describe('region matching', () => {
  const parisTexas = place({ name: 'Paris', region: 'Texas', country: 'United States', countryCode: 'US' });
  const parisFrance = place({ name: 'Paris', region: 'Île-de-France', country: 'France', countryCode: 'FR' });
  const london = place({ name: 'London', region: 'England', country: 'United Kingdom', countryCode: 'GB' });
  const quebec = place({ name: 'Montreal', region: 'Québec', country: 'Canada', countryCode: 'CA' });

  test('US state abbreviations and names', () => {
    for (const region of ['TX', 'tx', 'Texas', 'texas ']) expect(placeMatchesRegion(parisTexas, region)).toBe(true);
    expect(placeMatchesRegion(parisTexas, 'TN')).toBe(false);
    expect(placeMatchesRegion(parisFrance, 'TX')).toBe(false);
  });

  test('country codes, names and nicknames', () => {
    for (const region of ['US', 'USA', 'U.S.A.', 'United States', 'America'])
      expect(placeMatchesRegion(parisTexas, region)).toBe(true);
    for (const region of ['UK', 'GB', 'England', 'Great Britain', 'United Kingdom'])
      expect(placeMatchesRegion(london, region)).toBe(true);
    for (const region of ['FR', 'France', 'Ile-de-France']) expect(placeMatchesRegion(parisFrance, region)).toBe(true);
    expect(placeMatchesRegion(parisFrance, 'UK')).toBe(false);
    expect(placeMatchesRegion(london, 'France')).toBe(false);
  });

  test('several after commas: the place lies in each', () => {
    for (const region of ['Texas, US', 'tx, United States', 'US, TX'])
      expect(placeMatchesRegion(parisTexas, region)).toBe(true);
    expect(placeMatchesRegion(parisTexas, 'Texas, France')).toBe(false);
    expect(placeMatchesRegion(parisFrance, 'Texas, US')).toBe(false);
    expect(placeMatchesRegion(london, 'England, UK')).toBe(true);
  });

  test('accents and province codes', () => {
    expect(placeMatchesRegion(quebec, 'Quebec')).toBe(true);
    expect(placeMatchesRegion(quebec, 'QC')).toBe(true);
    // "CA" is both California and Canada: either reading matches.
    expect(placeMatchesRegion(quebec, 'CA')).toBe(true);
    expect(placeMatchesRegion(place({ region: 'California', countryCode: 'US' }), 'CA')).toBe(true);
    expect(placeMatchesRegion(place({ region: 'District of Columbia', countryCode: 'US' }), 'D.C.')).toBe(true);
    expect(placeMatchesRegion(place({ region: 'Washington, D.C.', countryCode: 'US' }), 'DC')).toBe(true);
  });

  test('country names come from ISO codes', () => {
    expect(countryName('gb')).toBe('United Kingdom');
    expect(countryName('BR')).toBe('Brazil');
    expect(countryName('QQ')).toBeNull();
  });
});

describe('time helpers', () => {
  test('zone offsets follow daylight saving', () => {
    expect(zoneOffsetSeconds('Asia/Tokyo', new Date('2026-07-01T00:00:00Z'))).toBe(9 * 3600);
    expect(zoneOffsetSeconds('America/New_York', new Date('2026-01-15T12:00:00Z'))).toBe(-5 * 3600);
    expect(zoneOffsetSeconds('America/New_York', new Date('2026-07-15T12:00:00Z'))).toBe(-4 * 3600);
    expect(zoneOffsetSeconds('Asia/Kolkata', new Date())).toBe(5.5 * 3600);
    expect(zoneOffsetSeconds('Not/AZone', new Date())).toBeNull();
  });

  test('fixed offsets and local wall-clock times', () => {
    expect(fixedOffsetZone(19800)).toBe('UTC+05:30');
    expect(fixedOffsetZone(-10800)).toBe('UTC-03:00');
    expect(fixedOffsetZone(0)).toBe('UTC+00:00');
    expect(localIso(Date.parse('2026-11-25T20:10:00Z') / 1000, 9 * 3600)).toBe('2026-11-26T05:10');
  });
});

test('scrub removes a secret in raw and URL-encoded form', () => {
  expect(scrub('key=a/b+c&x=a%2Fb%2Bc and a/b+c', ['a/b+c'])).toBe('key=***&x=*** and ***');
  expect(scrub('nothing here', [''])).toBe('nothing here');
});

describe('createWeatherProvider', () => {
  test('Open-Meteo without a key, OpenWeather with one or when forced', () => {
    expect(createWeatherProvider().name).toBe('open-meteo');
    expect(createWeatherProvider({ openWeatherApiKey: '  ' }).name).toBe('open-meteo');
    expect(createWeatherProvider({ openWeatherApiKey: 'k' }).name).toBe('openweather');
    expect(createWeatherProvider({ provider: 'openmeteo', openWeatherApiKey: 'k' }).name).toBe('open-meteo');
    expect(() => createWeatherProvider({ provider: 'openweather' })).toThrow(/API key/);
  });
});
