/**
 * Every Discord application command: the slash commands generated from the command registry
 * (`scripts/deploy-commands.ts` registers them), and the message command that opens the
 * correction form. A slash command's options reach the command as Discord typed them.
 */
import {
  ApplicationCommandType,
  ContextMenuCommandBuilder,
  InteractionContextType,
  SlashCommandBuilder,
  type ApplicationCommandOptionBase,
  type ChatInputCommandInteraction,
  type RESTPostAPIApplicationCommandsJSONBody,
} from 'discord.js';
import { menuCommands, type Command, type CommandInvocation, type OptionSpec } from '../../commands';

/** The message context-menu command that opens the correction form. */
export const CORRECT_ANSWER_COMMAND = 'Correct answer';

// Commands work in servers and in DMs with the bot.
const CONTEXTS = [InteractionContextType.Guild, InteractionContextType.BotDM];

function addOption(builder: SlashCommandBuilder, option: OptionSpec): void {
  const described = <O extends ApplicationCommandOptionBase>(o: O) =>
    o
      .setName(option.name)
      .setDescription(option.description)
      .setRequired(option.required ?? false);
  switch (option.type) {
    case 'string':
      builder.addStringOption((o) => {
        described(o);
        return option.maxLength === undefined ? o : o.setMaxLength(option.maxLength);
      });
      return;
    case 'choice': {
      const choices = option.choices.map((choice) => ({ name: choice.label ?? choice.value, value: choice.value }));
      builder.addStringOption((o) => described(o).addChoices(...choices));
      return;
    }
    case 'integer':
      builder.addIntegerOption(described);
      return;
    case 'boolean':
      builder.addBooleanOption(described);
      return;
  }
}

function slashCommand(command: Command): RESTPostAPIApplicationCommandsJSONBody {
  const builder = new SlashCommandBuilder()
    .setName(command.name)
    .setDescription(command.description)
    .setContexts(...CONTEXTS);
  // Discord wants the required options first; the declared order is the text form's.
  const requiredFirst = [...command.options].sort((a, b) => Number(b.required ?? false) - Number(a.required ?? false));
  for (const option of requiredFirst) addOption(builder, option);
  return builder.toJSON();
}

const correctAnswer = new ContextMenuCommandBuilder()
  .setName(CORRECT_ANSWER_COMMAND)
  .setType(ApplicationCommandType.Message)
  .setContexts(...CONTEXTS);

/** The full list to register with Discord: the slash commands, then the context-menu command. */
export function commandDefinitions(): RESTPostAPIApplicationCommandsJSONBody[] {
  return [...menuCommands.map(slashCommand), correctAnswer.toJSON()];
}

/** The command a slash-command interaction runs, with its options by name. */
export function invocationOf(interaction: ChatInputCommandInteraction): CommandInvocation {
  const options: Record<string, string | number | boolean> = {};
  for (const { name, value } of interaction.options.data) if (value !== undefined) options[name] = value;
  return { name: interaction.commandName, options };
}
