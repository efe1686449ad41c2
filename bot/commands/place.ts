/** A place as someone types it, in a command or a saved preference: "Paris, TX". */
import type { Reply } from '../chat/message';
import { replies } from '../chat/replies';
import type { Place } from '../core/domain';
import { WeatherError } from '../weather/provider';
import type { CommandServices } from './command';

export const PLACE_DESCRIPTION = 'a city, optionally with region or country: "Paris, TX"';

/** "Paris, TX" -> location "Paris", region "TX". */
export function splitPlace(text: string): { location: string; region: string | null } {
  const [location, ...rest] = text.split(',');
  const region = rest.join(',').trim();
  return { location: location.trim(), region: region || null };
}

/**
 * The place `typed` names, found with the weather service; or the reply that says why not (unknown, or the service
 * down). Other errors are thrown.
 */
export async function findPlace(
  places: CommandServices['places'],
  typed: string,
): Promise<{ place: Place; reply?: undefined } | { place?: undefined; reply: Reply }> {
  const { location, region } = splitPlace(typed);
  try {
    return { place: await places.resolvePlace(location, region) };
  } catch (error) {
    if (error instanceof WeatherError && error.kind === 'place-not-found')
      return { reply: { kind: 'error', text: replies.placeNotFound(typed) } };
    if (error instanceof WeatherError) {
      const text =
        "I can't check places right now — the weather service isn't answering. Please try again in a minute.";
      return { reply: { kind: 'error', text } };
    }
    throw error;
  }
}
