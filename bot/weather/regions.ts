import type { Place } from '../core/domain';

/** Postal abbreviations people write after a city name, to the region names geocoders return. */
const REGION_ABBREVIATIONS: Record<string, string[]> = {
  // United States
  AL: ['Alabama'],
  AK: ['Alaska'],
  AZ: ['Arizona'],
  AR: ['Arkansas'],
  CA: ['California'],
  CO: ['Colorado'],
  CT: ['Connecticut'],
  DE: ['Delaware'],
  DC: ['District of Columbia', 'Washington, D.C.'],
  FL: ['Florida'],
  GA: ['Georgia'],
  HI: ['Hawaii'],
  ID: ['Idaho'],
  IL: ['Illinois'],
  IN: ['Indiana'],
  IA: ['Iowa'],
  KS: ['Kansas'],
  KY: ['Kentucky'],
  LA: ['Louisiana'],
  ME: ['Maine'],
  MD: ['Maryland'],
  MA: ['Massachusetts'],
  MI: ['Michigan'],
  MN: ['Minnesota'],
  MS: ['Mississippi'],
  MO: ['Missouri'],
  MT: ['Montana'],
  NE: ['Nebraska'],
  NV: ['Nevada'],
  NH: ['New Hampshire'],
  NJ: ['New Jersey'],
  NM: ['New Mexico'],
  NY: ['New York'],
  NC: ['North Carolina'],
  ND: ['North Dakota'],
  OH: ['Ohio'],
  OK: ['Oklahoma'],
  OR: ['Oregon'],
  PA: ['Pennsylvania'],
  RI: ['Rhode Island'],
  SC: ['South Carolina'],
  SD: ['South Dakota'],
  TN: ['Tennessee'],
  TX: ['Texas'],
  UT: ['Utah'],
  VT: ['Vermont'],
  VA: ['Virginia'],
  WA: ['Washington', 'Western Australia'],
  WV: ['West Virginia'],
  WI: ['Wisconsin'],
  WY: ['Wyoming'],
  PR: ['Puerto Rico'],
  // Canada
  AB: ['Alberta'],
  BC: ['British Columbia'],
  MB: ['Manitoba'],
  NB: ['New Brunswick'],
  NL: ['Newfoundland and Labrador'],
  NS: ['Nova Scotia'],
  NT: ['Northwest Territories', 'Northern Territory'],
  NU: ['Nunavut'],
  ON: ['Ontario'],
  PE: ['Prince Edward Island'],
  QC: ['Quebec'],
  SK: ['Saskatchewan'],
  YT: ['Yukon'],
  // Australia
  NSW: ['New South Wales'],
  VIC: ['Victoria'],
  QLD: ['Queensland'],
  SA: ['South Australia'],
  TAS: ['Tasmania'],
  ACT: ['Australian Capital Territory'],
};

/** Country names and nicknames that are not the English name Intl gives for the ISO code. */
const COUNTRY_ALIASES: Record<string, string> = {
  UK: 'GB',
  'GREAT BRITAIN': 'GB',
  BRITAIN: 'GB',
  ENGLAND: 'GB',
  SCOTLAND: 'GB',
  WALES: 'GB',
  'NORTHERN IRELAND': 'GB',
  USA: 'US',
  AMERICA: 'US',
  'UNITED STATES OF AMERICA': 'US',
  UAE: 'AE',
  HOLLAND: 'NL',
  'THE NETHERLANDS': 'NL',
  'SOUTH KOREA': 'KR',
  KOREA: 'KR',
  RUSSIA: 'RU',
  'CZECH REPUBLIC': 'CZ',
};

const regionNames = new Intl.DisplayNames(['en'], { type: 'region' });

/** "United Kingdom" for "GB"; null for a code that is not an ISO 3166-1 country. */
export function countryName(code: string): string | null {
  try {
    const name = regionNames.of(code.toUpperCase());
    return name && name.toUpperCase() !== code.toUpperCase() && name !== 'Unknown Region' ? name : null;
  } catch {
    return null;
  }
}

/** Upper case, no accents, no dots, other punctuation as spaces: "Québec" is "QUEBEC", "U.S.A." is "USA". */
function normalize(text: string): string {
  return text
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .replace(/\./g, '')
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim()
    .toUpperCase();
}

let countryCodesByName: Map<string, string> | null = null;

function countryCodeOf(wanted: string): string | null {
  if (!countryCodesByName) {
    countryCodesByName = new Map(Object.entries(COUNTRY_ALIASES));
    for (let a = 65; a <= 90; a++) {
      for (let b = 65; b <= 90; b++) {
        const code = String.fromCharCode(a, b);
        const name = countryName(code);
        if (name) countryCodesByName.set(normalize(name), code);
      }
    }
  }
  const named = countryCodesByName.get(wanted);
  if (named) return named;
  return /^[A-Z]{2}$/.test(wanted) && countryName(wanted) ? wanted : null;
}

/**
 * Whether a place lies in the region or country a user named: "TX", "Texas", "UK", "gb", "France", or several after
 * commas, each of which it must lie in: "Texas, US".
 */
export function placeMatchesRegion(place: Place, region: string): boolean {
  if (matchesOne(place, region)) return true;
  const parts = region.split(',').filter((part) => part.trim());
  return parts.length > 1 && parts.every((part) => matchesOne(place, part));
}

function matchesOne(place: Place, region: string): boolean {
  const wanted = normalize(region);
  if (!wanted) return true;
  const regionNames = new Set([wanted, ...(REGION_ABBREVIATIONS[wanted] ?? []).map(normalize)]);
  if (place.region && regionNames.has(normalize(place.region))) return true;
  if (place.country && regionNames.has(normalize(place.country))) return true;
  const code = countryCodeOf(wanted);
  return code !== null && place.countryCode === code;
}
