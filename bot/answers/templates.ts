import type { Aspect, FactPeriod, WeatherFacts } from '../core/domain';

/**
 * Template answers: short, natural, one per aspect, written only from the facts so that every
 * number in the reply is a number of the report. They are also the model's fallback.
 */

const capitalize = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
const defined = <T>(v: T | undefined): v is T => v !== undefined;

type Words = ReturnType<typeof wordsFor>;

function wordsFor(facts: WeatherFacts) {
  const { units } = facts;
  const metric = units.temperature === '°C';
  return {
    deg: (n: number) => `${n}${units.temperature}`,
    speed: (n: number) => `${n} ${units.speed}`,
    rain: (n: number) => `${n} ${units.precipitation}`,
    snow: (n: number) => `${n} ${units.snowfall}`,
    /** Thresholds for advice, in the report's units; never printed. */
    cold: metric ? 5 : 41,
    cool: metric ? 12 : 54,
    hot: metric ? 30 : 86,
    windy: metric ? 40 : 25,
  };
}

function join(parts: (string | undefined | false)[]): string {
  return parts.filter((p): p is string => Boolean(p)).join(', ');
}

function highLow(p: FactPeriod, w: Words): string | undefined {
  if (defined(p.high) && defined(p.low)) return `high ${w.deg(p.high)}, low ${w.deg(p.low)}`;
  if (defined(p.low)) return `low ${w.deg(p.low)}`;
  if (defined(p.high)) return `high ${w.deg(p.high)}`;
  return undefined;
}

function rainChance(p: FactPeriod, w: Words): string | undefined {
  if (!defined(p.precipitationChance))
    return defined(p.precipitation) && p.precipitation > 0 ? `${w.rain(p.precipitation)} of precipitation` : undefined;
  const amount = defined(p.precipitation) && p.precipitation > 0 ? ` (${w.rain(p.precipitation)})` : '';
  return `${p.precipitationChance}% chance of precipitation${amount}`;
}

function wind(p: FactPeriod, w: Words, upTo: boolean): string | undefined {
  if (!defined(p.windSpeed)) return undefined;
  const from = p.windDirection ? ` from the ${p.windDirection}` : '';
  const gust = defined(p.windGust) && p.windGust > p.windSpeed ? `, gusts to ${w.speed(p.windGust)}` : '';
  return `wind ${upTo ? 'up to ' : ''}${w.speed(p.windSpeed)}${from}${gust}`;
}

function temperatureAdvice(p: FactPeriod, w: Words): string {
  const coldest = Math.min(...[p.feelsLike, p.temperature, p.low].filter(defined));
  const warmest = Math.max(...[p.temperature, p.high].filter(defined));
  if (coldest <= w.cold) return ' Wrap up warm — a proper coat is a good idea.';
  if (coldest <= w.cool) return ' A jacket is a good idea.';
  if (warmest >= w.hot) return " It's hot — stay hydrated.";
  return '';
}

/** "an 80% chance", "a 30% chance" (percentages only). */
const article = (n: number) => (n === 8 || n === 11 || n === 18 || (n >= 80 && n < 90) ? 'an' : 'a');

const isWet = (condition: string) => /rain|drizzle|shower|thunder/i.test(condition);
const isSnowy = (condition: string) => /snow|sleet|flurr/i.test(condition);

function uvWord(uv: number): string {
  if (uv < 3) return 'low';
  if (uv < 6) return 'moderate';
  if (uv < 8) return 'high';
  if (uv < 11) return 'very high';
  return 'extreme';
}

/** "Right now in Paris, FR" / "Tomorrow (Thu 26 Nov) in Paris, FR". */
const opening = (p: FactPeriod, place: string) => `${capitalize(p.label)} in ${place}`;

const ASPECT_ANSWERS: Record<Aspect, (p: FactPeriod, place: string, w: Words) => string> = {
  general(p, place, w) {
    if (p.label === 'right now') {
      const now = join([
        p.condition,
        defined(p.temperature) &&
          `${w.deg(p.temperature)}${defined(p.feelsLike) ? ` (feels like ${w.deg(p.feelsLike)})` : ''}`,
      ]);
      const rest = join([
        highLow(p, w) && `today ${highLow(p, w)}`,
        rainChance(p, w),
        wind(p, w, false),
        defined(p.humidity) && `humidity ${p.humidity}%`,
      ]);
      return `${opening(p, place)}: ${now}.${rest ? ` ${capitalize(rest)}.` : ''}`;
    }
    return `${opening(p, place)}: ${join([p.condition, highLow(p, w), rainChance(p, w), wind(p, w, true)])}.`;
  },

  temperature(p, place, w) {
    const advice = temperatureAdvice(p, w);
    if (defined(p.temperature) && p.label === 'right now') {
      const feels = defined(p.feelsLike) && p.feelsLike !== p.temperature ? ` (feels like ${w.deg(p.feelsLike)})` : '';
      const today = defined(p.high) && defined(p.low) ? `, between ${w.deg(p.low)} and ${w.deg(p.high)} today` : '';
      return `It's ${w.deg(p.temperature)} in ${place} right now${feels}${today}.${advice}`;
    }
    if (p.label === 'tonight' && defined(p.low)) {
      const feels = defined(p.feelsLike) && p.feelsLike !== p.low ? ` (feels like ${w.deg(p.feelsLike)})` : '';
      return `${opening(p, place)} it drops to ${w.deg(p.low)}${feels}.${advice}`;
    }
    return `${opening(p, place)}: ${join([highLow(p, w), p.condition])}.${advice}`;
  },

  rain(p, place, w) {
    const chance = p.precipitationChance;
    const amount = defined(p.precipitation) && p.precipitation > 0 ? `, about ${w.rain(p.precipitation)}` : '';
    if (p.label === 'right now') {
      const later = defined(chance) ? ` ${chance}% chance of precipitation this hour.` : '';
      return isWet(p.condition)
        ? `Yes, it's raining in ${place} right now (${p.condition}${amount}). Take an umbrella ☔`
        : `It's not raining in ${place} right now (${p.condition}).${later}`;
    }
    if (!defined(chance)) {
      return amount
        ? `${opening(p, place)}: ${p.condition}${amount} of precipitation expected.`
        : `${opening(p, place)}: ${p.condition}, no rain expected.`;
    }
    if (chance >= 60)
      return `Yes — ${p.label} in ${place} there's ${article(chance)} ${chance}% chance of rain${amount}. Take an umbrella ☔`;
    if (chance >= 30)
      return `Maybe — ${p.label} in ${place} there's ${article(chance)} ${chance}% chance of rain${amount}. An umbrella wouldn't hurt.`;
    return `Probably not — only ${article(chance)} ${chance}% chance of rain ${p.label} in ${place} (${p.condition}).`;
  },

  snow(p, place, w) {
    const temps = highLow(p, w) ?? (defined(p.temperature) ? w.deg(p.temperature) : undefined);
    const context = temps ? ` (${temps})` : '';
    if (p.label === 'right now') {
      return isSnowy(p.condition)
        ? `Yes, it's snowing in ${place} right now (${p.condition})${context}.`
        : `No snow in ${place} right now — ${p.condition}${context}.`;
    }
    if (defined(p.snowfall) && p.snowfall > 0)
      return `Yes — about ${w.snow(p.snowfall)} of snow expected ${p.label} in ${place}${context}.`;
    if (isSnowy(p.condition)) return `Some snow is possible ${p.label} in ${place} (${p.condition})${context}.`;
    return `No snow expected ${p.label} in ${place} — ${p.condition}${context}.`;
  },

  wind(p, place, w) {
    const blow = wind(p, w, p.label !== 'right now');
    if (!blow) return `${opening(p, place)}: ${p.condition}.`;
    const advice = defined(p.windSpeed) && p.windSpeed >= w.windy ? " That's windy — hold on to your hat." : '';
    return `${opening(p, place)}: ${blow}.${advice}`;
  },

  humidity(p, place, w) {
    if (!defined(p.humidity)) return `${opening(p, place)}: ${p.condition}.`;
    const temp = defined(p.temperature) ? ` at ${w.deg(p.temperature)}` : '';
    const feel = p.humidity >= 80 ? ' It will feel muggy.' : p.humidity <= 30 ? ' The air is quite dry.' : '';
    return `Humidity in ${place} ${p.label} is ${p.humidity}%${temp} (${p.condition}).${feel}`;
  },

  sun(p, place) {
    const times = !(p.sunrise && p.sunset)
      ? p.condition
      : p.label === 'tonight'
        ? `the sun sets at ${p.sunset} and rises again at ${p.sunrise}`
        : `the sun rises at ${p.sunrise} and sets at ${p.sunset}`;
    const uv = defined(p.uvIndex)
      ? `; the UV index reaches ${p.uvIndex} (${uvWord(p.uvIndex)})${p.uvIndex >= 3 ? ' — wear sunscreen' : ''}`
      : '';
    return `${opening(p, place)}: ${times}${uv}.`;
  },
};

export function renderAnswer(facts: WeatherFacts): string {
  const w = wordsFor(facts);
  const answer = ASPECT_ANSWERS[facts.aspect];
  return facts.periods.map((p) => answer(p, facts.place, w)).join('\n');
}
