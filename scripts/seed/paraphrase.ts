/**
 * A few other ways to word an answer, beside the bot's own templates, so the model does not learn
 * one sentence per aspect. Each is written from the facts alone; one that lacks a field it needs
 * gives way to the template, and the generator checks every number against the facts.
 */
import type { Aspect, FactPeriod, WeatherFacts } from '../../bot/core/domain';
import { renderAnswer } from '../../bot/answers/templates';
import { pick } from './phrasings';
import type { Random } from './weather-model';

type Paraphrase = (p: FactPeriod, place: string, facts: WeatherFacts) => string | undefined;

const has = <T>(v: T | undefined): v is T => v !== undefined;
const capitalize = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
const isWet = (condition: string) => /rain|drizzle|shower|thunder/i.test(condition);
const isSnowy = (condition: string) => /snow|sleet|flurr/i.test(condition);

/** "right now", "tonight", "tomorrow (Thu 26 Nov)", "on Fri 27 Nov". */
const whenOf = (p: FactPeriod) => (/^[A-Z]/.test(p.label) ? `on ${p.label}` : p.label);
/** Sunrise and sunset belong to a day: "right now" means today. */
const dayOf = (p: FactPeriod) => (p.label === 'right now' ? 'today' : whenOf(p));

const units = (facts: WeatherFacts) => ({
  deg: (n: number) => `${n}${facts.units.temperature}`,
  speed: (n: number) => `${n} ${facts.units.speed}`,
  rain: (n: number) => `${n} ${facts.units.precipitation}`,
  snow: (n: number) => `${n} ${facts.units.snowfall}`,
});

const PARAPHRASES: Record<Aspect, Paraphrase[]> = {
  general: [
    (p, place, f) => {
      const u = units(f);
      if (!has(p.high) || !has(p.low)) return undefined;
      const chance = has(p.precipitationChance) ? `, and the chance of precipitation is ${p.precipitationChance}%` : '';
      return `${capitalize(whenOf(p))} ${place} looks ${p.condition}, with a high of ${u.deg(p.high)} and a low of ${u.deg(p.low)}${chance}.`;
    },
    (p, place, f) => {
      const u = units(f);
      if (p.label !== 'right now' || !has(p.temperature)) return undefined;
      const feels = has(p.feelsLike) && p.feelsLike !== p.temperature ? `, feels like ${u.deg(p.feelsLike)}` : '';
      const wind = has(p.windSpeed)
        ? ` Wind ${u.speed(p.windSpeed)}${p.windDirection ? ` from the ${p.windDirection}` : ''}.`
        : '';
      return `${place} right now: ${p.condition} and ${u.deg(p.temperature)}${feels}.${wind}`;
    },
    (p, place, f) => {
      const u = units(f);
      if (!has(p.low) || !has(p.windSpeed) || p.label === 'right now') return undefined;
      const top = has(p.high) ? `${u.deg(p.low)} to ${u.deg(p.high)}` : `down to ${u.deg(p.low)}`;
      return `${place}, ${whenOf(p)}: ${p.condition}, ${top}, wind up to ${u.speed(p.windSpeed)}.`;
    },
  ],
  temperature: [
    (p, place, f) => {
      const u = units(f);
      if (p.label !== 'right now' || !has(p.temperature)) return undefined;
      const feels =
        has(p.feelsLike) && p.feelsLike !== p.temperature ? `, though it feels like ${u.deg(p.feelsLike)}` : '';
      return `Currently ${u.deg(p.temperature)} in ${place}${feels}.`;
    },
    (p, place, f) => {
      const u = units(f);
      if (p.label !== 'tonight' || !has(p.low)) return undefined;
      return `${place} gets down to ${u.deg(p.low)} tonight (${p.condition}).`;
    },
    (p, place, f) => {
      const u = units(f);
      if (!has(p.high) || !has(p.low) || p.label === 'right now') return undefined;
      return `Expect a high of ${u.deg(p.high)} and a low of ${u.deg(p.low)} in ${place} ${whenOf(p)}.`;
    },
    (p, place, f) => {
      const u = units(f);
      if (!has(p.high) || !has(p.low) || p.label === 'right now') return undefined;
      return `${capitalize(whenOf(p))} in ${place}: highs around ${u.deg(p.high)}, lows around ${u.deg(p.low)} — ${p.condition}.`;
    },
  ],
  rain: [
    (p, place, f) => {
      if (p.label !== 'right now') return undefined;
      const amount =
        has(p.precipitation) && p.precipitation > 0 ? ` (${units(f).rain(p.precipitation)} in the last hour)` : '';
      return isWet(p.condition)
        ? `It's raining in ${place} right now — ${p.condition}${amount}.`
        : `No rain in ${place} at the moment — ${p.condition}.`;
    },
    (p, place, f) => {
      const chance = p.precipitationChance;
      if (!has(chance) || p.label === 'right now') return undefined;
      const amount = has(p.precipitation) && p.precipitation > 0 ? `, around ${units(f).rain(p.precipitation)}` : '';
      if (chance >= 60)
        return `Rain is likely ${whenOf(p)} in ${place}: ${chance}% chance${amount}. Don't forget your umbrella ☔`;
      if (chance >= 30)
        return `There's some chance of rain ${whenOf(p)} in ${place} (${chance}%)${amount}. Maybe pack an umbrella.`;
      return `Rain looks unlikely ${whenOf(p)} in ${place}: just ${chance}% chance, ${p.condition}.`;
    },
  ],
  snow: [
    (p, place) => {
      if (p.label !== 'right now') return undefined;
      return isSnowy(p.condition)
        ? `It's snowing in ${place} right now — ${p.condition}.`
        : `Not snowing in ${place} right now; it's ${p.condition}.`;
    },
    (p, place, f) => {
      if (p.label === 'right now') return undefined;
      if (has(p.snowfall) && p.snowfall > 0)
        return `Snow is on the way ${whenOf(p)} in ${place}: about ${units(f).snow(p.snowfall)} expected.`;
      if (isSnowy(p.condition)) return undefined;
      return `No snow in the forecast for ${place} ${whenOf(p)} — ${p.condition}.`;
    },
  ],
  wind: [
    (p, place, f) => {
      const u = units(f);
      if (!has(p.windSpeed)) return undefined;
      const from = p.windDirection ? ` from the ${p.windDirection}` : '';
      const gust = has(p.windGust) && p.windGust > p.windSpeed ? `, gusting to ${u.speed(p.windGust)}` : '';
      return `Wind ${whenOf(p)} in ${place}: ${p.label === 'right now' ? '' : 'up to '}${u.speed(p.windSpeed)}${from}${gust}.`;
    },
    (p, place, f) => {
      const u = units(f);
      if (!has(p.windSpeed) || !p.windDirection) return undefined;
      const verb = p.label === 'right now' ? 'is blowing' : 'will blow';
      return `${capitalize(whenOf(p))} the wind in ${place} ${verb} from the ${p.windDirection} at ${p.label === 'right now' ? '' : 'up to '}${u.speed(p.windSpeed)}.`;
    },
  ],
  humidity: [
    (p, place, f) => {
      if (!has(p.humidity)) return undefined;
      const temp = has(p.temperature) ? `, ${units(f).deg(p.temperature)}` : '';
      return `${place}, ${whenOf(p)}: ${p.humidity}% humidity${temp}, ${p.condition}.`;
    },
    (p, place) => {
      if (!has(p.humidity)) return undefined;
      const verb = p.label === 'right now' ? 'is' : 'will be around';
      return `The humidity in ${place} ${verb} ${p.humidity}% ${whenOf(p)}.`;
    },
  ],
  sun: [
    (p, place) => {
      if (!p.sunrise || !p.sunset) return undefined;
      const uv = has(p.uvIndex) ? ` UV index up to ${p.uvIndex}.` : '';
      return `In ${place} ${dayOf(p)}, sunrise is at ${p.sunrise} and sunset at ${p.sunset}.${uv}`;
    },
    (p, place) => {
      if (!p.sunrise || !p.sunset) return undefined;
      return `Sun up at ${p.sunrise}, down at ${p.sunset} in ${place} ${dayOf(p)}.`;
    },
  ],
};

/** The template answer, or (with probability `rate`) another wording of it, period by period. */
export function answerFor(facts: WeatherFacts, random: Random, rate: number): { answer: string; paraphrased: boolean } {
  const template = renderAnswer(facts);
  if (random() >= rate) return { answer: template, paraphrased: false };
  const choice = pick(random, PARAPHRASES[facts.aspect]);
  const answer = facts.periods
    .map((period) => choice(period, facts.place, facts) ?? renderAnswer({ ...facts, periods: [period] }))
    .join('\n');
  return { answer, paraphrased: answer !== template };
}
