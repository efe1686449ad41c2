/**
 * @jest-environment ./test/env/typed-arrays.js
 */
/**
 * WeatherBot on Discord, end to end: the real app (store, weather against a local Open-Meteo,
 * assistant) behind the Discord adapter, whose unmodified discord.js Client talks to a local
 * Discord emulator over REST and the gateway. Tests act as server members and read what the bot
 * sent, as Discord would show it.
 */
import { join } from 'node:path';
import { PermissionFlagsBits } from 'discord.js';
import type { Adapter } from '../../bot/adapters/adapter';
import { createDiscordAdapter, DISCORD_INTENTS, type DiscordConfig } from '../../bot/adapters/discord/adapter';
import { BOT_PERMISSIONS, deployCommands } from '../../bot/adapters/discord/deploy';
import { CONDITION_ICONS, exchangeIdOf } from '../../bot/adapters/discord/render';
import { loadConfig } from '../../bot/config';
import type { ModerationStatus } from '../../bot/core/domain';
import { createLogger, type Logger } from '../../bot/core/log';
import {
  startDiscordEmulator,
  type DiscordEmulator,
  type EmulatedInteraction,
  type EmulatedMessage,
} from '../emulators/discord';
import { startTestBot, type TestBot } from '../helpers/bot';
import { tinyRetrain, writeSeedSubset } from '../helpers/jobs-fixtures';
import { eventually } from '../helpers/eventually';

let discord: DiscordEmulator;
let bot: TestBot;
let config: DiscordConfig;
let log: Logger;
let adapter: Adapter;
/** Server members: no rights; moderator by role name; Manage Messages; admin by role id; Administrator. */
let member: string;
let moderator: string;
let moderatorRole: string;
let messageManager: string;
let admin: string;
let administrator: string;

const ICON = new RegExp(`^(${Object.values(CONDITION_ICONS).join('|')}) `, 'u');

async function connect(): Promise<Adapter> {
  const connected = createDiscordAdapter(bot.assistant, config, log);
  await connected.start();
  return connected;
}

beforeEach(async () => {
  discord = await startDiscordEmulator({ botPermissions: BOT_PERMISSIONS, heartbeatIntervalMs: 500 });
  moderatorRole = discord.addRole('Weather Mods');
  const adminRole = discord.addRole('Bot Admins');
  member = discord.addMember('rain-fan');
  moderator = discord.addMember('mod-mia', [moderatorRole]);
  messageManager = discord.addMember('helper-hal', [discord.addRole('Helpers', PermissionFlagsBits.ManageMessages)]);
  admin = discord.addMember('admin-ada', [adminRole]);
  administrator = discord.addMember('boss-bo', [discord.addRole('Staff', PermissionFlagsBits.Administrator)]);
  // The server gave the bot the moderator role too: its own ✅ must still count for nothing.
  discord.giveRole(discord.bot.id, moderatorRole);
  bot = await startTestBot({
    DISCORD_TOKEN: discord.token,
    DISCORD_APPLICATION_ID: discord.applicationId,
    DISCORD_GUILD_ID: discord.guildId,
    DISCORD_MODERATOR_ROLE: 'weather mods',
    DISCORD_ADMIN_ROLE: adminRole,
    DISCORD_API_URL: discord.apiUrl,
  });
  const loaded = loadConfig(bot.env);
  config = loaded.discord!;
  log = createLogger('debug', loaded.secrets, (line) => void bot.logs.push(line));
  await deployCommands({
    token: config.token,
    applicationId: config.applicationId!,
    guildId: config.guildId,
    apiUrl: config.apiUrl,
  });
  adapter = await connect();
});

afterEach(async () => {
  await adapter.stop();
  await bot.stop();
  await discord.close();
});

const botMessages = (channelId = discord.channelId) =>
  discord.messages(channelId).filter((m) => m.authorId === discord.bot.id);

/** Mentions the bot with `text` and waits for its reply (and, for a weather answer, its two reactions). */
async function ask(userId: string, text: string): Promise<EmulatedMessage> {
  const question = discord.send(userId, `<@${discord.bot.id}> ${text}`);
  const reply = await discord.waitFor(
    () => discord.messages().find((m) => m.referenceId === question.id),
    `the reply to "${text}"`,
  );
  if (reply.embeds.length > 0) await discord.waitFor(() => reply.reactions.size === 2, 'the moderation reactions');
  return reply;
}

const exchangeOf = (message: EmulatedMessage) => exchangeIdOf(message) ?? '';
const statusOf = async (exchangeId: string) => (await bot.store.get(exchangeId))!.moderation.status;
const footerShows = (message: EmulatedMessage, status: ModerationStatus) =>
  discord.waitFor(() => message.embeds[0]?.footer?.text.includes(status), `the footer to show "${status}"`);
const refusals = () => bot.logs.filter((line) => line.includes('command refused')).length;

/** The interaction's response message once the bot has finished editing it. */
const finalReply = (interaction: EmulatedInteraction) =>
  discord.waitFor(() => {
    const message = interaction.original();
    return message && !(message.flags & 128) && message;
  }, 'the interaction reply');

describe('connecting', () => {
  test('identifies with exactly the intents it uses, receives the server, keeps the heartbeat', async () => {
    expect(discord.identifies).toHaveLength(1);
    expect(discord.identifies[0].intents).toBe(DISCORD_INTENTS.reduce((all, bit) => all | bit, 0));
    expect(discord.identifies[0]).not.toHaveProperty('token');
    await discord.waitFor(() => discord.heartbeatAcks() >= 1, 'a heartbeat');
    expect(discord.connectedSessions()).toBe(1);
    expect(discord.requests.filter((r) => r.path === '/gateway/bot')).toEqual([
      expect.objectContaining({ authorized: true, status: 200 }),
    ]);
    expect(bot.logs.join('\n')).not.toContain(discord.token);
  });

  test('after a dropped connection it resumes the session and gets the events it missed', async () => {
    discord.dropConnections();
    const question = discord.send(member, `<@${discord.bot.id}> weather in Tokyo`);
    const answer = await discord.waitFor(
      () => discord.messages().find((m) => m.referenceId === question.id),
      'the answer after resuming',
    );
    expect(answer.embeds[0].title).toMatch(/Tokyo, JP/);
    expect(discord.resumes()).toBe(1);
    expect(discord.identifies).toHaveLength(1);
  });
});

describe('answering', () => {
  test('a mention gets an embed answer with ✅/❌, footer id and typing, captured as a discord exchange', async () => {
    discord.send(member, 'will it rain in Paris tomorrow? (not asking the bot)');
    const answer = await ask(member, 'will it rain in Paris tomorrow?');

    expect(answer.content).toBe('');
    const [embed] = answer.embeds;
    expect(embed.title).toMatch(ICON);
    expect(embed.title).toMatch(/Paris, Île-de-France, FR — tomorrow \(\w{3} \d+ \w{3}\)$/);
    expect(embed.description).toMatch(/\d+% chance of rain/);
    expect(embed.fields!.map((f) => f.name)).toEqual(expect.arrayContaining(['Temperature', 'Precipitation', 'Place']));
    expect(embed.fields!.find((f) => f.name === 'Temperature')!.value).toMatch(/high -?\d+°C, low -?\d+°C/);
    expect(embed.fields!.find((f) => f.name === 'Place')!.value).toMatch(
      /^Paris, Île-de-France, FR \(48\.\d\d, 2\.\d\d\)$/,
    );
    expect(embed.footer!.text).toMatch(/^exchange \d{6}-\d{4,}$/);
    expect([...answer.reactions]).toEqual([
      ['✅', new Set([discord.bot.id])],
      ['❌', new Set([discord.bot.id])],
    ]);
    expect(discord.typing).toContain(discord.channelId);

    const exchange = (await bot.store.get(exchangeOf(answer)))!;
    expect(exchange).toMatchObject({
      platform: 'discord',
      question: 'will it rain in Paris tomorrow?',
      answer: embed.description,
      moderation: { status: 'pending' },
    });
    expect(exchange.user).not.toContain(member);
    // The message that did not mention the bot got no answer and was not captured.
    expect(botMessages()).toHaveLength(1);
    expect((await bot.store.countByStatus()).pending).toBe(1);
  });

  test("a mention of the bot's role, or of the bot mid-sentence, is a question to it too", async () => {
    const byRole = discord.send(member, `<@&${discord.botRoleId}> weather in Tokyo`);
    const midSentence = discord.send(member, `so <@${discord.bot.id}>, windy in Paris tonight?`);
    const answers = await discord.waitFor(() => botMessages().length === 2 && botMessages(), 'both answers');
    expect(answers.find((m) => m.referenceId === byRole.id)!.embeds[0].title).toMatch(/Tokyo, JP/);
    expect(answers.find((m) => m.referenceId === midSentence.id)!.embeds[0].title).toMatch(
      /Paris, Île-de-France, FR — tonight/,
    );
    const questions = await Promise.all(answers.map(async (m) => (await bot.store.get(exchangeOf(m)))!.question));
    expect(questions.sort()).toEqual(['so windy in Paris tonight?', 'weather in Tokyo']);
  });

  test('answers in DMs without a mention (no ✅/❌: nobody moderates there); small talk is plain text', async () => {
    discord.dm(member, 'wind in Tokyo tonight');
    const dm = discord.dmChannelOf(member)!;
    const answer = await discord.waitFor(() => botMessages(dm)[0], 'the DM answer');
    expect(answer.embeds[0].title).toMatch(/Tokyo, JP — tonight/);
    expect(answer.embeds[0].fields!.find((f) => f.name === 'Wind')!.value).toMatch(/\d+ km\/h/);
    expect((await bot.store.get(exchangeOf(answer)))!.platform).toBe('discord');

    discord.dm(member, 'thanks!');
    const thanks = await discord.waitFor(() => botMessages(dm)[1], 'the second DM reply');
    expect(thanks).toMatchObject({ content: "You're welcome! ☀️", embeds: [] });
    expect(thanks.reactions.size).toBe(0);
    expect(answer.reactions.size).toBe(0);
  });

  test('/weather is deferred, then edited into the embed answer', async () => {
    const interaction = discord.slash(member, 'weather', { place: 'Tokyo', when: 'tomorrow' });
    const reply = await finalReply(interaction);
    expect(interaction.responses.map((r) => r.type)).toEqual([5]);
    expect(reply.embeds[0].title).toMatch(/Tokyo, JP — tomorrow/);
    expect(reply.flags & 64).toBe(0);
    await discord.waitFor(() => reply.reactions.size === 2, 'the moderation reactions');
    const exchange = (await bot.store.get(exchangeOf(reply)))!;
    expect(exchange).toMatchObject({
      platform: 'discord',
      question: '/weather Tokyo tomorrow',
      source: { understanding: 'command' },
    });
  });

  test('/chart answers with the forecast chart attached, its options mapped', async () => {
    const reply = await finalReply(discord.slash(member, 'chart', { place: 'Tokyo', days: 3 }));
    expect(reply.content).toBe('Forecast for Tokyo, JP, the next 3 days:');
    const [chart] = reply.attachments;
    expect(chart).toMatchObject({ filename: 'forecast.png', contentType: 'image/png' });
    expect(chart.data.subarray(0, 8)).toEqual(PNG_SIGNATURE);
    expect(chart.description).toMatch(/^Forecast chart for Tokyo, JP/);
  });

  test('/subscribe in a channel is for moderators; its forecast is posted there, an embed like any answer', async () => {
    const refused = await finalReply(discord.slash(member, 'subscribe', { place: 'Tokyo' }));
    expect(refused.content).toMatch(/^Only moderators can subscribe a channel/);
    const made = await finalReply(
      discord.slash(moderator, 'subscribe', { place: 'Tokyo', time: '06:30', days: 'weekdays' }),
    );
    const id = /^Subscribed — (f\d+): Tokyo, JP at 06:30 Asia\/Tokyo time, on weekdays\./.exec(made.content)?.[1];
    expect(id).toBeDefined();
    const [subscription] = (await bot.store.subscriptions({ platform: 'discord' })).filter((s) => s.id === id);
    expect(subscription.channelId).toBe(discord.channelId);
    const before = botMessages().length;
    await adapter.post(subscription.channelId, await bot.assistant.forecast(subscription));
    const posted = botMessages().slice(before);
    expect(posted).toHaveLength(1);
    expect(posted[0].embeds[0].title).toMatch(/Tokyo, JP/);
    expect(posted[0].content).toContain(`/unsubscribe ${id} stops it`);
  });

  test('settings commands answer privately and map their options, scope included', async () => {
    const mine = discord.slash(member, 'units', { system: 'f' });
    expect((await finalReply(mine)).content).toMatch(/°F, mph and inches/);
    expect(mine.responses[0].data!.flags).toBe(64);

    const channelWide = discord.slash(member, 'units', { system: 'c', scope: 'channel' });
    expect((await finalReply(channelWide)).content).toBe('Only moderators can set the channel default.');
    const byModerator = discord.slash(moderator, 'setlocation', { place: 'Tokyo', scope: 'channel' });
    expect((await finalReply(byModerator)).content).toMatch(/Saved this channel's location: Tokyo, JP/);

    const answer = await ask(member, 'is it windy?');
    expect(answer.embeds[0].title).toMatch(/Tokyo, JP/);
    // A "now" answer shows this hour and the rest of today, each field named with its period.
    expect(answer.embeds[0].fields!.find((f) => f.name === 'right now · Wind')!.value).toMatch(/mph/);
  });

  test('a weather provider outage is answered politely in plain text, without moderation reactions', async () => {
    bot.emulator.failNext('http-500', 10);
    const reply = await ask(member, 'weather in London');
    expect(reply.content).toBe(
      "The weather service isn't answering right now, so I can't look that up. Please try again in a minute.",
    );
    expect(reply.embeds).toEqual([]);
    await ask(member, 'hello'); // everything the bot did for the first reply has happened by now
    expect(reply.reactions.size).toBe(0);
  });

  test('a mention in a thread is answered there (the invite grants Send Messages in Threads)', async () => {
    // The emulated @everyone, like many servers', may not post in threads: the bot's own role must allow it.
    const thread = discord.addThread('weekend plans');
    const question = discord.send(discord.ownerId, `<@${discord.bot.id}> weather in Tokyo`, thread);
    const answer = await discord.waitFor(
      () => discord.messages(thread).find((m) => m.referenceId === question.id),
      'the answer in the thread',
    );
    expect(answer.embeds[0].title).toMatch(/Tokyo, JP/);
  });

  test('without Read Message History the reply is refused: the answer comes as a plain message, with a warning', async () => {
    const withoutHistory = (permissions: bigint) => permissions & ~PermissionFlagsBits.ReadMessageHistory;
    discord.setRolePermissions(discord.botRoleId, withoutHistory(BOT_PERMISSIONS));
    discord.setRolePermissions(discord.everyoneRoleId, withoutHistory(discord.permissionsOf(member)));
    discord.send(member, `<@${discord.bot.id}> weather in Tokyo`);
    const answer = await discord.waitFor(() => botMessages()[0], 'the answer');
    expect(answer.referenceId).toBeNull();
    expect(answer.embeds[0].title).toMatch(/Tokyo, JP/);
    expect(discord.requests).toContainEqual(
      expect.objectContaining({ method: 'POST', path: `/channels/${discord.channelId}/messages`, status: 403 }),
    );
    await eventually(() => bot.logs.some((line) => line.includes('Discord refused a reply')), 'the warning');
  });

  test('/help lists what the member may use, privately', async () => {
    const help = await finalReply(discord.slash(member, 'help'));
    expect(help.flags & 64).toBe(64);
    expect(help.content).toContain('/weather <place> [when]');
    expect(help.content).not.toContain('/approve');
    expect((await finalReply(discord.slash(moderator, 'help'))).content).toContain('/approve');
  });
});

describe('moderation with reactions', () => {
  test("a moderator's ✅ approves; a member's ✅ and the bot's own reactions do nothing", async () => {
    const answer = await ask(member, 'weather in Tokyo');
    const id = exchangeOf(answer);
    const patchesBefore = discord.requests.filter((r) => r.method === 'PATCH').length;

    discord.react(member, answer.id, '✅');
    await eventually(() => refusals() === 1, 'the assistant to refuse the member');
    expect(await statusOf(id)).toBe('pending');

    discord.react(moderator, answer.id, '✅');
    await footerShows(answer, 'approved');
    expect(answer.embeds[0].footer!.text).toBe(`exchange ${id} · approved ✅`);
    expect(await bot.store.get(id)).toMatchObject({
      moderation: { status: 'approved', by: expect.stringMatching(/^discord:/) },
    });
    // Silent apart from the footer: no message posted, one edit (the moderator's).
    expect(botMessages()).toHaveLength(1);
    expect(discord.requests.filter((r) => r.method === 'PATCH')).toHaveLength(patchesBefore + 1);
    expect(refusals()).toBe(1);
  });

  test('❌ from a member with Manage Messages rejects', async () => {
    const answer = await ask(member, 'weather in Tokyo');
    discord.react(messageManager, answer.id, '❌');
    await footerShows(answer, 'rejected');
    expect(await statusOf(exchangeOf(answer))).toBe('rejected');
  });

  test('reactions on answers from before a restart still count (uncached message, read back from its footer)', async () => {
    const answer = await ask(member, 'weather in Paris');
    await adapter.stop();
    adapter = await connect();
    discord.react(moderator, answer.id, '✅');
    await footerShows(answer, 'approved');
    expect(await statusOf(exchangeOf(answer))).toBe('approved');
    expect(discord.requests).toContainEqual(
      expect.objectContaining({
        method: 'GET',
        path: `/channels/${discord.channelId}/messages/${answer.id}`,
        status: 200,
      }),
    );
  });

  test('other emoji, and ✅ on messages that are not the bot’s answers, are ignored', async () => {
    const answer = await ask(member, 'weather in Tokyo');
    const question = discord.send(member, 'nice');
    discord.react(moderator, answer.id, '👍');
    discord.react(moderator, question.id, '✅');
    discord.react(moderator, answer.id, '❌');
    await footerShows(answer, 'rejected');
    expect(refusals()).toBe(0);
    expect(await statusOf(exchangeOf(answer))).toBe('rejected');
  });
});

describe('"Correct answer" message command', () => {
  interface FormField {
    type: number;
    custom_id: string;
    value?: string;
    placeholder?: string;
    options?: Array<{ value: string }>;
  }
  /** The form's fields by custom id, each in its Label, as the bot opened it. */
  async function openForm(userId: string, answer: EmulatedMessage) {
    const opened = discord.messageCommand(userId, 'Correct answer', answer.id);
    const modal = await discord.waitFor(() => opened.modal, 'the correction form');
    const labels = modal.components as Array<{ type: number; component: FormField }>;
    const fields = Object.fromEntries(labels.map((label) => [label.component.custom_id, label.component]));
    return { opened, labels, fields };
  }
  /** The bot's public messages that answer the question `answer` answered, after it. */
  const laterAnswers = (answer: EmulatedMessage) =>
    botMessages().filter((m) => m.referenceId === answer.referenceId && m.id !== answer.id);

  test('a moderator corrects what was understood (place, when, aspect): saved, and the asker gets the new answer', async () => {
    const answer = await ask(member, 'weather in Tokyo');
    const id = exchangeOf(answer);
    const { opened, labels, fields } = await openForm(moderator, answer);
    expect(opened.responses.map((r) => r.type)).toEqual([9]);
    // Five Labels, Discord's most: the place and the answer typed, the rest picked.
    expect(labels.map((label) => [label.type, label.component.type, label.component.custom_id])).toEqual([
      [18, 4, 'place'],
      [18, 3, 'when'],
      [18, 3, 'aspect'],
      [18, 3, 'kind'],
      [18, 4, 'answer'],
    ]);
    expect(fields.place.placeholder).toBe('Keep: Tokyo, JP');
    expect(fields.when.placeholder).toMatch(/^Keep: (right now|today|now)/);
    expect(fields.aspect.options!.map((o) => o.value)).toEqual([
      'general',
      'temperature',
      'rain',
      'snow',
      'wind',
      'humidity',
      'sun',
    ]);
    expect(fields.answer.value).toBe(answer.embeds[0].description);
    expect(() => discord.submitModal(opened, { when: 'yesterday' })).toThrow(/not an option/);

    const submitted = discord.submitModal(opened, { place: 'Paris, TX', when: 'tomorrow', aspect: 'rain' });
    const confirmation = await finalReply(submitted);
    const [corrected] = await discord.waitFor(
      () => laterAnswers(answer).length === 1 && laterAnswers(answer),
      'the corrected answer',
    );

    expect(submitted.responses[0]).toMatchObject({ type: 5, data: { flags: 64 } });
    expect(confirmation.flags & 64).toBe(64);
    expect(confirmation.content).toMatch(
      new RegExp(`^Correction saved ✏️ — exchange ${id}, read as Paris, TX · tomorrow · rain`),
    );
    expect(confirmation.content).toContain(corrected.id);
    expect(corrected.flags & 64).toBe(0);
    expect(corrected.content).toBe('A moderator corrected my answer ✏️');
    expect(corrected.embeds[0].title).toMatch(/Paris, Texas, US — tomorrow/);
    expect(corrected.embeds[0].description).toMatch(/rain/);
    expect(corrected.embeds[0].footer!.text).toBe(`exchange ${id} · corrected ✏️`);
    expect(corrected.reactions.size).toBe(0);
    expect((await bot.store.get(id))!.moderation).toMatchObject({
      status: 'corrected',
      by: expect.stringMatching(/^discord:/),
      correction: corrected.embeds[0].description,
      reading: { weather: true, location: 'Paris', region: 'TX', when: 'tomorrow', aspect: 'rain' },
    });
    await footerShows(answer, 'corrected');
  });

  test('an edited answer alone is saved as typed and shown to the asker', async () => {
    const answer = await ask(member, 'weather in Tokyo');
    const { opened } = await openForm(moderator, answer);
    const better = 'Tokyo stays dry; a light jacket is enough.';
    const confirmation = await finalReply(discord.submitModal(opened, { answer: better }));
    expect(confirmation.content).toMatch(new RegExp(`^Correction saved ✏️ — exchange ${exchangeOf(answer)}\\.`));
    const [corrected] = await discord.waitFor(
      () => laterAnswers(answer).length === 1 && laterAnswers(answer),
      'the corrected answer',
    );
    expect(corrected).toMatchObject({ content: `A moderator corrected my answer ✏️\n${better}`, embeds: [] });
    expect((await bot.store.get(exchangeOf(answer)))!.moderation).toMatchObject({
      status: 'corrected',
      correction: better,
    });
  });

  test('a refusal (a place nobody knows, nothing changed) goes to the moderator only and changes nothing', async () => {
    const answer = await ask(member, 'weather in Tokyo');
    const unknownPlace = await finalReply(
      discord.submitModal((await openForm(moderator, answer)).opened, { place: 'Nowhereville' }),
    );
    expect(unknownPlace.flags & 64).toBe(64);
    expect(unknownPlace.content).toMatch(/^Not saved: .*Nowhereville/);
    const unchanged = await finalReply(discord.submitModal((await openForm(moderator, answer)).opened));
    expect(unchanged.content).toBe('Nothing was changed: pick what I misunderstood, or edit the answer.');

    expect(laterAnswers(answer)).toEqual([]);
    expect(await statusOf(exchangeOf(answer))).toBe('pending');
    expect(answer.embeds[0].footer!.text).toBe(`exchange ${exchangeOf(answer)}`);
  });

  test('anyone else is told so privately, and gets no form', async () => {
    const answer = await ask(member, 'weather in Tokyo');
    const attempt = discord.messageCommand(member, 'Correct answer', answer.id);
    const reply = await finalReply(attempt);
    expect(reply).toMatchObject({ content: 'Only moderators can correct answers.', flags: 64 });
    expect(attempt.modal).toBeNull();

    const notAnAnswer = discord.messageCommand(moderator, 'Correct answer', discord.send(member, 'hi').id);
    expect((await finalReply(notAnAnswer)).content).toMatch(/not one of my weather answers/);
  });

  test('a moderator who lost the role before sending the form is refused privately; nothing changes', async () => {
    const answer = await ask(member, 'weather in Tokyo');
    const { opened } = await openForm(moderator, answer);
    discord.takeRole(moderator, moderatorRole);
    const refused = await finalReply(discord.submitModal(opened, { place: 'Paris, TX' }));
    expect(refused).toMatchObject({ content: expect.stringMatching(/^Only moderators can use \/correct/), flags: 64 });
    expect(laterAnswers(answer)).toEqual([]);
    expect(await statusOf(exchangeOf(answer))).toBe('pending');
  });

  test("Discord refuses a form of more than five components, with its error (the emulator keeps Discord's rule)", async () => {
    await adapter.stop();
    const answer = discord.send(member, 'a message to open a form on');
    const interaction = discord.messageCommand(moderator, 'Correct answer', answer.id);
    const field = (i: number) => ({
      type: 18,
      label: `Field ${i}`,
      component: { type: 4, custom_id: `f${i}`, style: 1 },
    });
    const callback = (count: number) =>
      fetch(`${discord.apiUrl}/v10/interactions/${interaction.id}/${interaction.token}/callback`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          type: 9,
          data: { custom_id: 'form', title: 'Form', components: Array.from({ length: count }, (_, i) => field(i)) },
        }),
      });
    const refused = await callback(6);
    expect(refused.status).toBe(400);
    expect(await refused.json()).toEqual({
      message: 'Invalid Form Body',
      code: 50035,
      errors: {
        data: { components: { _errors: [{ code: 'BASE_TYPE_MAX_LENGTH', message: 'Must be 5 or fewer in length.' }] } },
      },
    });
    expect((await callback(5)).status).toBe(204);
    expect(interaction.modal!.components.map((c) => c.id)).toEqual([1, 3, 5, 7, 9]);
    adapter = await connect();
  });
});

/**
 * Commands only some people may run. The assistant checks; the adapter maps Discord roles and
 * permissions to them. Each entry says how a Discord user runs the command and how to tell that
 * it ran; admin commands (/retrain, /model) join this table as they arrive.
 */
interface CheckedCommand {
  name: string;
  /** Runs the command as the user; resolves with the text the bot showed them. */
  run(userId: string): Promise<{ text: string; ran: () => Promise<boolean> }>;
  allowed: () => string[];
  refused: () => string[];
  /** For commands that take a while (a retrain); Jest's default otherwise. */
  timeoutMs?: number;
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

const checkedCommands: CheckedCommand[] = [
  {
    name: '/approve typed after a mention',
    async run(userId) {
      const answer = await ask(member, 'weather in Tokyo');
      const reply = await ask(userId, `/approve ${exchangeOf(answer)}`);
      return { text: reply.content, ran: async () => (await statusOf(exchangeOf(answer))) === 'approved' };
    },
    allowed: () => [moderator, messageManager, admin, administrator, discord.ownerId],
    refused: () => [member],
  },
  {
    name: '/retrain slash command, its progress shown by editing the reply',
    async run(userId) {
      // A retrain of the tiny base on a small seed: seconds, not the configured base's minutes.
      bot.operations!.retrain = tinyRetrain(await writeSeedSubset(join(bot.dataDir, 'seed')), 1, {
        generationSamples: 2,
        hyperparameters: { maxTrainExamples: 24, maxValidationExamples: 8 },
      });
      const versions = (await bot.operations!.registry.history()).length;
      const interaction = discord.slash(userId, 'retrain');
      const reply = await discord.waitFor(
        () => {
          const message = interaction.original();
          return message && /^(Retrain finished|Only |Training failed)/.test(message.content) && message;
        },
        'the retrain result',
        50_000,
      );
      const progressShown = interaction.edits.some((edit) =>
        String((edit as { content?: unknown }).content).startsWith('Training… step 1/10'),
      );
      // The loss chart comes with the result, as a picture Discord shows.
      const chart = reply.attachments.find((a) => a.filename === 'loss.png');
      const chartShown =
        chart?.contentType === 'image/png' &&
        chart.data.subarray(0, 8).equals(PNG_SIGNATURE) &&
        /loss/.test(chart.description ?? '');
      return {
        text: reply.content,
        ran: async () =>
          progressShown && chartShown && (await bot.operations!.registry.history()).length === versions + 1,
      };
    },
    allowed: () => [admin, administrator, discord.ownerId],
    refused: () => [member, moderator, messageManager],
    timeoutMs: 180_000,
  },
  {
    name: '/model slash command',
    async run(userId) {
      const reply = await finalReply(discord.slash(userId, 'model', { action: 'history' }));
      const [newest] = await bot.operations!.registry.history();
      return {
        text: reply.content,
        ran: async () => reply.content.startsWith(newest ? `${newest.id} — ` : 'No model versions yet.'),
      };
    },
    allowed: () => [admin, administrator, discord.ownerId],
    refused: () => [member, moderator, messageManager],
  },
  {
    name: '/dataset slash command',
    async run(userId) {
      const reply = await finalReply(discord.slash(userId, 'dataset', { action: 'stats' }));
      return { text: reply.content, ran: async () => /^store: \d+ exchanges\n/.test(reply.content) };
    },
    allowed: () => [moderator, messageManager, admin, administrator, discord.ownerId],
    refused: () => [member],
  },
];

describe.each(checkedCommands)('permission-checked command: $name', (command) => {
  test(
    'refused for members without the role or permission; nothing changes',
    async () => {
      for (const userId of command.refused()) {
        const { text, ran } = await command.run(userId);
        expect(text).toMatch(/^Only (moderator|admin)s can use \//);
        expect(await ran()).toBe(false);
      }
    },
    command.timeoutMs,
  );

  test(
    'runs for moderators (by role name or Manage Messages) and admins (by role id, Administrator, the owner)',
    async () => {
      for (const userId of command.allowed()) {
        const { text, ran } = await command.run(userId);
        expect(text).not.toMatch(/^Only /);
        expect(await ran()).toBe(true);
      }
    },
    command.timeoutMs,
  );
});

describe('interaction tokens and uncached servers', () => {
  /** The adapter reconnected to a fresh Discord that behaves as `options` say. */
  async function reconnect(options: Parameters<typeof startDiscordEmulator>[0]): Promise<void> {
    await adapter.stop();
    await discord.close();
    discord = await startDiscordEmulator({ botPermissions: BOT_PERMISSIONS, ...options });
    config = { ...config, token: discord.token, apiUrl: discord.apiUrl, applicationId: discord.applicationId };
    await deployCommands({
      token: config.token,
      applicationId: discord.applicationId,
      guildId: discord.guildId,
      apiUrl: discord.apiUrl,
    });
    adapter = await connect();
  }

  test('/retrain outliving its interaction token posts the rest of its progress and the result in the channel', async () => {
    // A token that lives a second instead of 15 minutes: the retrain outlives it as a real one would.
    await reconnect({ interactionTokenLifetimeMs: 1000 });
    const admin = discord.addMember('admin-ada', [discord.addRole('Bot Admins', PermissionFlagsBits.Administrator)]);
    bot.operations!.retrain = tinyRetrain(await writeSeedSubset(join(bot.dataDir, 'seed')), 1, {
      generationSamples: 2,
      hyperparameters: { maxTrainExamples: 24, maxValidationExamples: 8 },
    });

    const interaction = discord.slash(admin, 'retrain');
    const result = await discord.waitFor(
      () => botMessages().find((m) => !m.interactionId && /^Retrain finished/.test(m.content)),
      'the retrain result in the channel',
      60_000,
    );
    expect(result.content).toMatch(/promoted ✅/);
    expect(discord.requests).toContainEqual(
      expect.objectContaining({ method: 'PATCH', path: expect.stringMatching(/^\/webhooks\//), status: 401 }),
    );
    // One message of its own, edited as the job went on, not one per step.
    expect(botMessages().filter((m) => !m.interactionId)).toEqual([result]);
    expect(result.editedTimestamp).not.toBeNull();
    expect(interaction.responses.map((r) => r.type)).toEqual([5]);
  }, 120_000);

  test('a moderator role given by name counts in a server the client has not cached', async () => {
    await reconnect({ announceGuild: false });
    const moderator = discord.addMember('mod-mia', [discord.addRole('Weather Mods')]);
    const member = discord.addMember('rain-fan');

    const allowed = await finalReply(discord.slash(moderator, 'dataset', { action: 'stats' }));
    expect(allowed.content).toMatch(/^store: \d+ exchanges\n/);
    const refused = await finalReply(discord.slash(member, 'dataset', { action: 'stats' }));
    expect(refused.content).toMatch(/^Only moderators can use \//);
    expect(discord.requests.filter((r) => r.path === `/guilds/${discord.guildId}/roles`)).toHaveLength(1);
  });
});

describe('starting up', () => {
  test('a wrong token or a missing Message Content switch stops start() with what to fix', async () => {
    await expect(
      createDiscordAdapter(bot.assistant, { ...config, token: 'not-the-token' }, log).start(),
    ).rejects.toThrow(
      'Discord rejected DISCORD_TOKEN: copy the bot token again (Developer Portal > your app > Bot > Reset Token).',
    );
    const strict = await startDiscordEmulator({ messageContentIntent: false });
    try {
      const blocked = createDiscordAdapter(
        bot.assistant,
        { ...config, token: strict.token, apiUrl: strict.apiUrl },
        log,
      );
      await expect(blocked.start()).rejects.toThrow(/switch on "Message Content Intent"/);
    } finally {
      await strict.close();
    }
  });
});
