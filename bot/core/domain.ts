/**
 * The domain types every part of WeatherBot shares: the parsed query, the weather report,
 * the facts an answer is written from, the captured exchange and the model version.
 */

export const ASPECTS = ['general', 'temperature', 'rain', 'snow', 'wind', 'humidity', 'sun'] as const;
export type Aspect = (typeof ASPECTS)[number];

export const WEEKDAYS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/**
 * When the user asks about: a named time, a weekday, or `+Nd` (N days ahead; beyond the forecast's reach too, so
 * "in 40 days" is answered with the horizon, never with today); or a range (WhenRange).
 */
export type When = 'now' | 'today' | 'tonight' | 'tomorrow' | 'weekend' | Weekday | `+${number}d` | WhenRange;
export const NAMED_WHENS = ['now', 'today', 'tonight', 'tomorrow', 'weekend', ...WEEKDAYS] as const;

/**
 * A stretch of time answered period by period: "Nd", the N days from today ("this week" is 7d); "Nh", the N hours
 * from now; tonight and tomorrow.
 */
export type WhenRange = `${number}d` | `${number}h` | 'tonight+tomorrow';
/** The daily forecast's reach, and two days of hours. */
export const MAX_RANGE_DAYS = 16;
export const MAX_RANGE_HOURS = 48;
export const RANGE_WHENS: readonly WhenRange[] = [
  'tonight+tomorrow',
  ...Array.from({ length: MAX_RANGE_DAYS - 1 }, (_, i): WhenRange => `${i + 2}d`),
  ...Array.from({ length: MAX_RANGE_HOURS }, (_, i): WhenRange => `${i + 1}h`),
];

export const isRange = (when: When): when is WhenRange => (RANGE_WHENS as readonly string[]).includes(when);

export function isWhen(value: unknown): value is When {
  if (typeof value !== 'string') return false;
  return (
    (NAMED_WHENS as readonly string[]).includes(value) ||
    /^\+[1-9]\d{0,2}d$/.test(value) ||
    (RANGE_WHENS as readonly string[]).includes(value)
  );
}

export type TemperatureUnit = 'celsius' | 'fahrenheit';

/** Output of understanding: exactly the JSON the parse CLI prints. */
export interface WeatherQuery {
  weather: true;
  /** Canonical place name to geocode; null when the message names no place. */
  location: string | null;
  /** Region or country qualifier ("TX", "Maine", "Ontario"), if any. */
  region: string | null;
  when: When;
  aspect: Aspect;
  /** Units the user asked for in this message, if any. */
  units: TemperatureUnit | null;
}
export type Understanding = WeatherQuery | { weather: false };

const QUERY_KEYS = ['weather', 'location', 'region', 'when', 'aspect', 'units'];

/**
 * Whether a value is exactly an Understanding: `{"weather":false}`, or a WeatherQuery with all
 * of its keys and no others, each of its type (a known `when`, aspect and unit).
 */
export function isUnderstanding(value: unknown): value is Understanding {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const q = value as Record<string, unknown>;
  const keys = Object.keys(q);
  if (q.weather === false) return keys.length === 1;
  const nullableString = (v: unknown) => v === null || (typeof v === 'string' && v.trim() !== '');
  return (
    q.weather === true &&
    keys.length === QUERY_KEYS.length &&
    QUERY_KEYS.every((key) => keys.includes(key)) &&
    nullableString(q.location) &&
    nullableString(q.region) &&
    isWhen(q.when) &&
    (ASPECTS as readonly unknown[]).includes(q.aspect) &&
    (q.units === null || q.units === 'celsius' || q.units === 'fahrenheit')
  );
}

/** Unit system of a report: metric is °C, km/h, mm; imperial is °F, mph, in. */
export type UnitSystem = 'metric' | 'imperial';

export interface UnitLabels {
  temperature: '°C' | '°F';
  speed: 'km/h' | 'mph';
  precipitation: 'mm' | 'in';
  snowfall: 'cm' | 'in';
}

export const UNIT_LABELS: Record<UnitSystem, UnitLabels> = {
  metric: { temperature: '°C', speed: 'km/h', precipitation: 'mm', snowfall: 'cm' },
  imperial: { temperature: '°F', speed: 'mph', precipitation: 'in', snowfall: 'in' },
};

export interface Place {
  name: string;
  /** First-level region (state, province), when the geocoder knows it. */
  region: string | null;
  country: string | null;
  /** ISO 3166-1 alpha-2, upper case. */
  countryCode: string | null;
  latitude: number;
  longitude: number;
  /** IANA zone when known, else a fixed offset like "UTC+02:00". */
  timezone: string;
  utcOffsetSeconds: number;
}

/** Normalized sky/precipitation condition; `text` is the human wording ("light rain"). */
export const CONDITION_CODES = [
  'clear',
  'partly-cloudy',
  'cloudy',
  'fog',
  'drizzle',
  'rain',
  'freezing-rain',
  'snow',
  'sleet',
  'thunderstorm',
] as const;
export type ConditionCode = (typeof CONDITION_CODES)[number];
export interface Condition {
  code: ConditionCode;
  text: string;
}

/** Times are local wall-clock ISO strings of the place ("2026-11-25T14:00"); dates are "YYYY-MM-DD". */
export interface CurrentConditions {
  time: string;
  temperature: number;
  feelsLike: number;
  humidity: number;
  /** Precipitation in the last hour (mm or in). */
  precipitation: number;
  windSpeed: number;
  windGust: number | null;
  /** Degrees the wind blows from. */
  windDirection: number;
  condition: Condition;
  uvIndex: number | null;
  isDay: boolean;
}

export interface HourlyForecast {
  time: string;
  temperature: number;
  feelsLike: number;
  humidity: number;
  precipitationProbability: number | null;
  precipitation: number;
  /** Snowfall in cm (metric) or in (imperial). */
  snowfall: number | null;
  windSpeed: number;
  windGust: number | null;
  windDirection: number;
  condition: Condition;
  uvIndex: number | null;
}

export interface DailyForecast {
  date: string;
  temperatureMax: number;
  temperatureMin: number;
  feelsLikeMax: number | null;
  feelsLikeMin: number | null;
  precipitationProbability: number | null;
  precipitationSum: number;
  /** Snowfall in cm (metric) or in (imperial). */
  snowfallSum: number | null;
  windSpeedMax: number;
  windGustMax: number | null;
  windDirection: number | null;
  humidityMean: number | null;
  condition: Condition;
  sunrise: string | null;
  sunset: string | null;
  uvIndexMax: number | null;
}

/** One normalized report, whatever the provider. `daily[0]` is the place's local today. */
export interface WeatherReport {
  provider: 'open-meteo' | 'openweather';
  place: Place;
  units: UnitSystem;
  current: CurrentConditions;
  hourly: HourlyForecast[];
  daily: DailyForecast[];
  /** UTC ISO time the provider was asked. */
  fetchedAt: string;
}

/** A severe-weather warning a national service issued for a place (OpenWeather's One Call `alerts`). */
export interface WeatherAlert {
  /** Its identity: the sender, the event and its start (One Call gives alerts no id). */
  id: string;
  sender: string;
  event: string;
  /** UTC ISO times. */
  start: string;
  end: string;
  description: string;
}

/**
 * The compact slice of a report that an answer is written from (templates and the model alike).
 * It is what an exchange stores, so training sees exactly what the answer saw.
 */
export interface WeatherFacts {
  /** The place as resolved, for display: "Paris, Texas, US". */
  place: string;
  when: When;
  /** Human label of the period: "now", "tomorrow (Thu 26 Nov)", "this weekend". */
  period: string;
  aspect: Aspect;
  units: UnitLabels;
  /** One entry per day or part of day covered; numbers rounded as they are to be shown. */
  periods: FactPeriod[];
}

export interface FactPeriod {
  label: string;
  condition: string;
  temperature?: number;
  feelsLike?: number;
  high?: number;
  low?: number;
  humidity?: number;
  precipitationChance?: number;
  precipitation?: number;
  snowfall?: number;
  windSpeed?: number;
  windGust?: number;
  windDirection?: string;
  sunrise?: string;
  sunset?: string;
  uvIndex?: number;
}

export type ModerationStatus = 'pending' | 'approved' | 'rejected' | 'corrected';
export const MODERATION_STATUSES: readonly ModerationStatus[] = ['pending', 'approved', 'rejected', 'corrected'];

/** How a reply came about: which path understood the message and which wrote the answer. */
export interface ReplySource {
  understanding: 'rules' | 'model' | 'command';
  answer: 'template' | 'model' | 'smalltalk' | 'clarify' | 'error';
}

export interface Moderation {
  status: ModerationStatus;
  /** Hashed id of the moderator. */
  by: string | null;
  at: string | null;
  /** The better answer, grounded in `facts` when it carries a reading (else in the exchange's own facts). */
  correction: string | null;
  /** What the message meant, as a moderator corrected it; absent when only the answer was corrected. */
  reading?: Understanding;
  /** The facts looked up again for `reading` (null when it is not a weather question). */
  facts?: WeatherFacts | null;
  /** The moderation this one replaced, for undo (one step). */
  previous?: Moderation | null;
  /** The corrected reading stays training data, but the bot no longer reads other messages by it (/forget). */
  forgotten?: boolean;
}

/** What every captured exchange says, whoever wrote it down. */
export interface ExchangeContent {
  question: string;
  query: Understanding | null;
  facts: WeatherFacts | null;
  answer: string;
  source: ReplySource;
  modelVersion: string | null;
  /** Short machine-readable reason when the reply is an error reply ("place-not-found", "provider-down", ...). */
  error: string | null;
  latencyMs: number;
}

/** One captured question and answer. Platform ids are stored only as salted hashes. */
export interface Exchange extends ExchangeContent {
  id: string;
  platform: string;
  channel: string;
  user: string;
  createdAt: string;
  moderation: Moderation;
}

/** What an adapter or the assistant hands the store; ids are raw here and hashed by the store. */
export interface NewExchange extends ExchangeContent {
  platform: string;
  channelId: string;
  userId: string;
}

export interface ModelVersion {
  id: string;
  baseModel: string;
  createdAt: string;
  status: 'candidate' | 'active' | 'retired' | 'failed';
  metrics: Record<string, number>;
}
