/**
 * The messages the fuzzer sends the assistant: random and adversarial text (unicode, control
 * characters, mass mentions, command look-alikes, markdown and HTML, huge and empty, mixed
 * scripts) and plausible weather questions with random places and times. Each case says who
 * sends it and whether it was built as a leading command ("/name …", after any leading
 * mentions), the only text that may run a command.
 */
import fc from 'fast-check';

/** Who sends a case: a member (rate-limited, no moderation rights) or a moderator. */
export type Sender = 'member' | 'moderator';

export interface FuzzCase {
  text: string;
  sender: Sender;
  /** Built as a leading command: "/name args", possibly after leading mentions. */
  leading: boolean;
  /** The member's number (members are spread over a few ids, as in a busy channel). */
  member: number;
}

/** C0 and C1 control characters, DEL included (tab and line feed too: they are control characters all the same). */
export const controlCharacter: fc.Arbitrary<string> = fc
  .oneof(fc.integer({ min: 0, max: 0x1f }), fc.integer({ min: 0x7f, max: 0x9f }))
  .map((code) => String.fromCharCode(code));

/** Characters that reorder, hide or join text. */
const invisibles = fc.constantFrom(
  '\u200b',
  '\u200c',
  '\u200d',
  '\u2060',
  '\ufeff',
  '\u202e',
  '\u202d',
  '\u2066',
  '\u00ad',
);

export const massMention = fc.constantFrom('@everyone', '@here', '<!channel>', '<!here>', '<!everyone>');

const mention = fc.oneof(
  massMention,
  fc.constantFrom(
    '<@123>',
    '<@!123456789012345678>',
    '<@&987654321>',
    '<#C0123>',
    '<@U024BE7LH>',
    '@bot',
    '＠everyone',
  ),
  fc.integer({ min: 0, max: 2 ** 31 }).map((id) => `<@${id}>`),
  fc.constantFrom('@', '@@here', '@every\u200bone', '<!subteam^S0123>', '<@>'),
);

/** The commands the assistant knows, and a few it does not. */
export const COMMAND_NAMES = [
  'approve',
  'reject',
  'correct',
  'help',
  'weather',
  'units',
  'setlocation',
  'dataset',
  'model',
  'retrain',
  'frobnicate',
] as const;
const MODERATION = ['approve', 'reject', 'correct'] as const;

/** Something that looks like a command but is not one where it stands. */
const commandLookAlike = fc.oneof(
  fc.constantFrom(...MODERATION).map((name) => `/${name}`),
  fc
    .tuple(fc.constantFrom('／', '⁄', '∕', '⧸', '\\', '!', '.', '//', '/ '), fc.constantFrom(...COMMAND_NAMES))
    .map(([slash, name]) => `${slash}${name}`),
  fc.constantFrom('/approve 000001-0001', '/correct it is sunny', '/reject', '/model rollback', '/retrain now'),
);

const markup = fc.constantFrom(
  '**bold**',
  '__under__',
  '~~strike~~',
  '||spoiler||',
  '`code`',
  '```js\nalert(1)\n```',
  '> quoted',
  '[link](https://example.com)',
  '<https://example.com|x>',
  '<script>alert(1)</script>',
  '<b>bold</b>',
  '&lt;&amp;&gt;',
  '<img src=x onerror=alert(1)>',
  '# heading',
  '- item',
  '<a:wave:123456789>',
  ':sunny:',
  '${process.env}',
  '{"weather":true}',
  '%s%n%x',
);

const scripts = fc.constantFrom(
  'Погода в Москве',
  'الطقس في القاهرة',
  '東京の天気は？',
  '서울 날씨',
  'मौसम कैसा है',
  'Ελλάδα βροχή',
  'שלום עולם',
  'ÅÄÖ åäö',
  'Z̷̢̛a̸l̶g̵o̴',
  '🌧️☔🌡️💨❄️🥵',
  '👨‍👩‍👧‍👦🏳️‍🌈',
  'ｗｅａｔｈｅｒ ｉｎ Ｐａｒｉｓ',
  'e\u0301e\u0301',
);

/** Random text of every kind of code point, lone surrogates included. */
const unicodeNoise = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ maxLength: 40 }),
);

/** One piece of a message. */
const fragment: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: unicodeNoise },
  { weight: 2, arbitrary: controlCharacter },
  { weight: 1, arbitrary: invisibles },
  { weight: 2, arbitrary: mention },
  { weight: 2, arbitrary: commandLookAlike },
  { weight: 2, arbitrary: markup },
  { weight: 2, arbitrary: scripts },
  { weight: 1, arbitrary: fc.constantFrom(' ', '\n', '\t', '\r\n', '\u3000', '\u00a0') },
);

/** Known places (some with a region), near misses, and made-up or hostile ones. */
export const place: fc.Arbitrary<string> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.constantFrom(
      'Paris',
      'Paris, TX',
      'Paris, Tennessee',
      'London',
      'London, Ontario',
      'New York',
      'São Paulo',
      'Sao Paulo',
      'Tokyo',
      'Philadelphia',
      'philly',
      'Reykjavík',
      'Sydney',
    ),
  },
  {
    weight: 2,
    arbitrary: fc.constantFrom('Xyzzyville', 'Pari', 'Lodnon', 'Atlantis', 'Paris, Mars', 'Tokyo, FR', 'Nowhere 42'),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.constantFrom('Paris', 'Tokyo', 'London'), fragment)
      .map(([name, noise]) => `${name}${noise}`),
  },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 30 }) },
);

const when = fc.oneof(
  fc.constantFrom(
    '',
    'today',
    'tomorrow',
    'tonight',
    'this weekend',
    'on Friday',
    'next week',
    'right now',
    'tmrw',
    'this afternoon',
    'at 5pm',
    'on 31 Feb',
  ),
  fc.integer({ min: -3, max: 40 }).map((days) => `in ${days} days`),
  fc.integer({ min: 0, max: 99 }).map((hour) => `at ${hour}:00`),
);

const weatherQuestion = fc
  .tuple(
    fc.constantFrom(
      'weather in {p} {w}',
      'will it rain in {p} {w}?',
      'is it windy in {p} {w}',
      'how hot is it in {p} {w}',
      'snow in {p} {w}?',
      'humidity in {p} {w}',
      'what is the temperature in {p} {w} in fahrenheit',
      '{w} {p} weather??',
      'do I need an umbrella {w} in {p}',
      'uv index {p} {w}',
      'is it 99 degrees in {p} {w}?',
    ),
    place,
    when,
  )
  .map(([frame, where, time]) => frame.replace('{p}', where).replace('{w}', time));

const joined = (parts: string[]) => parts.join('');

/** Text that is anything at all. */
const anything: fc.Arbitrary<string> = fc.oneof(
  { weight: 5, arbitrary: fc.array(fragment, { maxLength: 12 }).map(joined) },
  { weight: 4, arbitrary: weatherQuestion },
  {
    weight: 2,
    arbitrary: fc
      .tuple(weatherQuestion, fc.array(fragment, { minLength: 1, maxLength: 4 }))
      .map(([q, noise]) => `${q}${joined(noise)}`),
  },
  {
    // Huge: around the length cap, and far past it.
    weight: 1,
    arbitrary: fc
      .tuple(fc.oneof(fragment, weatherQuestion), fc.integer({ min: 1, max: 400 }))
      .map(([piece, times]) => piece.repeat(times).slice(0, 20_000)),
  },
  { weight: 1, arbitrary: fc.constantFrom('', ' ', '\n\n', '\t', '\u200b', '\u0000', '<@123>', '@everyone') },
);

/**
 * A message that is not a leading command: it opens (after any mentions) with a word, or with a
 * slash that is not "/" (full-width "／approve" and the like), and may hold commands later on.
 */
export const notACommand: fc.Arbitrary<string> = fc
  .tuple(
    fc.array(mention, { maxLength: 2 }),
    fc.oneof(
      fc.constantFrom('please ', 'hey ', 'so', 'weather ', 'ok ', 'Tokyo ', 'x', 'é ', '東京 ', 'ok/'),
      commandLookAlike.filter((text) => !text.startsWith('/')),
    ),
    anything,
    fc.option(commandLookAlike, { nil: '' }),
  )
  .map(([mentions, opening, body, tail]) => `${mentions.map((m) => `${m} `).join('')}${opening}${body}${tail}`);

/**
 * "/name args", after any leading mentions: what may run a command. Names are known, unknown, or
 * hostile (a mention, markup); arguments are places, times, noise, or text a command may echo.
 */
export const leadingCommand: fc.Arbitrary<string> = fc
  .tuple(
    fc.option(fc.constantFrom('<@123> ', '@bot ', '  '), { nil: '' }),
    fc.oneof(
      { weight: 6, arbitrary: fc.constantFrom(...COMMAND_NAMES) },
      { weight: 2, arbitrary: fc.string({ maxLength: 8 }) },
      {
        weight: 1,
        arbitrary: fc.oneof(
          mention,
          markup,
          controlCharacter.map((c) => `help${c}`),
        ),
      },
    ),
    fc.oneof(
      place,
      when,
      fragment,
      fc.constantFrom('', 'c', 'f', 'kelvin', 'channel Tokyo', 'stats', 'off'),
      fc.tuple(fc.oneof(place, fc.constant('')), mention).map(([where, who]) => `${where} ${who}`),
    ),
    fc.option(fragment, { nil: '' }),
  )
  .map(([lead, name, args, noise]) => `${lead}/${name} ${args}${noise}`);

/** Nothing to read: empty, blank, invisible, or mentions only. */
const blank = fc
  .array(fc.constantFrom('', ' ', '\n\n', '\t', '\u200b', '\u0000', '\u3000', '<@123>', '@bot', '\r\n'), {
    maxLength: 4,
  })
  .map(joined);

export const fuzzCase: fc.Arbitrary<FuzzCase> = fc.oneof(
  {
    weight: 1,
    arbitrary: fc.record({
      text: blank,
      sender: fc.constantFrom<Sender>('member', 'moderator'),
      leading: fc.constant(false),
      member: fc.integer({ min: 0, max: 7 }),
    }),
  },
  {
    weight: 16,
    arbitrary: fc.record({
      text: notACommand,
      sender: fc.constantFrom<Sender>('member', 'moderator'),
      leading: fc.constant(false),
      member: fc.integer({ min: 0, max: 7 }),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      text: leadingCommand,
      sender: fc.constantFrom<Sender>('member', 'moderator'),
      leading: fc.constant(true),
      member: fc.integer({ min: 0, max: 7 }),
    }),
  },
);
