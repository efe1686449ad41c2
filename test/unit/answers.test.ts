import { buildFacts, compass, HorizonError } from '../../bot/answers/facts';
import { unsupportedNumbers } from '../../bot/core/fact-guard';
import { renderAnswer } from '../../bot/answers/templates';
import { ASPECTS, type Aspect, type HourlyForecast, type WeatherReport, type When } from '../../bot/core/domain';
import { makeReport } from '../helpers/report';

const answer = (when: When, aspect: Aspect, options: Parameters<typeof makeReport>[0] = {}) =>
  renderAnswer(buildFacts(makeReport(options), { when, aspect }));

describe('facts', () => {
  test('now: current conditions, rounded as shown, with the place as resolved, then today as its own period', () => {
    const facts = buildFacts(makeReport(), { when: 'now', aspect: 'general' });
    expect(facts.place).toBe('Paris, Île-de-France, FR');
    expect(facts.periods).toEqual([
      expect.objectContaining({
        label: 'right now',
        temperature: 12,
        feelsLike: 9,
        humidity: 77,
        windSpeed: 15,
        windDirection: 'WSW',
      }),
      expect.objectContaining({ label: 'today (Wed 25 Nov)', high: 14, low: 6 }),
    ]);
    expect(facts.periods[0]).not.toHaveProperty('high');
    expect(facts.periods[0]).not.toHaveProperty('low');
  });

  test('day names resolve from the place’s local today', () => {
    const pick = (when: When) => buildFacts(makeReport(), { when, aspect: 'temperature' }).periods.map((p) => p.label);
    expect(pick('today')).toEqual(['today (Wed 25 Nov)']);
    expect(pick('tomorrow')).toEqual(['tomorrow (Thu 26 Nov)']);
    expect(pick('wednesday')).toEqual(['today (Wed 25 Nov)']);
    expect(pick('tuesday')).toEqual(['Tue 1 Dec']);
    expect(pick('weekend')).toEqual(['Sat 28 Nov', 'Sun 29 Nov']);
    expect(pick('+3d')).toEqual(['Sat 28 Nov']);
    expect(
      buildFacts(makeReport({ today: '2026-11-29' }), { when: 'weekend', aspect: 'general' }).periods.map(
        (p) => p.label,
      ),
    ).toEqual(['today (Sun 29 Nov)']);
  });

  test('tonight aggregates the evening and night hours', () => {
    const [night] = buildFacts(makeReport(), { when: 'tonight', aspect: 'general' }).periods;
    expect(night).toMatchObject({ label: 'tonight', low: 4, precipitationChance: 55, condition: 'moderate rain' });
  });

  test('a day beyond the forecast is a HorizonError', () => {
    expect(() => buildFacts(makeReport(), { when: '+9d', aspect: 'general' })).toThrow(HorizonError);
  });

  test('facts carry only the fields the aspect needs', () => {
    const [p] = buildFacts(makeReport(), { when: 'tomorrow', aspect: 'wind' }).periods;
    expect(Object.keys(p).sort()).toEqual(['condition', 'label', 'windDirection', 'windGust', 'windSpeed']);
  });

  test('compass points', () => {
    expect([0, 44, 90, 225, 350].map(compass)).toEqual(['N', 'NE', 'E', 'SW', 'N']);
  });
});

describe('template answers', () => {
  test('read naturally for each aspect', () => {
    expect(answer('now', 'general')).toBe(
      'Right now in Paris, Île-de-France, FR: partly cloudy, 12°C (feels like 9°C). 5% chance of precipitation this hour, wind 15 km/h from the WSW, humidity 77%.\n' +
        'Today (Wed 25 Nov): partly cloudy, high 14°C, low 6°C, 10% chance of precipitation, wind up to 20 km/h from the SW, humidity around 70%.',
    );
    expect(answer('tomorrow', 'rain')).toBe(
      "Yes — tomorrow (Thu 26 Nov) in Paris, Île-de-France, FR there's an 80% chance of rain, about 6.4 mm. Take an umbrella ☔",
    );
    expect(answer('today', 'rain')).toMatch(/^Probably not — only a 10% chance of rain today/);
    expect(answer('now', 'temperature')).toBe(
      "It's 12°C in Paris, Île-de-France, FR right now (feels like 9°C).\n" +
        'Today (Wed 25 Nov): partly cloudy, high 14°C, low 6°C, 10% chance of precipitation, wind up to 20 km/h. A jacket is a good idea.',
    );
    expect(answer('tomorrow', 'wind')).toBe(
      'Tomorrow (Thu 26 Nov) in Paris, Île-de-France, FR: wind up to 21 km/h from the SW, gusts to 42 km/h.',
    );
    expect(answer('today', 'sun')).toBe(
      'Today (Wed 25 Nov) in Paris, Île-de-France, FR: the sun rises at 07:40 and sets at 16:50; the UV index reaches 2 (low).',
    );
    expect(answer('now', 'humidity')).toBe(
      'Humidity in Paris, Île-de-France, FR right now is 77% at 12°C (partly cloudy).\n' +
        'Today (Wed 25 Nov): partly cloudy, humidity around 70%.',
    );
    expect(answer('tomorrow', 'snow')).toBe(
      'No snow expected tomorrow (Thu 26 Nov) in Paris, Île-de-France, FR — moderate rain (high 15°C, low 7°C).',
    );
    expect(answer('weekend', 'general').split('\n')).toHaveLength(2);
  });

  test('imperial reports read in °F, mph and 12-hour clock', () => {
    const text = answer('today', 'sun', {
      units: 'imperial',
      place: { name: 'Paris', region: 'Texas', countryCode: 'US', country: 'United States' },
    });
    expect(text).toBe(
      'Today (Wed 25 Nov) in Paris, Texas, US: the sun rises at 7:40 AM and sets at 4:50 PM; the UV index reaches 2 (low).',
    );
    expect(answer('now', 'wind', { units: 'imperial' })).toContain('15 mph');
  });

  test('every number in every answer comes from the facts', () => {
    const whens: When[] = ['now', 'today', 'tonight', 'tomorrow', 'weekend', 'friday', '+5d'];
    for (const when of whens) {
      for (const aspect of ASPECTS) {
        for (const units of ['metric', 'imperial'] as const) {
          // Midday, a night, a weekend evening: the periods differ and the numbers must still be the facts'.
          for (const [today, hour] of [
            ['2026-11-25', 14],
            ['2026-11-25', 2],
            ['2026-11-28', 22],
            ['2026-11-29', 20],
          ] as const) {
            const facts = buildFacts(makeReport({ units, today, hour }), { when, aspect });
            expect({
              when,
              aspect,
              units,
              today,
              hour,
              unsupported: unsupportedNumbers(renderAnswer(facts), facts),
            }).toEqual({ when, aspect, units, today, hour, unsupported: [] });
          }
        }
      }
    }
  });
});

test('sunset tonight answers with tonight’s sunset and the next sunrise', () => {
  expect(answer('tonight', 'sun')).toBe(
    'Tonight in Paris, Île-de-France, FR: the sun sets at 16:50 and rises again at 07:41.',
  );
});

/** The test report with its clock set to a local time of the place ("22:40"). */
function reportAt(today: string, time: string): WeatherReport {
  const report = makeReport({ today });
  report.current.time = `${today}T${time}`;
  return report;
}

/** The report's hours in [from, to), local times. */
const hoursIn = (report: WeatherReport, from: string, to: string) =>
  report.hourly.filter((h) => h.time >= from && h.time < to);
const chanceOf = (hours: HourlyForecast[]) => Math.max(...hours.map((h) => h.precipitationProbability ?? 0));
const lowOf = (hours: HourlyForecast[]) => Math.round(Math.min(...hours.map((h) => h.temperature)));

describe('a period asked about late in it covers what is left of it and what comes next', () => {
  test('"this weekend" at 22:40 on Saturday: the rest of Saturday from its hours, then Sunday', () => {
    const report = reportAt('2026-11-28', '22:40');
    const facts = buildFacts(report, { when: 'weekend', aspect: 'general' });
    expect(facts.periods.map((p) => p.label)).toEqual(['the rest of today (Sat 28 Nov)', 'tomorrow (Sun 29 Nov)']);
    const left = hoursIn(report, '2026-11-28T22:00', '2026-11-29T00:00');
    expect(facts.periods[0]).toMatchObject({ precipitationChance: chanceOf(left), low: lowOf(left) });
    expect(facts.periods[1]).toMatchObject({ high: Math.round(report.daily[1].temperatureMax) });
  });

  test('"this weekend" late on Saturday names no sunrise or sunset already past, and Sunday’s ahead', () => {
    const report = reportAt('2026-11-28', '22:40');
    const [saturday, sunday] = report.daily;
    const text = renderAnswer(buildFacts(report, { when: 'weekend', aspect: 'sun' }));
    const clock = (iso: string | null) => iso!.slice(11, 16);
    expect(text).not.toContain(clock(saturday.sunrise));
    expect(text).not.toContain(clock(saturday.sunset));
    expect(text).toContain(`the sun rises at ${clock(sunday.sunrise)} and sets at ${clock(sunday.sunset)}`);
  });

  test('"this weekend" on Sunday evening: the hours left of it, then the next weekend as far as the forecast goes', () => {
    const report = reportAt('2026-11-29', '20:15');
    const facts = buildFacts(report, { when: 'weekend', aspect: 'rain' });
    expect(facts.periods.map((p) => p.label)).toEqual([
      'the rest of today (Sun 29 Nov)',
      'next Saturday (Sat 5 Dec)',
      'next Sunday (Sun 6 Dec)',
    ]);
    expect(facts.period).toBe('the rest of this weekend and the next');
    expect(facts.periods[0].precipitationChance).toBe(
      chanceOf(hoursIn(report, '2026-11-29T20:00', '2026-11-30T00:00')),
    );
    expect(renderAnswer(facts).split('\n')).toHaveLength(3);

    const shortForecast = { ...report, daily: report.daily.slice(0, 6) };
    const rest = buildFacts(shortForecast, { when: 'weekend', aspect: 'rain' });
    expect(rest.periods.map((p) => p.label)).toEqual(['the rest of today (Sun 29 Nov)']);
    expect(rest.period).toBe('the rest of this weekend');
  });

  test('"this weekend" on Sunday afternoon is still the whole of today', () => {
    const facts = buildFacts(reportAt('2026-11-29', '15:00'), { when: 'weekend', aspect: 'general' });
    expect(facts.periods.map((p) => p.label)).toEqual(['today (Sun 29 Nov)']);
  });

  test('a forecast in 3-hour steps still has the step under way for the rest of the day', () => {
    const report = reportAt('2026-11-28', '22:40');
    report.hourly = report.hourly.filter((h) => Number(h.time.slice(11, 13)) % 3 === 0);
    const [rest] = buildFacts(report, { when: 'weekend', aspect: 'general' }).periods;
    expect(rest.label).toBe('the rest of today (Sat 28 Nov)');
    expect(rest.precipitationChance).toBe(chanceOf(hoursIn(report, '2026-11-28T21:00', '2026-11-29T00:00')));
  });

  test('"tonight" at 02:00 is the rest of this night, until this morning', () => {
    const report = reportAt('2026-11-25', '02:00');
    const [night] = buildFacts(report, { when: 'tonight', aspect: 'general' }).periods;
    const left = hoursIn(report, '2026-11-25T02:00', '2026-11-25T06:00');
    expect(night).toMatchObject({ label: 'tonight', precipitationChance: chanceOf(left), low: lowOf(left) });
    expect(night.condition).toBe(left[0].condition.text);
    const text = renderAnswer(buildFacts(report, { when: 'tonight', aspect: 'sun' }));
    expect(text).toContain(`the sun rises at ${report.daily[0].sunrise!.slice(11, 16)}`);
    expect(text).not.toContain(report.daily[0].sunset!.slice(11, 16));
  });

  test('"tonight" late in the evening is the rest of it, with no sunset already past', () => {
    const report = reportAt('2026-11-25', '23:20');
    const [night] = buildFacts(report, { when: 'tonight', aspect: 'general' }).periods;
    const left = hoursIn(report, '2026-11-25T23:00', '2026-11-26T06:00');
    expect(night).toMatchObject({ precipitationChance: chanceOf(left), low: lowOf(left) });
    const text = renderAnswer(buildFacts(report, { when: 'tonight', aspect: 'sun' }));
    expect(text).not.toContain(report.daily[0].sunset!.slice(11, 16));
    expect(text).toContain(`the sun rises at ${report.daily[1].sunrise!.slice(11, 16)}`);
  });
});

describe('each number stands with the period it belongs to', () => {
  /** This hour is very wet; the day as a whole much less so. */
  function wetHour(): WeatherReport {
    const report = makeReport({ condition: { code: 'rain', text: 'heavy rain' } });
    const hour = report.hourly.find((h) => h.time === report.current.time)!;
    Object.assign(hour, { precipitationProbability: 97, precipitation: 7.2 });
    report.current.precipitation = 7.2;
    Object.assign(report.daily[0], { precipitationProbability: 31, precipitationSum: 11.8 });
    return report;
  }

  test.each(['general', 'rain', 'temperature'] as const)(
    'right now (%s): the hour’s figures, then the day’s',
    (aspect) => {
      const report = wetHour();
      const facts = buildFacts(report, { when: 'now', aspect });
      const text = renderAnswer(facts);
      const [nowLine, todayLine] = text.split('\n');
      expect(unsupportedNumbers(text, facts)).toEqual([]);
      expect(todayLine).toMatch(/^Today \(Wed 25 Nov\): /);
      expect(todayLine).toContain('31% chance of precipitation');
      expect(todayLine).not.toMatch(/\b97%|\b7\.2 mm/);
      expect(nowLine).not.toMatch(/\b31%|11\.8 mm|high|low/);
      if (aspect !== 'temperature') expect(nowLine).toContain('7.2 mm in the last hour');
      if (aspect === 'general') {
        expect(nowLine).toContain('97% chance of precipitation this hour');
        expect(todayLine).toContain('high 14°C, low 6°C, 31% chance of precipitation (11.8 mm)');
      }
    },
  );
});
