/**
 * Every Discord application command, defined once: the adapter routes them and
 * `scripts/deploy-commands.ts` registers them. Each slash command maps its options back to the
 * argument text of the assistant's platform-neutral command of the same name.
 */
import {
  ContextMenuCommandBuilder,
  InteractionContextType,
  SlashCommandBuilder,
  ApplicationCommandType,
  type ChatInputCommandInteraction,
  type RESTPostAPIApplicationCommandsJSONBody,
  type SlashCommandOptionsOnlyBuilder,
  type SlashCommandStringOption,
} from 'discord.js';
import type { CommandInvocation } from '../../assistant/message';

/** The message context-menu command that opens the correction form. */
export const CORRECT_ANSWER_COMMAND = 'Correct answer';

type Options = ChatInputCommandInteraction['options'];

interface SlashCommand {
  definition: SlashCommandOptionsOnlyBuilder;
  /** The reply is shown only to whoever ran the command (settings, help). */
  ephemeral: boolean;
  /** The assistant command's argument text, from the interaction's options. */
  args(options: Options): string;
}

// Slash commands work in servers and in DMs with the bot.
const slash = (name: string, description: string) =>
  new SlashCommandBuilder().setName(name).setDescription(description).setContexts(InteractionContextType.Guild, InteractionContextType.BotDM);

const scopeOption = (option: SlashCommandStringOption) =>
  option
    .setName('scope')
    .setDescription('yours (default), or the default for this channel (moderators only)')
    .addChoices({ name: 'just me', value: 'me' }, { name: 'this channel', value: 'channel' });

/** "channel " when the channel's default is meant: how the assistant's /units and /setlocation read a scope. */
const scopePrefix = (options: Options) => (options.getString('scope') === 'channel' ? 'channel ' : '');

const joined = (...parts: Array<string | null>) => parts.filter((part): part is string => Boolean(part?.trim())).join(' ');

export const SLASH_COMMANDS: Record<string, SlashCommand> = {
  weather: {
    definition: slash('weather', 'The weather for a place, now or later')
      .addStringOption((o) => o.setName('place').setDescription('a city, optionally with region or country: "Paris, TX"').setRequired(true).setMaxLength(100))
      .addStringOption((o) => o.setName('when').setDescription('now, today, tonight, tomorrow, this weekend, friday, in 3 days …').setMaxLength(40)),
    ephemeral: false,
    args: (options) => joined(options.getString('place', true), options.getString('when')),
  },
  units: {
    definition: slash('units', 'Choose °C or °F (with km/h and mm, or mph and inches)')
      .addStringOption((o) =>
        o.setName('system').setDescription('the unit system').setRequired(true).addChoices({ name: '°C, km/h, mm', value: 'c' }, { name: '°F, mph, in', value: 'f' }),
      )
      .addStringOption(scopeOption),
    ephemeral: true,
    args: (options) => scopePrefix(options) + options.getString('system', true),
  },
  setlocation: {
    definition: slash('setlocation', 'The place to use when a question names none')
      .addStringOption((o) => o.setName('place').setDescription('a city, optionally with region or country: "Paris, TX"').setRequired(true).setMaxLength(100))
      .addStringOption(scopeOption),
    ephemeral: true,
    args: (options) => scopePrefix(options) + options.getString('place', true),
  },
  retrain: {
    definition: slash('retrain', 'Fine-tune the model on the moderated answers now (admins)'),
    ephemeral: false,
    args: () => '',
  },
  model: {
    definition: slash('model', 'Show or change the active language model (admins)')
      .addStringOption((o) =>
        o
          .setName('action')
          .setDescription('what to do')
          .setRequired(true)
          .addChoices({ name: 'status', value: 'status' }, { name: 'history', value: 'history' }, { name: 'rollback', value: 'rollback' }, { name: 'activate', value: 'activate' }),
      )
      .addStringOption((o) => o.setName('version').setDescription('the version to roll back to (default: the previous one) or to activate').setMaxLength(64)),
    ephemeral: false,
    args: (options) => joined(options.getString('action', true), options.getString('version')),
  },
  dataset: {
    definition: slash('dataset', 'Facts about the captured conversations (moderators)').addStringOption((o) =>
      o.setName('action').setDescription('what to show').setRequired(true).addChoices({ name: 'stats', value: 'stats' }),
    ),
    ephemeral: true,
    args: (options) => options.getString('action', true),
  },
  help: {
    definition: slash('help', 'What I can do'),
    ephemeral: true,
    args: () => '',
  },
};

const correctAnswer = new ContextMenuCommandBuilder()
  .setName(CORRECT_ANSWER_COMMAND)
  .setType(ApplicationCommandType.Message)
  .setContexts(InteractionContextType.Guild, InteractionContextType.BotDM);

/** The full list to register with Discord: the slash commands, then the context-menu command. */
export function commandDefinitions(): RESTPostAPIApplicationCommandsJSONBody[] {
  return [...Object.values(SLASH_COMMANDS).map((command) => command.definition.toJSON()), correctAnswer.toJSON()];
}

/** The assistant command a slash-command interaction stands for (a name defined elsewhere goes through as is: the assistant answers it). */
export function invocationOf(interaction: ChatInputCommandInteraction): CommandInvocation & { ephemeral: boolean } {
  const command = SLASH_COMMANDS[interaction.commandName];
  return { name: interaction.commandName, args: command?.args(interaction.options) ?? '', ephemeral: command?.ephemeral ?? true };
}
