/** Temperature units asked for in a message: "in F", "°C", "in fahrenheit", "metric", "imperial". */
import type { TemperatureUnit } from '../core/domain';
import type { Token } from '../core/text';

const UNIT_WORDS: Record<string, TemperatureUnit> = {
  celsius: 'celsius',
  centigrade: 'celsius',
  metric: 'celsius',
  '°c': 'celsius',
  degc: 'celsius',
  fahrenheit: 'fahrenheit',
  imperial: 'fahrenheit',
  '°f': 'fahrenheit',
  degf: 'fahrenheit',
  freedom: 'fahrenheit',
};
const LETTERS: Record<string, TemperatureUnit> = { c: 'celsius', f: 'fahrenheit' };
/** Words after which a lone "C" or "F" is a unit ("in F", "degrees C"). */
const BEFORE_LETTER = new Set(['in', 'into', 'degrees', 'degree', 'deg', 'to']);
const LEADS = new Set(['in', 'into', 'to', 'using', 'use']);

export interface UnitsMention {
  units: TemperatureUnit | null;
  /** Token indices that belong to unit phrases (the "in" of "in F" included). */
  indices: number[];
}

export function findUnits(tokens: Token[]): UnitsMention {
  let units: TemperatureUnit | null = null;
  const indices: number[] = [];
  tokens.forEach((token, i) => {
    const previous = tokens[i - 1]?.key ?? '';
    let unit: TemperatureUnit | undefined = UNIT_WORDS[token.key];
    if (token.key === 'freedom' && tokens[i + 1]?.key !== 'units') unit = undefined;
    if (!unit && LETTERS[token.key] && BEFORE_LETTER.has(previous)) unit = LETTERS[token.key];
    const withNumber = /^-?\d+(?:\.\d+)?°?([cf])$/.exec(token.key);
    if (!unit && withNumber) unit = LETTERS[withNumber[1]];
    if (!unit) return;
    units ??= unit;
    indices.push(i);
    if (token.key === 'freedom') indices.push(i + 1);
    if (LEADS.has(previous)) indices.push(i - 1);
  });
  return { units, indices };
}
