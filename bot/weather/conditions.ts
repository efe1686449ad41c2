import type { Condition, ConditionCode } from '../core/domain';

/** WMO weather interpretation codes as Open-Meteo documents them. */
const WMO: Record<number, Condition> = {
  0: { code: 'clear', text: 'clear sky' },
  1: { code: 'clear', text: 'mainly clear' },
  2: { code: 'partly-cloudy', text: 'partly cloudy' },
  3: { code: 'cloudy', text: 'overcast' },
  45: { code: 'fog', text: 'fog' },
  48: { code: 'fog', text: 'depositing rime fog' },
  51: { code: 'drizzle', text: 'light drizzle' },
  53: { code: 'drizzle', text: 'drizzle' },
  55: { code: 'drizzle', text: 'dense drizzle' },
  56: { code: 'freezing-rain', text: 'light freezing drizzle' },
  57: { code: 'freezing-rain', text: 'dense freezing drizzle' },
  61: { code: 'rain', text: 'light rain' },
  63: { code: 'rain', text: 'rain' },
  65: { code: 'rain', text: 'heavy rain' },
  66: { code: 'freezing-rain', text: 'light freezing rain' },
  67: { code: 'freezing-rain', text: 'heavy freezing rain' },
  71: { code: 'snow', text: 'light snow' },
  73: { code: 'snow', text: 'snow' },
  75: { code: 'snow', text: 'heavy snow' },
  77: { code: 'snow', text: 'snow grains' },
  80: { code: 'rain', text: 'light rain showers' },
  81: { code: 'rain', text: 'rain showers' },
  82: { code: 'rain', text: 'violent rain showers' },
  85: { code: 'snow', text: 'light snow showers' },
  86: { code: 'snow', text: 'heavy snow showers' },
  95: { code: 'thunderstorm', text: 'thunderstorm' },
  96: { code: 'thunderstorm', text: 'thunderstorm with hail' },
  99: { code: 'thunderstorm', text: 'thunderstorm with heavy hail' },
};

/** The condition of a WMO code, or null for a code outside the documented table. */
export function conditionFromWmo(code: number): Condition | null {
  return WMO[code] ?? null;
}

/** OpenWeather condition ids (https://openweathermap.org/weather-conditions), by range. */
function openWeatherCode(id: number): ConditionCode | null {
  if (id >= 200 && id < 300) return 'thunderstorm';
  if (id >= 300 && id < 400) return 'drizzle';
  if (id === 511) return 'freezing-rain';
  if (id >= 500 && id < 600) return 'rain';
  if (id >= 611 && id <= 616) return 'sleet';
  if (id >= 600 && id < 700) return 'snow';
  if (id === 771 || id === 781) return 'thunderstorm'; // squalls, tornado: the stormiest code there is
  if (id >= 700 && id < 800) return 'fog';
  if (id === 800) return 'clear';
  if (id === 801 || id === 802) return 'partly-cloudy';
  if (id === 803 || id === 804) return 'cloudy';
  return null;
}

/** OpenWeather's own wording is kept ("light rain", "overcast clouds"); null for an unknown id. */
export function conditionFromOpenWeather(id: number, description: string): Condition | null {
  const code = openWeatherCode(id);
  if (!code) return null;
  return { code, text: description.trim().toLowerCase() || code.replace('-', ' ') };
}

const SEVERITY: readonly ConditionCode[] = [
  'clear',
  'partly-cloudy',
  'cloudy',
  'fog',
  'drizzle',
  'rain',
  'snow',
  'sleet',
  'freezing-rain',
  'thunderstorm',
];

/** Rank of a condition for summarising a day by its most severe weather, as WMO daily codes do. */
export function severity(condition: Condition): number {
  return SEVERITY.indexOf(condition.code);
}
