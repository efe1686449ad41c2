/** The command registry, and Discord's slash commands generated from it. */
import type { ChatInputCommandInteraction } from 'discord.js';
import { commandDefinitions, CORRECT_ANSWER_COMMAND, invocationOf } from '../../bot/adapters/discord/commands';
import { commands, menuCommands } from '../../bot/commands';

const definitions = JSON.parse(JSON.stringify(commandDefinitions()));
const definition = (name: string) => definitions.find((d: { name: string }) => d.name === name);

test('one registry: unique names; the moderation commands are typed in chat only, the rest are in the menus', () => {
  expect(new Set(commands.map((c) => c.name)).size).toBe(commands.length);
  expect(commands.filter((c) => c.chatOnly).map((c) => c.name)).toEqual([
    'approve',
    'reject',
    'correct',
    'undo',
    'forget',
  ]);
  expect(menuCommands.map((c) => c.name)).toEqual([
    'weather',
    'chart',
    'subscribe',
    'subscriptions',
    'unsubscribe',
    'alerts',
    'units',
    'setlocation',
    'retrain',
    'model',
    'dataset',
    'help',
  ]);
});

describe("Discord's definitions", () => {
  test('a slash command for each menu command, in the registry order, then the message command', () => {
    const names = definitions.map((d: { name: string }) => d.name);
    expect(names).toEqual([...menuCommands.map((c) => c.name), CORRECT_ANSWER_COMMAND]);
    for (const command of menuCommands) {
      expect(definition(command.name)).toMatchObject({ type: 1, description: command.description, contexts: [0, 1] });
      // Who may run a command is the bot's check: Discord is not asked to hide any.
      expect(definition(command.name)).not.toHaveProperty('default_member_permissions');
    }
    expect(definition(CORRECT_ANSWER_COMMAND)).toMatchObject({ type: 3, contexts: [0, 1] });
  });

  test('options as declared: required ones first (the text form puts the scope first), choices with their labels, lengths', () => {
    expect(definition('units').options).toEqual([
      {
        type: 3,
        name: 'system',
        description: 'the unit system',
        required: true,
        choices: [
          { name: '°C, km/h, mm', value: 'c' },
          { name: '°F, mph, in', value: 'f' },
        ],
      },
      {
        type: 3,
        name: 'scope',
        description: 'yours (default), or the default for this channel (moderators only)',
        required: false,
        choices: [
          { name: 'just me', value: 'me' },
          { name: 'this channel', value: 'channel' },
        ],
      },
    ]);
    expect(
      definition('setlocation').options.map((o: { name: string; required: boolean }) => [o.name, o.required]),
    ).toEqual([
      ['place', true],
      ['scope', false],
    ]);
    expect(definition('weather').options).toEqual([
      {
        type: 3,
        name: 'place',
        description: 'a city, optionally with region or country: "Paris, TX"',
        required: false,
        max_length: 100,
      },
      {
        type: 3,
        name: 'when',
        description: 'now, today, tonight, tomorrow, this weekend, friday, in 3 days …',
        required: false,
        max_length: 40,
      },
    ]);
    expect(definition('retrain').options).toEqual([
      {
        type: 3,
        name: 'action',
        description: "the running job's status, or cancel it (default: start one)",
        required: false,
        choices: [
          { name: 'status', value: 'status' },
          { name: 'cancel', value: 'cancel' },
        ],
      },
    ]);
    expect(definition('help').options).toEqual([]);
  });

  test("an interaction's options go to the command by name, as Discord typed them", () => {
    const interaction = {
      commandName: 'units',
      options: {
        data: [
          { name: 'system', type: 3, value: 'f' },
          { name: 'scope', type: 3, value: 'channel' },
        ],
      },
    };
    expect(invocationOf(interaction as unknown as ChatInputCommandInteraction)).toEqual({
      name: 'units',
      options: { system: 'f', scope: 'channel' },
    });
  });
});
