/** A place as someone types it, in a command or a saved preference: "Paris, TX". */

export const PLACE_DESCRIPTION = 'a city, optionally with region or country: "Paris, TX"';

/** "Paris, TX" -> location "Paris", region "TX". */
export function splitPlace(text: string): { location: string; region: string | null } {
  const [location, ...rest] = text.split(',');
  const region = rest.join(',').trim();
  return { location: location.trim(), region: region || null };
}
