/**
 * Registering the application commands with Discord (bulk overwrite, so the list there is
 * exactly `commandDefinitions()`), and the invite link with the permissions the bot uses.
 */
import { OAuth2Scopes, PermissionFlagsBits, REST, Routes, type RESTPutAPIApplicationCommandsResult } from 'discord.js';
import { commandDefinitions } from './commands';

/**
 * What the bot does in a channel: read it, answer (with embeds; in threads too), react ✅/❌, reply
 * to the question and fetch older answers (both need Read Message History), offer commands.
 */
export const BOT_PERMISSIONS =
  PermissionFlagsBits.ViewChannel |
  PermissionFlagsBits.SendMessages |
  PermissionFlagsBits.SendMessagesInThreads |
  PermissionFlagsBits.EmbedLinks |
  PermissionFlagsBits.AddReactions |
  PermissionFlagsBits.ReadMessageHistory |
  PermissionFlagsBits.UseApplicationCommands;

export const INVITE_SCOPES = [OAuth2Scopes.Bot, OAuth2Scopes.ApplicationsCommands];

/** The link a server admin opens to add the bot with exactly those permissions. */
export function inviteUrl(applicationId: string): string {
  const query = new URLSearchParams({
    client_id: applicationId,
    scope: INVITE_SCOPES.join(' '),
    permissions: BOT_PERMISSIONS.toString(),
  });
  return `https://discord.com/oauth2/authorize?${query}`;
}

export interface DeployOptions {
  token: string;
  applicationId: string;
  /** A server to register in (instant, for testing); null registers globally (every server and DMs). */
  guildId: string | null;
  /** The REST API base, "https://discord.com/api" unless a proxy or emulator stands in. */
  apiUrl: string;
  /** Register nothing: removes the commands from that scope. */
  clear?: boolean;
}

export interface DeployResult {
  scope: 'guild' | 'global';
  guildId: string | null;
  /** The command names Discord now has, as it answered. */
  registered: string[];
}

export async function deployCommands(options: DeployOptions): Promise<DeployResult> {
  const rest = new REST({ api: options.apiUrl }).setToken(options.token);
  try {
    const route = options.guildId
      ? Routes.applicationGuildCommands(options.applicationId, options.guildId)
      : Routes.applicationCommands(options.applicationId);
    const answer = (await rest.put(route, {
      body: options.clear ? [] : commandDefinitions(),
    })) as RESTPutAPIApplicationCommandsResult;
    return {
      scope: options.guildId ? 'guild' : 'global',
      guildId: options.guildId,
      registered: answer.map((command) => command.name),
    };
  } finally {
    rest.clearHashSweeper();
    rest.clearHandlerSweeper();
  }
}
