/**
 * How people ask: question frames per aspect, ways to say each `when`, unit requests, the chatter,
 * emoji, mentions, typos and casing around a question, and messages that are not weather
 * questions at all. Every piece carries its meaning, so the generator knows the true query.
 */
import { WEEKDAYS, type Aspect, type TemperatureUnit, type When } from '../../bot/core/domain';
import type { Random } from './weather-model';

export const pick = <T>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)];

/**
 * A question frame. `{P}` is the place and `{W}` the time phrase; a part in [brackets] holds the
 * place and is left out when the message names none (frames without one always name a place).
 * `tense`: 'now' frames ask about the present only, 'later' frames about a time to come.
 */
export interface Frame {
  id: string;
  aspect: Aspect;
  text: string;
  tense: 'now' | 'later' | 'any';
}

const FRAME_TEXT: Record<Aspect, string[]> = {
  general: [
    "what's the weather[ in {P}] {W}",
    'whats the weather like[ in {P}] {W}',
    "how's the weather[ in {P}] {W}",
    '{P} weather {W}',
    'weather[ in {P}] {W}',
    'weather {W}[ in {P}]',
    'forecast for {P} {W}',
    "what's the forecast[ for {P}] {W}",
    'give me the forecast[ for {P}] {W}',
    "any idea what the weather's doing[ in {P}] {W}",
    "now:what's it like outside[ in {P}] {W}",
    'later:what will the weather be like[ in {P}] {W}',
    "later:what's the weather looking like[ in {P}] {W}",
    '{P} forecast {W}',
    'tell me the weather[ in {P}] {W}',
    'weather report[ for {P}] {W}',
    'can you check the weather[ in {P}] {W}',
    "later:how's {P} looking {W} weather-wise",
    'later:is it going to be nice[ in {P}] {W}',
    'now:current conditions in {P}',
    "what's the weather doing[ in {P}] {W}",
    'any weather updates for {P} {W}',
    "later:planning a trip to {P} {W}, what's the weather gonna be like",
    "later:heading to {P} {W}, what's the forecast",
    'weather check[ for {P}] {W}',
    'what kind of weather are we looking at[ in {P}] {W}',
    'is it sunny[ in {P}] {W}',
    'later:will it be sunny[ in {P}] {W}',
    '☀️[ in {P}] {W}',
    'later:will it be cloudy[ in {P}] {W}',
    'later:is it going to be clear[ in {P}] {W}',
  ],
  temperature: [
    'now:how hot is it[ in {P}] {W}',
    'now:how cold is it[ in {P}] {W}',
    'later:how hot will it get[ in {P}] {W}',
    'later:how cold will it be[ in {P}] {W}',
    "what's the temperature[ in {P}] {W}",
    'temp[ in {P}] {W}',
    '{P} temps {W}',
    'now:how warm is it[ in {P}] {W}',
    'later:will it be warm[ in {P}] {W}',
    'later:is it going to be cold[ in {P}] {W}',
    'do i need a jacket[ in {P}] {W}',
    'do i need a coat[ in {P}] {W}',
    'what should i wear[ in {P}] {W}',
    'is it cold[ in {P}] {W}',
    'is it freezing[ in {P}] {W}',
    'now:how many degrees is it[ in {P}] {W}',
    'is it shorts weather[ in {P}] {W}',
    'high and low[ for {P}] {W}',
    "what's the high[ in {P}] {W}",
    'later:how hot is it gonna be[ in {P}] {W}',
    'now:how chilly is it[ in {P}] {W}',
    'is it hot[ in {P}] {W}',
    'temperature check[ for {P}] {W}',
    'how many degrees[ in {P}] {W}',
    '{P} temperature {W}',
  ],
  rain: [
    'will it rain[ in {P}] {W}',
    'now:is it raining[ in {P}] {W}',
    'is it going to rain[ in {P}] {W}',
    'gonna rain[ in {P}] {W}',
    'do i need an umbrella[ in {P}] {W}',
    'should i bring an umbrella[ in {P}] {W}',
    'any rain[ in {P}] {W}',
    'chance of rain[ in {P}] {W}',
    '{P} rain {W}',
    'will there be showers[ in {P}] {W}',
    'now:is it pouring[ in {P}] {W}',
    'any storms[ in {P}] {W}',
    'how much rain[ in {P}] {W}',
    'later:is rain expected[ in {P}] {W}',
    'precipitation[ in {P}] {W}',
    'will it be rainy[ in {P}] {W}',
    'umbrella needed[ in {P}] {W}',
    'can i hang my washing out[ in {P}] {W}',
    '☔[ in {P}] {W}',
    'is it gonna rain[ in {P}] {W}',
    'rain[ in {P}] {W}',
    'will it stay dry[ in {P}] {W}',
  ],
  snow: [
    'will it snow[ in {P}] {W}',
    'now:is it snowing[ in {P}] {W}',
    'any snow[ in {P}] {W}',
    'is it gonna snow[ in {P}] {W}',
    'how much snow[ in {P}] {W}',
    'snow[ in {P}] {W}',
    '{P} snow {W}',
    'chance of snow[ in {P}] {W}',
    'will there be snow[ in {P}] {W}',
    'later:snow expected[ in {P}] {W}',
    'do i need snow boots[ in {P}] {W}',
    '❄️[ in {P}] {W}',
    'snowfall[ in {P}] {W}',
    'any flurries[ in {P}] {W}',
    'is it going to snow[ in {P}] {W}',
    'will we get snow[ in {P}] {W}',
    'later:is snow in the forecast[ for {P}] {W}',
    'snow day[ in {P}] {W}',
  ],
  wind: [
    'is it windy[ in {P}] {W}',
    'now:how windy is it[ in {P}] {W}',
    'later:how windy will it be[ in {P}] {W}',
    'wind speed[ in {P}] {W}',
    '{P} wind {W}',
    'how strong is the wind[ in {P}] {W}',
    'any gusts[ in {P}] {W}',
    'is it breezy[ in {P}] {W}',
    'later:will it be windy[ in {P}] {W}',
    'which way is the wind blowing[ in {P}] {W}',
    "good day for kite flying[ in {P}] {W}? how's the wind",
    'wind[ in {P}] {W}',
    'gusty[ in {P}] {W}',
    '💨[ in {P}] {W}',
    'how gusty is it[ in {P}] {W}',
    "what's the wind like[ in {P}] {W}",
  ],
  humidity: [
    'now:how humid is it[ in {P}] {W}',
    'later:how humid will it be[ in {P}] {W}',
    'humidity[ in {P}] {W}',
    "what's the humidity[ in {P}] {W}",
    'is it muggy[ in {P}] {W}',
    'is it humid[ in {P}] {W}',
    '{P} humidity {W}',
    'is the air dry[ in {P}] {W}',
    'is it sticky[ in {P}] {W}',
    'humidity level[ in {P}] {W}',
    'later:will it be humid[ in {P}] {W}',
    'now:how damp is it[ in {P}] {W}',
    'relative humidity[ in {P}] {W}',
    'is it gonna be muggy[ in {P}] {W}',
  ],
  sun: [
    'when is sunset[ in {P}] {W}',
    "when's sunrise[ in {P}] {W}",
    'what time does the sun set[ in {P}] {W}',
    'what time does the sun rise[ in {P}] {W}',
    'sunrise[ in {P}] {W}',
    'sunset time[ in {P}] {W}',
    'uv index[ in {P}] {W}',
    'do i need sunscreen[ in {P}] {W}',
    'how strong is the sun[ in {P}] {W}',
    'how much daylight[ in {P}] {W}',
    '{P} sunset {W}',
    'golden hour[ in {P}] {W}',
    'when does it get dark[ in {P}] {W}',
    'sunrise and sunset[ in {P}] {W}',
    'how high is the uv[ in {P}] {W}',
  ],
};

export const FRAMES: readonly Frame[] = Object.entries(FRAME_TEXT).flatMap(([aspect, texts]) =>
  texts.map((raw, i) => {
    const [, tense, text] = /^(?:(now|later):)?(.*)$/.exec(raw) as RegExpExecArray;
    return { id: `${aspect}-${i + 1}`, aspect: aspect as Aspect, text, tense: (tense ?? 'any') as Frame['tense'] };
  }),
);

export const frameTakesNoPlace = (frame: Frame) => frame.text.includes('[');

const capitalize = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
const DAY_SHORT: Record<string, string> = {
  monday: 'mon',
  tuesday: 'tues',
  wednesday: 'wed',
  thursday: 'thurs',
  friday: 'fri',
  saturday: 'sat',
  sunday: 'sun',
};
const NUMBER_WORDS = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten'];

/** A way to say the time, and the `when` it means. */
export interface TimePhrase {
  text: string;
  when: When;
}

const NAMED: Record<'now' | 'today' | 'tonight' | 'tomorrow' | 'weekend', string[]> = {
  now: ['', '', '', 'right now', 'now', 'rn', 'currently', 'at the moment', 'atm', 'right now pls'],
  today: [
    'today',
    'today',
    'later today',
    'this afternoon',
    'this morning',
    'later',
    'later on',
    '2day',
    'around noon',
    'by lunchtime',
  ],
  tonight: [
    'tonight',
    'tonight',
    'this evening',
    'tonite',
    '2nite',
    'later tonight',
    'overnight',
    'this eve',
    'in the evening',
  ],
  tomorrow: [
    'tomorrow',
    'tomorrow',
    'tmrw',
    'tmr',
    'tomorow',
    'tommorow',
    '2morrow',
    'tomorrow morning',
    'tomorrow afternoon',
    'tomorrow night',
    'in the morning',
  ],
  weekend: [
    'this weekend',
    'this weekend',
    'over the weekend',
    'on the weekend',
    'for the weekend',
    'this sat and sun',
    'this wknd',
    'saturday and sunday',
  ],
};

/** How the generator says `when`; for `+Nd` it chooses N too. */
export function timePhrase(
  random: Random,
  kind: 'now' | 'today' | 'tonight' | 'tomorrow' | 'weekend' | 'weekday' | 'days-ahead',
): TimePhrase {
  if (kind === 'weekday') {
    const day = pick(random, WEEKDAYS);
    const name = random() < 0.3 ? capitalize(day) : day;
    const short = DAY_SHORT[day];
    const text = pick(random, [
      `on ${name}`,
      `on ${name}`,
      name,
      `this ${name}`,
      `next ${name}`,
      `on ${short}`,
      `${name} morning`,
      `${name} afternoon`,
      `${name} night`,
      `this coming ${name}`,
    ]);
    return { text, when: day };
  }
  if (kind === 'days-ahead') {
    const fixed: TimePhrase[] = [
      { text: 'the day after tomorrow', when: '+2d' },
      { text: 'day after tomorrow', when: '+2d' },
      { text: 'in a couple of days', when: '+2d' },
      { text: 'in a few days', when: '+3d' },
      { text: 'next week', when: '+7d' },
      { text: 'in a week', when: '+7d' },
      { text: 'a week from today', when: '+7d' },
      { text: 'in 2 weeks', when: '+14d' },
      { text: 'in a fortnight', when: '+14d' },
    ];
    if (random() < 0.35) return pick(random, fixed);
    const n = 2 + Math.floor(random() * 13);
    const number = n <= 10 && random() < 0.3 ? NUMBER_WORDS[n] : String(n);
    return {
      text: pick(random, [
        `in ${number} days`,
        `${number} days from now`,
        `in ${number} days time`,
        `${number} days out`,
      ]),
      when: `+${n}d`,
    };
  }
  return { text: pick(random, NAMED[kind]), when: kind };
}

/** Unit requests, added to a question. */
export const UNIT_REQUESTS: Record<TemperatureUnit, string[]> = {
  celsius: [' in celsius', ' in C', ' in °C', ' (celsius pls)', ' in metric', ' in centigrade', ', in degrees C'],
  fahrenheit: [
    ' in fahrenheit',
    ' in F',
    ' in °F',
    ' (fahrenheit please)',
    ' in imperial',
    ' in freedom units',
    ', in degrees F',
  ],
};

const MENTIONS = [
  '@weatherbot',
  '@WeatherBot',
  '<@1123581321345589144>',
  '<@!1123581321345589144>',
  '<@U02ABCDE1F>',
  '@wx-bot',
];
const OPENERS = [
  'hey ',
  'hi ',
  'yo ',
  'ok so ',
  'quick question: ',
  'hey bot, ',
  'morning! ',
  'lol ',
  'sorry to bother, ',
  'hello, ',
  'hiya ',
  'question — ',
  'random q but ',
  'ok ',
  'um ',
  'bot, ',
  'so ',
  'sup, ',
  'good morning! ',
  'evening all, ',
  'thx! and ',
];
const CLOSERS = [
  ' pls',
  ' please',
  ' thx',
  ' thanks!',
  ' 🙏',
  ' lol',
  ' asking for a friend',
  ' — heading out soon',
  ' 🤔',
  ' 😅',
  ' ty',
  ' cheers',
  ' — want to go for a run',
  ', need to plan my day',
  ' haha',
  ' btw',
  ' or nah',
];
const ASPECT_EMOJI: Record<Aspect, string[]> = {
  general: ['🌤️', '⛅', '🌍'],
  temperature: ['🥶', '🥵', '🌡️'],
  rain: ['☔', '🌧️', '☂️'],
  snow: ['❄️', '☃️', '🌨️'],
  wind: ['💨', '🌬️', '🪁'],
  humidity: ['💦', '🥵', '😓'],
  sun: ['🌅', '😎', '🌇'],
};

/** Misspellings people make of common words; the question means the same. */
const MISSPELLINGS: Record<string, string[]> = {
  weather: ['wether', 'weathr', 'whether', 'weahter', 'wx'],
  forecast: ['forcast', 'forecats'],
  temperature: ['temprature', 'tempature'],
  raining: ['rainning', 'rainig'],
  umbrella: ['umbrela', 'umberella'],
  humidity: ['humidty', 'humitidy'],
  windy: ['windey'],
  snow: ['snwo'],
  sunset: ['sunet'],
  sunrise: ['sunrse'],
  what: ['wat', 'wht'],
  "what's": ['whats', 'wats'],
  going: ['goin'],
  you: ['u'],
  please: ['plz', 'pls'],
  is: ['iz'],
  the: ['teh'],
  will: ['wil'],
  there: ['ther'],
  tell: ['tel'],
};

/** One slip of the keyboard in a word of four letters or more: swapped, dropped or doubled letter. */
function slip(word: string, random: Random): string {
  const i = 1 + Math.floor(random() * (word.length - 2));
  const kind = random();
  if (kind < 0.4) return word.slice(0, i) + word[i + 1] + word[i] + word.slice(i + 2);
  if (kind < 0.7) return word.slice(0, i) + word.slice(i + 1);
  return word.slice(0, i) + word[i] + word.slice(i);
}

/** Misspells one word of a frame's own wording (never the place or time, which are filled in later). */
export function misspell(text: string, random: Random): string {
  const words = text.split(' ');
  const candidates = words
    .map((w, i) => ({ w, i }))
    .filter(({ w }) => !w.includes('{') && !w.includes('[') && !w.includes(']') && /^[a-z']{4,}$/.test(w));
  if (candidates.length === 0) return text;
  const { w, i } = pick(random, candidates);
  words[i] = MISSPELLINGS[w] ? pick(random, MISSPELLINGS[w]) : slip(w, random);
  return words.join(' ');
}

/** Chatter, emoji, a mention and a closing mark around a question; none of it changes its meaning. */
export function decorate(question: string, aspect: Aspect | null, random: Random): string {
  let text = question;
  const mention = random() < 0.07 ? pick(random, MENTIONS) : null;
  if (random() < 0.2) text = pick(random, OPENERS) + (mention && random() < 0.6 ? `${mention} ` : '') + text;
  else if (mention) text = random() < 0.5 ? `${text} ${mention}` : `hey ${mention} ${text}`;
  const end = random();
  if (end < 0.5) text += '?';
  else if (end < 0.56) text += '??';
  else if (end < 0.6) text += '?!';
  if (random() < 0.14) text += pick(random, CLOSERS);
  if (aspect && random() < 0.1) text += ` ${pick(random, ASPECT_EMOJI[aspect])}`;
  return text;
}

/** The casing people type in: mostly lower case, some sentence case, a few shouting. Platform mentions keep theirs. */
export function recase(text: string, random: Random): string {
  const draw = random();
  const change = draw < 0.05 ? (s: string) => s.toUpperCase() : draw < 0.5 ? (s: string) => s.toLowerCase() : null;
  if (!change) return capitalize(text);
  return text
    .split(/(<[@#][^>]*>)/)
    .map((part) => (part.startsWith('<') ? part : change(part)))
    .join('');
}

/** Messages that are not weather questions, some naming a place or a weather word in another sense. */
const NOT_WEATHER = [
  'thanks!',
  'thank you so much',
  'thx',
  'ty!',
  'cheers mate',
  'great, thanks for the forecast!',
  "that's really helpful, thanks",
  'hi',
  'hello',
  'hey there',
  'good morning',
  'yo',
  'sup',
  'hiya!',
  'goodnight',
  'see you tomorrow',
  'bye!',
  'ok',
  'ok cool',
  'lol',
  'nice',
  '👍',
  '🙏',
  'haha nice',
  'who are you',
  'what can you do?',
  'help',
  'are you a bot?',
  'who made you',
  'what are your commands',
  'tell me a joke',
  'tell me a joke about rain',
  "I'm feeling under the weather today",
  "don't steal my thunder",
  'let me brainstorm a bit',
  'what causes thunderstorms?',
  'why is the sky blue',
  'how do hurricanes form',
  'what is a cold front',
  'explain el niño to me',
  'translate snow into French',
  "what's 2+2",
  'what time is it',
  "what's the date today",
  'set a timer for 10 minutes',
  'play some music',
  'who won the game last night',
  "what's the score",
  'recommend a good book',
  'what should I have for dinner',
  "I'd love a cold brew right now",
  'this song is fire',
  'my code is a disaster',
  'the meeting got moved to tomorrow',
  "I'm watching Twister tonight",
  'sunny side up or scrambled?',
  'can you order me a pizza',
  "what's bitcoin at",
  'is the server down?',
  'brb',
  'afk for a bit',
  "I'll be late tomorrow",
  'happy friday everyone!',
  'how was your weekend?',
  'anyone up for lunch?',
  "what's the wifi password",
  'the office is freezing lol',
  'my plants need water',
  'how do I reset my password',
  'what does LGTM mean',
  'ping',
  'test',
  'testing 1 2 3',
  'are you there?',
  'good bot',
  'bad bot',
  'you were wrong yesterday',
  'rain rain go away 🎵',
  'singing in the rain is a great movie',
  'snow white is my favourite',
  'what a breeze that exam was',
  'she took it by storm',
  "I'm snowed under with work",
  "it's raining cats and dogs in my inbox lol",
];

const NOT_WEATHER_WITH_PLACE = [
  "how's the traffic in {P}",
  'how many people live in {P}',
  'tell me about the history of {P}',
  "what's the best pizza in {P}",
  'flights to {P} tomorrow?',
  'what time is it in {P}',
  "I'm moving to {P} next month",
  'is {P} safe at night',
  "what's the best time to visit {P}",
  'who is the mayor of {P}',
  'how much is a hotel in {P} this weekend?',
  'any good restaurants in {P}?',
  "I'm heading to {P} tomorrow",
  'what language do they speak in {P}',
  'is {P} expensive?',
  'my sister lives in {P}',
  'how far is {P} from here',
  'just landed in {P}!',
  'best coffee in {P}?',
  'what currency does {P} use',
  'recommend a museum in {P}',
  'how do I get to {P} by train',
  'what is {P} famous for',
  'when does the Apple store in {P} open?',
];

/** Frames of messages that are not weather questions; `{P}` is a city. */
export const NOT_WEATHER_FRAMES: readonly { id: string; text: string }[] = [
  ...NOT_WEATHER.map((text, i) => ({ id: `chat-${i + 1}`, text })),
  ...NOT_WEATHER_WITH_PLACE.map((text, i) => ({ id: `chat-place-${i + 1}`, text })),
];
