/** Commands' typed options: the text form parsed once from the declarations, a platform's values checked by them. */
import type { IncomingMessage, Role } from '../../bot/chat/message';
import { replies } from '../../bot/chat/replies';
import { runCommand, type CommandInvocation, type CommandServices } from '../../bot/commands';
import { checkOptions, parseOptions, textSyntax, type OptionSpec } from '../../bot/commands/options';
import { silentLogger } from '../../bot/core/log';
import type { Preferences, PreferenceScope } from '../../bot/core/store';

/** A made-up command's options, one of each kind: what the parser is built to read. */
const FORECAST = [
  {
    name: 'scope',
    type: 'choice',
    description: 'whose',
    choices: [{ value: 'me' }, { value: 'channel', aliases: ['server'] }],
  },
  { name: 'days', type: 'integer', description: 'how many days', required: true },
  { name: 'hourly', type: 'boolean', description: 'hour by hour' },
  { name: 'code', type: 'string', description: 'a station code such as LPPT', pattern: /^[A-Z]{4}$/ },
  { name: 'place', type: 'string', description: 'the place', maxLength: 20 },
] as const satisfies readonly OptionSpec[];

describe('the text form, parsed from the declarations', () => {
  test('fills the options in order, typed; a string without a pattern takes the rest of the line', () => {
    expect(parseOptions(FORECAST, 'channel 3 yes LPPT São Paulo,  SP')).toEqual({
      values: { scope: 'channel', days: 3, hourly: true, code: 'LPPT', place: 'São Paulo,  SP' },
    });
    expect(parseOptions(FORECAST, '  SERVER 7 off ')).toEqual({ values: { scope: 'channel', days: 7, hourly: false } });
  });

  test('an optional option in front of a required one may be left out; after the required ones they go in order', () => {
    expect(parseOptions(FORECAST, '3')).toEqual({ values: { days: 3 } });
    expect(parseOptions(FORECAST, '3 no')).toEqual({ values: { days: 3, hourly: false } });
    expect(parseOptions(FORECAST, '3 Lisbon')).toEqual({ problem: 'hourly must be yes or no, not “Lisbon”.' });
  });

  test('a missing required option is named, with what it takes', () => {
    expect(parseOptions(FORECAST, '')).toEqual({ problem: 'days is missing: a whole number.' });
    expect(parseOptions(FORECAST, 'channel')).toEqual({ problem: 'days is missing: a whole number.' });
  });

  test('a word that does not fit its option is named: a bad whole number, a bad choice, a bad yes/no', () => {
    expect(parseOptions(FORECAST, 'soon')).toEqual({ problem: 'days must be a whole number, not “soon”.' });
    expect(parseOptions(FORECAST, 'me 2.5')).toEqual({ problem: 'days must be a whole number, not “2.5”.' });
    const choose = [
      {
        name: 'system',
        type: 'choice',
        description: 'units',
        required: true,
        choices: [{ value: 'c' }, { value: 'f' }],
      },
    ] as const;
    expect(parseOptions(choose, 'kelvin')).toEqual({ problem: 'system must be c or f, not “kelvin”.' });
    expect(parseOptions([{ name: 'hourly', type: 'boolean', description: 'hour by hour' }], 'maybe')).toEqual({
      problem: 'hourly must be yes or no, not “maybe”.',
    });
  });

  test('a string too long, and words left over, are said so', () => {
    expect(parseOptions(FORECAST, '3 no LPPT Llanfairpwllgwyngyllgogerychwyrndrobwllllantysiliogogogoch')).toEqual({
      problem: 'place must be at most 20 characters.',
    });
    expect(
      parseOptions([{ name: 'code', type: 'string', description: 'a code', pattern: /^\d+$/ }], '42 and more'),
    ).toEqual({ problem: 'I did not expect “and more”.' });
    expect(parseOptions([], 'anything')).toEqual({ problem: 'I did not expect “anything”.' });
  });

  test('the hint of the syntax is read from the same declarations', () => {
    expect(textSyntax(FORECAST)).toBe('[me|channel] <days> [hourly] [code] [place]');
  });
});

describe("a platform's values, checked by the same declarations", () => {
  test('typed values pass; words are read as in text', () => {
    expect(checkOptions(FORECAST, { days: 3, hourly: false, scope: 'channel' })).toEqual({
      values: { days: 3, hourly: false, scope: 'channel' },
    });
    expect(checkOptions(FORECAST, { days: '4', place: 'Lisbon' })).toEqual({ values: { days: 4, place: 'Lisbon' } });
  });

  test('missing, wrong and unknown options are named', () => {
    expect(checkOptions(FORECAST, { scope: 'me' })).toEqual({ problem: 'days is missing: a whole number.' });
    expect(checkOptions(FORECAST, { days: 2, scope: 'everyone' })).toEqual({
      problem: 'scope must be me or channel, not “everyone”.',
    });
    expect(checkOptions(FORECAST, { days: 2, code: 'lisbon' })).toEqual({
      problem: 'code must be a station code such as LPPT, not “lisbon”.',
    });
    expect(checkOptions(FORECAST, { days: 2, colour: 'red' })).toEqual({ problem: 'there is no option colour.' });
  });
});

describe('where a command runs', () => {
  const saved: Array<{ scope: PreferenceScope; id: string; patch: Preferences }> = [];
  const services = {
    preferences: {
      async setPreferences(scope: PreferenceScope, _platform: string, id: string, patch: Preferences) {
        saved.push({ scope, id, patch });
        return patch;
      },
    },
    log: silentLogger,
  } as unknown as Omit<CommandServices, 'commands'>;
  const from = (roles: Role[]): IncomingMessage => ({
    platform: 'test',
    channelId: 'channel-1',
    author: { id: 'user-1', roles },
    text: '',
  });
  const run = (invocation: CommandInvocation, roles: Role[] = []) =>
    runCommand(services, from(roles), invocation, () => undefined);

  beforeEach(() => {
    saved.length = 0;
  });

  test('the text form and the typed form reach the handler as the same options', async () => {
    await run({ name: 'units', text: 'channel F' }, ['moderator']);
    await run({ name: 'units', options: { system: 'f', scope: 'channel' } }, ['moderator']);
    await run({ name: 'units', text: 'celsius' });
    expect(saved).toEqual([
      { scope: 'channel', id: 'channel-1', patch: { units: 'imperial' } },
      { scope: 'channel', id: 'channel-1', patch: { units: 'imperial' } },
      { scope: 'user', id: 'user-1', patch: { units: 'metric' } },
    ]);
  });

  test('options that do not read get the command’s own hint, or the problem named with the usage', async () => {
    expect(await run({ name: 'units', text: 'kelvin' })).toEqual({
      kind: 'command',
      text: 'Use /units c (°C, km/h, mm) or /units f (°F, mph, in).',
    });
    expect(await run({ name: 'approve', text: 'that one' }, ['moderator'])).toEqual({
      kind: 'command',
      text: '/approve: exchange must be an exchange id such as 000042-0137, not “that”. Usage: /approve [exchange-id]',
    });
    expect((await run({ name: 'help', text: 'me' })).text).toBe('/help: I did not expect “me”. Usage: /help');
  });

  test('the permission is checked before the options are read', async () => {
    expect(await run({ name: 'approve', text: 'that one' })).toEqual({
      kind: 'refused',
      text: replies.refused('approve', 'moderator'),
    });
    expect(await run({ name: 'frobnicate', text: '' })).toEqual({
      kind: 'error',
      text: replies.unknownCommand('frobnicate'),
    });
  });
});
