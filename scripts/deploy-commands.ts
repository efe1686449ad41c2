/**
 * Registers WeatherBot's Discord commands.
 *
 *   npx tsx scripts/deploy-commands.ts                 # in DISCORD_GUILD_ID if set, else globally
 *   npx tsx scripts/deploy-commands.ts --guild <id>    # in that server (shows up at once)
 *   npx tsx scripts/deploy-commands.ts --global        # everywhere, DMs included
 *   npx tsx scripts/deploy-commands.ts --guild <id> --clear   # removes them from there (or --global --clear)
 *
 * Reads DISCORD_TOKEN and DISCORD_APPLICATION_ID (and DISCORD_API_URL) from the environment or `.env`.
 */
import { deployCommands, inviteUrl } from '../bot/adapters/discord/deploy';
import { ConfigError, loadConfig, loadDotEnv } from '../bot/config';

function fail(message: string): never {
  process.stderr.write(`deploy-commands: ${message}\n`);
  process.exit(1);
}

function parseArguments(args: string[], defaultGuild: string | null): { guildId: string | null; clear: boolean } {
  let guildId = defaultGuild;
  let clear = false;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--guild') {
      guildId =
        args[++i] ??
        fail('--guild needs a server id (right-click the server > Copy Server ID, with Developer Mode on)');
      if (!/^\d{15,21}$/.test(guildId)) fail(`"${guildId}" is not a Discord server id`);
    } else if (args[i] === '--global') {
      guildId = null;
    } else if (args[i] === '--clear') {
      clear = true;
    } else {
      fail(`unknown argument "${args[i]}"; use --guild <id>, --global, --clear`);
    }
  }
  return { guildId, clear };
}

async function main(): Promise<void> {
  loadDotEnv();
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) fail(error.message);
    throw error;
  }
  const discord =
    config.discord ??
    fail('DISCORD_TOKEN is not set: put the bot token (Developer Portal > your app > Bot > Reset Token) in .env');
  const applicationId =
    discord.applicationId ??
    fail(
      'DISCORD_APPLICATION_ID is not set: copy the Application ID from the Developer Portal > your app > General Information into .env',
    );
  const { guildId, clear } = parseArguments(process.argv.slice(2), discord.guildId);

  const result = await deployCommands({ token: discord.token, applicationId, guildId, apiUrl: discord.apiUrl, clear });
  if (clear) {
    process.stdout.write(
      `Removed WeatherBot's commands ${result.scope === 'guild' ? `from server ${result.guildId}` : 'globally'}\n`,
    );
    return;
  }
  const where =
    result.scope === 'guild'
      ? `in server ${result.guildId} (available now)`
      : 'globally (every server and DMs; Discord may take a few minutes to show them)';
  process.stdout.write(
    `Registered ${result.registered.length} commands ${where}: ${result.registered.map((name) => (name.includes(' ') ? `"${name}"` : `/${name}`)).join(', ')}\n`,
  );
  process.stdout.write(`Invite link: ${inviteUrl(applicationId)}\n`);
}

main().catch((error) => {
  const status = (error as { status?: number }).status;
  const hint =
    status === 401
      ? ' (DISCORD_TOKEN is wrong)'
      : status === 403 || status === 404
        ? ' (is DISCORD_APPLICATION_ID right, and is the bot in that server?)'
        : '';
  fail(`${error instanceof Error ? error.message : String(error)}${hint}`);
});
