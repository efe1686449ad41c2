import { isRange, type Aspect, type FactPeriod, type UnitLabels, type WeatherFacts } from '../core/domain';

/**
 * Template answers: short, natural, one per aspect, written only from the facts so that every
 * number in the reply is a number of the report. They are also the model's fallback.
 */

const capitalize = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
const defined = <T>(v: T | undefined): v is T => v !== undefined;

type Words = ReturnType<typeof wordsFor>;

function wordsFor(units: UnitLabels) {
  const metric = units.temperature === '°C';
  return {
    deg: (n: number) => `${n}${units.temperature}`,
    speed: (n: number) => `${n} ${units.speed}`,
    rain: (n: number) => `${n} ${units.precipitation}`,
    snow: (n: number) => `${n} ${units.snowfall}`,
    /** Thresholds for advice, in the report's units; never printed. */
    freezing: metric ? 0 : 32,
    cold: metric ? 5 : 41,
    cool: metric ? 12 : 54,
    warm: metric ? 22 : 72,
    hot: metric ? 30 : 86,
    windy: metric ? 40 : 25,
  };
}

const isWet = (condition: string) => /rain|drizzle|shower|thunder/i.test(condition);
const isSnowy = (condition: string) => /snow|sleet|flurr/i.test(condition);

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

/** This hour's chance and the last hour's fall, each said with its own hour. */
function rainThisHour(p: FactPeriod, w: Words): string | undefined {
  return join([
    defined(p.precipitationChance) && `${p.precipitationChance}% chance of precipitation this hour`,
    defined(p.precipitation) && p.precipitation > 0 && `${w.rain(p.precipitation)} in the last hour`,
  ]);
}

function warmth(coldest: number, warmest: number, w: Words): string {
  if (coldest <= w.freezing) return ' Wrap up warm — a proper coat, a hat and gloves.';
  if (coldest <= w.cold) return ' Wrap up warm — a proper coat is a good idea.';
  if (coldest <= w.cool && warmest >= w.warm)
    return ' Dress in layers — a jacket for the cool hours, a T-shirt under it.';
  if (coldest <= w.cool) return ' A jacket is a good idea.';
  if (warmest >= w.hot) return " It's hot — light clothes, and stay hydrated.";
  if (warmest >= w.warm) return ' T-shirt weather.';
  return Number.isFinite(coldest) ? ' A light layer should do.' : '';
}

function rainGear(periods: FactPeriod[], chance: number): string {
  if (periods.some((p) => isSnowy(p.condition))) return ' Waterproof boots for the snow.';
  if (chance >= 50 || periods.some((p) => isWet(p.condition))) return ' Bring a waterproof or an umbrella.';
  if (chance >= 30) return " An umbrella wouldn't hurt.";
  return '';
}

/**
 * What to wear through these periods, from their temperatures (felt ones too), rain and wind. Words
 * only: the numbers behind them are in the answer, each with its own period.
 */
function wearAdvice(periods: FactPeriod[], w: Words): string {
  const figures = (pick: (p: FactPeriod) => (number | undefined)[]) => periods.flatMap(pick).filter(defined);
  const coldest = Math.min(...figures((p) => [p.feelsLike, p.temperature, p.low]));
  const warmest = Math.max(...figures((p) => [p.temperature, p.high]));
  const wettest = Math.max(...figures((p) => [p.precipitationChance]));
  const windiest = Math.max(...figures((p) => [p.windSpeed]));
  const wind = windiest >= w.windy ? " It's windy, so something windproof." : '';
  return warmth(coldest, warmest, w) + rainGear(periods, wettest) + wind;
}

/** "an 80% chance", "a 30% chance" (percentages only). */
const article = (n: number) => (n === 8 || n === 11 || n === 18 || (n >= 80 && n < 90) ? 'an' : 'a');

function uvWord(uv: number): string {
  if (uv < 3) return 'low';
  if (uv < 6) return 'moderate';
  if (uv < 8) return 'high';
  if (uv < 11) return 'very high';
  return 'extreme';
}

/** "the sun rises at 07:40 and sets at 16:50"; a night's sunset comes first; either alone when only it is ahead. */
function sunTimes(p: FactPeriod): string | undefined {
  const { sunrise, sunset } = p;
  if (sunrise && sunset)
    return p.label === 'tonight'
      ? `the sun sets at ${sunset} and rises again at ${sunrise}`
      : `the sun rises at ${sunrise} and sets at ${sunset}`;
  if (sunset) return `the sun sets at ${sunset}`;
  if (sunrise) return `the sun rises at ${sunrise}`;
  return undefined;
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
      const rest = join([rainThisHour(p, w), wind(p, w, false), defined(p.humidity) && `humidity ${p.humidity}%`]);
      return `${opening(p, place)}: ${now}.${rest ? ` ${capitalize(rest)}.` : ''}`;
    }
    return `${opening(p, place)}: ${join([p.condition, highLow(p, w), rainChance(p, w), wind(p, w, true)])}.`;
  },

  // What to wear follows each answer (see ASPECT_ADVICE).
  temperature(p, place, w) {
    if (defined(p.temperature) && p.label === 'right now') {
      const feels = defined(p.feelsLike) && p.feelsLike !== p.temperature ? ` (feels like ${w.deg(p.feelsLike)})` : '';
      return `It's ${w.deg(p.temperature)} in ${place} right now${feels}.`;
    }
    if (p.label === 'tonight' && defined(p.low)) {
      const feels = defined(p.feelsLike) && p.feelsLike !== p.low ? ` (feels like ${w.deg(p.feelsLike)})` : '';
      return `${opening(p, place)} it drops to ${w.deg(p.low)}${feels}.`;
    }
    return `${opening(p, place)}: ${join([highLow(p, w), p.condition])}.`;
  },

  rain(p, place, w) {
    const chance = p.precipitationChance;
    const amount = defined(p.precipitation) && p.precipitation > 0 ? `, about ${w.rain(p.precipitation)}` : '';
    if (p.label === 'right now') {
      const later = defined(chance) ? ` ${chance}% chance of precipitation this hour.` : '';
      const fell =
        defined(p.precipitation) && p.precipitation > 0 ? `, ${w.rain(p.precipitation)} in the last hour` : '';
      return isWet(p.condition)
        ? `Yes, it's raining in ${place} right now (${p.condition}${fell}). Take an umbrella ☔`
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
    const verb = p.label === 'right now' ? 'is' : 'reaches';
    const uv =
      defined(p.uvIndex) &&
      `the UV index ${verb} ${p.uvIndex} (${uvWord(p.uvIndex)})${p.uvIndex >= 3 ? ' — wear sunscreen' : ''}`;
    return `${opening(p, place)}: ${sunTimes(p) ?? p.condition}${uv ? `; ${uv}` : ''}.`;
  },
};

/** Advice that follows an aspect's answer, drawn from all the periods it covers. */
const ASPECT_ADVICE: Partial<Record<Aspect, (periods: FactPeriod[], w: Words) => string>> = {
  temperature: wearAdvice,
};

/** A day beside the hour asked about, with its own label and only its own figures. */
function daySummary(p: FactPeriod, w: Words): string {
  const figures = join([
    p.condition,
    highLow(p, w),
    rainChance(p, w),
    defined(p.snowfall) && p.snowfall > 0 && `${w.snow(p.snowfall)} of snow`,
    wind(p, w, true),
    defined(p.humidity) && `humidity around ${p.humidity}%`,
    sunTimes(p),
    defined(p.uvIndex) && `UV index up to ${p.uvIndex} (${uvWord(p.uvIndex)})`,
  ]);
  return `${capitalize(p.label)}: ${figures}.`;
}

/**
 * One period of a range in a few words, the figures its aspect asked for: "light rain, 5°C / -1°C, precipitation
 * 80% (4 mm), wind 45 km/h NW" — the wind only when it is notable or asked about, the humidity only when asked
 * about. Template lines and the platforms' tables are written with it.
 */
export function periodSummary(p: FactPeriod, units: UnitLabels, aspect: Aspect): string {
  const w = wordsFor(units);
  const windy = aspect === 'wind' || (defined(p.windSpeed) && p.windSpeed >= w.windy);
  const temperatures =
    defined(p.high) && defined(p.low) && p.high !== p.low
      ? `${w.deg(p.high)} / ${w.deg(p.low)}`
      : defined(p.temperature)
        ? w.deg(p.temperature)
        : defined(p.high)
          ? w.deg(p.high)
          : undefined;
  const wet = defined(p.precipitation) && p.precipitation > 0 ? ` (${w.rain(p.precipitation)})` : '';
  return join([
    p.condition,
    temperatures,
    defined(p.precipitationChance) && `precipitation ${p.precipitationChance}%${wet}`,
    defined(p.snowfall) && p.snowfall > 0 && `${w.snow(p.snowfall)} of snow`,
    windy && defined(p.windSpeed) && `wind ${w.speed(p.windSpeed)}${p.windDirection ? ` ${p.windDirection}` : ''}`,
    aspect === 'humidity' && defined(p.humidity) && `humidity ${p.humidity}%`,
    sunTimes(p),
    defined(p.uvIndex) && `UV ${p.uvIndex}`,
  ]);
}

/** The first line of a range's answer: what it covers, and where. */
export const rangeHeading = (facts: WeatherFacts): string => `${capitalize(facts.period)} in ${facts.place}:`;

/**
 * One line per period. Asked about right now, the hour's answer comes first and the day follows as
 * a line of its own, so no figure of the day reads as the hour's. A range is a heading and a line a period.
 */
export function renderAnswer(facts: WeatherFacts): string {
  const w = wordsFor(facts.units);
  if (isRange(facts.when)) {
    const lines = facts.periods.map((p) => `${capitalize(p.label)}: ${periodSummary(p, facts.units, facts.aspect)}.`);
    const advice = ASPECT_ADVICE[facts.aspect]?.(facts.periods, w).trim();
    return [rangeHeading(facts), ...lines, ...(advice ? [advice] : [])].join('\n');
  }
  const answer = ASPECT_ANSWERS[facts.aspect];
  const advise = ASPECT_ADVICE[facts.aspect];
  if (facts.when === 'now') {
    const [now, ...days] = facts.periods;
    const lines = [answer(now, facts.place, w), ...days.map((day) => daySummary(day, w))];
    return `${lines.join('\n')}${advise?.(facts.periods, w) ?? ''}`;
  }
  return facts.periods.map((p) => `${answer(p, facts.place, w)}${advise?.([p], w) ?? ''}`).join('\n');
}
