/**
 * `npx tsx scripts/deploy-commands.ts` against the local Discord emulator: the same command
 * definitions the adapter routes are registered in a server or globally, by bulk overwrite.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { commandDefinitions } from '../../bot/adapters/discord/commands';
import { BOT_PERMISSIONS, inviteUrl } from '../../bot/adapters/discord/deploy';
import { menuCommands } from '../../bot/commands';
import { startDiscordEmulator, type DiscordEmulator } from '../emulators/discord';
import { runScript } from '../helpers/run-script';

let discord: DiscordEmulator;
let cwd: string;
beforeAll(async () => {
  discord = await startDiscordEmulator();
  // An empty working directory: no .env of the developer's leaks in.
  cwd = await mkdtemp(join(tmpdir(), 'weatherbot-deploy-'));
});
afterAll(async () => {
  await discord.close();
  await rm(cwd, { recursive: true, force: true });
});

const deploy = (args: string[], env: Record<string, string>) =>
  runScript('scripts/deploy-commands.ts', args, { env, cwd });

test('registers every command in the server (DISCORD_GUILD_ID) and globally (--global), and says what it did', async () => {
  const env = {
    DISCORD_TOKEN: discord.token,
    DISCORD_APPLICATION_ID: discord.applicationId,
    DISCORD_GUILD_ID: discord.guildId,
    DISCORD_API_URL: discord.apiUrl,
  };
  const [inServer, everywhere, missingId] = await Promise.all([
    deploy([], env),
    deploy(['--global'], env),
    deploy(['--guild', discord.guildId], { ...env, DISCORD_APPLICATION_ID: '' }),
  ]);

  const expected = commandDefinitions();
  const names = expected.map((c) => c.name);
  expect(names).toEqual([...menuCommands.map((command) => command.name), 'Correct answer']);
  for (const registered of [discord.commands(discord.guildId), discord.commands()]) {
    expect(registered.map((c) => c.name)).toEqual(names);
    // What went over the wire: the definitions as JSON (Discord adds ids and versions).
    expect(registered).toEqual(
      expected.map((c) => expect.objectContaining({ ...JSON.parse(JSON.stringify(c)), type: c.type ?? 1 })),
    );
  }
  expect(discord.commands().find((c) => c.name === 'Correct answer')).toMatchObject({ type: 3, description: '' });

  expect(inServer).toMatchObject({ code: 0, stderr: '' });
  expect(inServer.stdout).toContain(
    `Registered ${names.length} commands in server ${discord.guildId} (available now): ` +
      names.map((name) => (name === 'Correct answer' ? `"${name}"` : `/${name}`)).join(', '),
  );
  expect(inServer.stdout).toContain(`Invite link: ${inviteUrl(discord.applicationId)}`);
  expect(everywhere).toMatchObject({ code: 0, stderr: '' });
  expect(everywhere.stdout).toMatch(new RegExp(`^Registered ${names.length} commands globally`));

  expect(missingId.code).toBe(1);
  expect(missingId.stderr).toMatch(
    /^deploy-commands: DISCORD_APPLICATION_ID is not set: copy the Application ID from the Developer Portal/,
  );
  expect(discord.requests.filter((r) => r.method === 'PUT')).toHaveLength(2);
  expect(discord.requests.every((r) => r.authorized)).toBe(true);

  // Both scopes at once show every command twice in that server: --clear takes the server's copies away.
  const cleared = await deploy(['--clear'], env);
  expect(cleared).toMatchObject({ code: 0, stdout: `Removed WeatherBot's commands from server ${discord.guildId}\n` });
  expect(discord.commands(discord.guildId)).toEqual([]);
  expect(discord.commands()).toHaveLength(names.length);
});

test('the invite link asks for the bot and commands scopes and exactly the permissions the bot uses', () => {
  const url = new URL(inviteUrl('1234567890123456789'));
  expect(url.origin + url.pathname).toBe('https://discord.com/oauth2/authorize');
  expect(url.searchParams.get('scope')).toBe('bot applications.commands');
  // View Channels, Send Messages, Embed Links, Add Reactions, Read Message History (replies quote the question),
  // Use Application Commands, Send Messages in Threads.
  expect(BOT_PERMISSIONS).toBe(1024n + 2048n + 16384n + 64n + 65536n + 2147483648n + 274877906944n);
  expect(url.searchParams.get('permissions')).toBe('277025475648');
});
