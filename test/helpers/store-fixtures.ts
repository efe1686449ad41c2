import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UNIT_LABELS } from '../../bot/core/domain';
import type { NewExchange, WeatherFacts } from '../../bot/core/domain';

const PLACES = [
  'Philadelphia, Pennsylvania, US',
  'Paris, Texas, US',
  'Lyon, Auvergne-Rhône-Alpes, FR',
  'Osaka, JP',
  'Bergen, Vestland, NO',
];

/**
 * A realistic captured exchange, numbered `n` (the number shows in the question and answer):
 * facts of two periods and an answer of about 200 characters, as the assistant records them.
 */
export function sampleExchange(
  n: number,
  ids: { platform?: string; channelId?: string; userId?: string } = {},
): NewExchange {
  const place = PLACES[n % PLACES.length];
  const high = 10 + (n % 17);
  const facts: WeatherFacts = {
    place,
    when: 'tomorrow',
    period: 'tomorrow (Thu 26 Nov)',
    aspect: 'general',
    units: UNIT_LABELS.metric,
    periods: [
      {
        label: 'morning',
        condition: 'light rain',
        temperature: high - 4,
        feelsLike: high - 6,
        precipitationChance: 70,
        precipitation: 1.2,
        windSpeed: 14,
        windDirection: 'SW',
        humidity: 88,
      },
      {
        label: 'afternoon',
        condition: 'partly cloudy',
        temperature: high,
        feelsLike: high - 1,
        precipitationChance: 20,
        precipitation: 0,
        windSpeed: 11,
        windDirection: 'W',
        humidity: 64,
      },
    ],
  };
  return {
    platform: ids.platform ?? 'discord',
    channelId: ids.channelId ?? `80412${String(n % 7).padStart(13, '0')}`,
    userId: ids.userId ?? `19311${String(n % 50).padStart(13, '0')}`,
    question: `will it rain in ${place.split(',')[0]} tomorrow? (#${n})`,
    query: {
      weather: true,
      location: place.split(',')[0],
      region: null,
      when: 'tomorrow',
      aspect: 'general',
      units: null,
    },
    facts,
    answer:
      `Tomorrow in ${place}: light rain in the morning (70% chance, 1.2 mm) at ${high - 4}°C, ` +
      `then partly cloudy in the afternoon with a high of ${high}°C and a wind from the west at 11 km/h. (#${n})`,
    source: { understanding: 'rules', answer: 'template' },
    modelVersion: null,
    error: null,
    latencyMs: 40 + (n % 300),
  };
}

/** A fresh empty folder under the system temp folder. */
export function makeTempDir(prefix = 'weatherbot-store-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

export function removeDir(dir: string): Promise<void> {
  return rm(dir, { recursive: true, force: true });
}
