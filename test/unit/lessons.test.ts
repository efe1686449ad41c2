import type { Understanding } from '../../bot/core/domain';
import { everydayWords, Lessons, type Correction } from '../../bot/understanding/lessons';
import { understandByRules } from '../../bot/understanding/rules';

const query = (location: string | null, when: string, aspect: string, region: string | null = null): Understanding =>
  ({ weather: true, location, region, when, aspect, units: null }) as Understanding;

let next = 0;
const correction = (message: string, reading: Understanding, placeNotFound = false): Correction => ({
  id: `000001-${String(next++).padStart(4, '0')}`,
  message,
  misread: null,
  placeNotFound,
  reading,
});

describe('a nickname', () => {
  test('the name a message used for a place it did not name is read as that place in other messages', () => {
    const lessons = new Lessons(understandByRules);
    const lesson = lessons.learn(
      correction('how cold is it in the Big D right now', query('Dallas', 'now', 'temperature', 'TX')),
    );
    expect(lesson).toMatchObject({ nickname: 'big d', words: [] });
    expect(lessons.read('will it rain in Big D tomorrow?')).toEqual(query('Dallas', 'tomorrow', 'rain', 'TX'));
    expect(lessons.read('Big D weather this weekend')).toEqual(query('Dallas', 'weekend', 'general', 'TX'));
  });

  test('a name the geocoder did not find, corrected, is a nickname; a found place replaced is not', () => {
    const lessons = new Lessons(understandByRules);
    expect(
      lessons.learn(correction('rain in Cowtown tomorrow?', query('Fort Worth', 'tomorrow', 'rain'), true)),
    ).toMatchObject({
      nickname: 'cowtown',
    });
    expect(lessons.read('snow in cowtown on friday')).toEqual(query('Fort Worth', 'friday', 'snow'));
    expect(lessons.learn(correction('weather in Paris', query('Tokyo', 'now', 'general')))).toBeNull();
    expect(lessons.read('weather in Paris tomorrow')).toEqual(query('Paris', 'tomorrow', 'general'));
  });
});

describe('words', () => {
  test('words the rules lack teach what the rules misread, and reach messages never seen (changed endings too)', () => {
    const lessons = new Lessons(understandByRules);
    const lesson = lessons.learn(correction('wird es morgen in Wien regnen?', query('Vienna', 'tomorrow', 'rain')));
    expect(lesson).toMatchObject({
      words: ['wird', 'es', 'morgen', 'regnen'],
      teaches: { weather: true, when: 'tomorrow', aspect: 'rain' },
      placeWord: null,
    });
    expect(understandByRules('regnet es morgen in Graz?')).toEqual({ weather: false });
    expect(lessons.read('regnet es morgen in Graz?')).toEqual(query('Graz', 'tomorrow', 'rain'));
  });

  test('a word teaches only what the rules still misread once told it is about the weather', () => {
    const lessons = new Lessons(understandByRules);
    // The rules read "tomorrow" themselves: "qeather" teaches that it is about the weather, not when.
    expect(
      lessons.learn(correction('qeather in Chicago tomorrow?', query('Chicago', 'tomorrow', 'general'))),
    ).toMatchObject({
      words: ['qeather'],
      teaches: { weather: true },
    });
    expect(lessons.read('whats the qeather in Boston')).toEqual(query('Boston', 'now', 'general'));
  });

  test('the rules decide what they read; lessons fill in only what they did not', () => {
    const lessons = new Lessons(understandByRules);
    lessons.learn(correction('is it baltic in Newcastle today', query('Newcastle', 'today', 'temperature')));
    expect(lessons.read('bit baltic in Leeds tonight?')).toEqual(query('Leeds', 'tonight', 'temperature'));
    // "wind" is the rules' own aspect word: a taught word does not overrule it.
    expect(lessons.read('baltic wind in Leeds tomorrow')).toEqual(query('Leeds', 'tomorrow', 'wind'));
  });

  test('grammar words alone make nothing about the weather, and "no" corrections teach too', () => {
    const lessons = new Lessons(understandByRules);
    lessons.learn(correction('wird es morgen in Wien regnen?', query('Vienna', 'tomorrow', 'rain')));
    expect(lessons.read('es tut mir leid')).toEqual({ weather: false });
    expect(lessons.read('wird es ein gutes Spiel?')).toMatchObject({ weather: true });
    lessons.learn(correction('wird es ein gutes Spiel?', { weather: false }));
    expect(lessons.read('wird es ein gutes Konzert?')).toEqual({ weather: false });
    expect(lessons.read('regnet es morgen in Graz?')).toEqual(query('Graz', 'tomorrow', 'rain'));
  });

  test('the word before a taught place finds places after it; taught words never end a place name', () => {
    const lessons = new Lessons(understandByRules);
    expect(lessons.learn(correction('¿hace frío en Quito hoy?', query('Quito', 'today', 'temperature')))).toMatchObject(
      {
        placeWord: 'en',
      },
    );
    expect(lessons.read('¿hace frío en Bogotá hoy?')).toEqual(query('Bogotá', 'today', 'temperature'));
    lessons.learn(correction('wird es morgen in Hamburg windig?', query('Hamburg', 'tomorrow', 'wind')));
    expect(lessons.read('wird es in Bremen morgen windig?')).toEqual(query('Bremen', 'tomorrow', 'wind'));
  });

  test('everyday words (in many of the seed messages) teach nothing; rarer ones, typos among them, do', () => {
    const everyday = everydayWords([...Array(20).fill('quick question: rain later?'), 'snwo in Boulder?']);
    expect([...everyday].sort()).toEqual(['later', 'question', 'quick', 'rain']);
    const lessons = new Lessons(understandByRules, everyday);
    expect(
      lessons.learn(correction('quick question: snwo in Boulder?', query('Boulder', 'now', 'snow'))),
    ).toMatchObject({
      words: ['snwo'],
    });
    expect(lessons.read('quick question about my code')).toEqual({ weather: false });
  });
});

test('forget stops a lesson; learning again from the same exchange replaces it', () => {
  const lessons = new Lessons(understandByRules);
  const taught = correction('how cold is it in the Big D right now', query('Dallas', 'now', 'temperature', 'TX'));
  lessons.learn(taught);
  // As the app does: what the bot read when the question was asked, before any lesson.
  lessons.learn({
    ...taught,
    misread: understandByRules(taught.message),
    reading: query('Denver', 'now', 'temperature'),
  });
  expect(lessons.list()).toHaveLength(1);
  expect(lessons.read('rain in big d')).toMatchObject({ location: 'Denver' });
  expect(lessons.forget(taught.id)).toBe(true);
  expect(lessons.read('rain in big d')).toMatchObject({ location: null });
  expect(lessons.forget(taught.id)).toBe(false);
});
