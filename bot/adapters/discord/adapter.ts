/**
 * WeatherBot on Discord (discord.js v14): platform I/O only. Mentions, DMs and slash commands
 * go to the assistant; its replies come back as embeds or text. Moderators approve (✅) or
 * reject (❌) answers with reactions and fix them with the "Correct answer" message command.
 * The exchange an answer belongs to travels in its embed footer, so moderation works on
 * answers from before a restart (the partials below let those reactions through).
 */
import { once } from 'node:events';
import { setTimeout as delay } from 'node:timers/promises';
import {
  Client,
  Events,
  GatewayIntentBits,
  GuildMember,
  MessageFlags,
  Partials,
  RESTJSONErrorCodes,
  Routes,
  type APIRole,
  type ChatInputCommandInteraction,
  type Guild,
  type Interaction,
  type Message,
  type MessageContextMenuCommandInteraction,
  type MessageCreateOptions,
  type MessageEditOptions,
  type MessageReaction,
  type ModalSubmitInteraction,
  type PartialMessageReaction,
  type PartialUser,
  type TextBasedChannel,
  type User,
} from 'discord.js';
import type { Assistant, ReplyOptions } from '../../assistant/assistant';
import type { Author, IncomingMessage, Reply } from '../../chat/message';
import { findCommand, invocationText, mayRun, type CommandInvocation } from '../../commands';
import { correct } from '../../commands/moderation';
import type { Config } from '../../config';
import type { Logger } from '../../core/log';
import type { Adapter } from '../adapter';
import { CORRECT_ANSWER_COMMAND, invocationOf } from './commands';
import { correctionModal, isCorrectionForm, savedCorrection, submittedCorrection } from './correction';
import { authorOf, isRoleName, type AnyMember, type DiscordRoleSettings } from './members';
import {
  APPROVE_EMOJI,
  clip,
  DISCORD_LIMITS,
  exchangeIdOf,
  REJECT_EMOJI,
  renderReply,
  withModerationStatus,
} from './render';

export type DiscordConfig = NonNullable<Config['discord']>;

const PLATFORM = 'discord';

/**
 * Only what the bot uses. Message Content is privileged (switched on in the Developer Portal):
 * Discord shows a message's text without it only in DMs and when the bot's user is mentioned,
 * not when someone mentions the bot's role, which Discord's autocomplete offers just as often.
 */
export const DISCORD_INTENTS = [
  GatewayIntentBits.Guilds,
  GatewayIntentBits.GuildMessages,
  GatewayIntentBits.GuildMessageReactions,
  GatewayIntentBits.DirectMessages,
  GatewayIntentBits.DirectMessageReactions,
  GatewayIntentBits.MessageContent,
];

/** Reactions on answers the client has not cached (older ones, or from before a restart) arrive as partials. */
export const DISCORD_PARTIALS = [Partials.Channel, Partials.Message, Partials.Reaction, Partials.User];

/** Discord shows "typing…" for 10 seconds; a slow answer renews it. */
const TYPING_RENEW_MS = 8000;
/** How long `stop()` lets replies in progress finish. */
const STOP_GRACE_MS = 5000;
const CORRECTED_BY_MODERATOR = 'A moderator corrected my answer ✏️';
const NOTHING_CHANGED = 'Nothing was changed: pick what I misunderstood, or edit the answer.';
const NOT_POSTED = 'I could not post the corrected answer in the channel (Send Messages there?).';
const SORRY = 'Sorry — something went wrong on my side. Please try again in a moment.';
/**
 * An interaction's token (editReply, follow-ups) works for 15 minutes; a reply still changing after
 * that (a /retrain) goes on in a message of its own, started a minute early while the first can
 * still point to it.
 */
const INTERACTION_TOKEN_LIFETIME_MS = 15 * 60_000;
const INTERACTION_TOKEN_MARGIN_MS = 60_000;
const CONTINUED_BELOW = 'This is taking a while: the rest follows in a new message.';
/** How long a server's role names (for a role configured by name, server not cached) are trusted. */
const ROLE_NAMES_TTL_MS = 60_000;

/** Discord's error code of a REST refusal, if that is what this is. */
const discordCode = (error: unknown): unknown => (error as { code?: unknown } | null)?.code;
/** What a refused reply says: the bot may not reply (quote) here, though it might still post. */
const REPLY_REFUSED = new Set<unknown>([
  RESTJSONErrorCodes.MissingPermissions,
  RESTJSONErrorCodes.CannotReplyWithoutPermissionToReadMessageHistory,
]);

const MODERATION_BY_EMOJI: Record<string, 'approve' | 'reject'> = {
  [APPROVE_EMOJI]: 'approve',
  [REJECT_EMOJI]: 'reject',
};

/** A weather answer with a captured exchange, in a server: DMs have no moderators to react. */
const isModeratable = (reply: Reply, inServer: boolean) =>
  inServer && reply.kind === 'weather' && Boolean(reply.exchangeId);

/** Runs edits of one reply one after another, so the last text written is the one shown. */
function editQueue(log: Logger) {
  let tail: Promise<void> = Promise.resolve();
  return (edit: () => Promise<unknown>): Promise<void> => {
    tail = tail.then(edit).then(
      () => undefined,
      (error) => log.warn('discord: could not update a reply', { error }),
    );
    return tail;
  };
}

/** A start-up failure in words a bot owner can act on. */
function explainLoginFailure(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  const message = error instanceof Error ? error.message : String(error);
  if (code === 'TokenInvalid' || /401|unauthorized/i.test(message)) {
    return 'Discord rejected DISCORD_TOKEN: copy the bot token again (Developer Portal > your app > Bot > Reset Token).';
  }
  if (/disallowed intents/i.test(message)) {
    return 'Discord refused the Message Content intent: switch on "Message Content Intent" (Developer Portal > your app > Bot > Privileged Gateway Intents), then start again.';
  }
  return `Could not connect to Discord: ${message}`;
}

export function createDiscordAdapter(assistant: Assistant, config: DiscordConfig, log: Logger): Adapter {
  const client = new Client({
    intents: DISCORD_INTENTS,
    partials: DISCORD_PARTIALS,
    rest: { api: config.apiUrl },
    // Answers quote what people typed; they must never ping anyone.
    allowedMentions: { parse: [], repliedUser: false },
  });
  const settings: DiscordRoleSettings = { moderatorRole: config.moderatorRole, adminRole: config.adminRole };
  const inFlight = new Set<Promise<void>>();
  const roleNames = new Map<string, { names: Promise<ReadonlyMap<string, string>>; until: number }>();
  const warnedNoReply = new Set<string>();

  const me = () => client.user!;

  /** Every event runs detached; a failure is logged and never reaches discord.js. */
  function track(what: string, work: () => Promise<void>): void {
    const done: Promise<void> = work()
      .catch((error) => log.error(`discord: handling a ${what} failed`, { error }))
      .finally(() => inFlight.delete(done));
    inFlight.add(done);
  }

  function incoming(author: Author, channelId: string, text: string, direct: boolean): IncomingMessage {
    return { platform: PLATFORM, channelId, author, text, direct };
  }

  async function authorIn(guild: Guild | null, channelId: string, user: User): Promise<Author> {
    if (!guild) return authorOf(user, null, null, settings);
    const member = guild.members.cache.get(user.id) ?? (await guild.members.fetch(user.id).catch(() => null));
    const channel = guild.channels.cache.get(channelId) ?? null;
    const permissions = member ? (channel ? member.permissionsIn(channel) : member.permissions) : null;
    return authorOf(user, member, permissions, settings);
  }

  /** A server's role names by id, read over REST: for servers the client has not cached. */
  function roleNamesOf(guildId: string): Promise<ReadonlyMap<string, string>> {
    const cached = roleNames.get(guildId);
    if (cached && cached.until > Date.now()) return cached.names;
    const names = (client.rest.get(Routes.guildRoles(guildId)) as Promise<APIRole[]>).then(
      (roles) => new Map(roles.map((role) => [role.id, role.name])),
      (error) => {
        roleNames.delete(guildId);
        log.warn('discord: could not read the server roles; roles configured by name do not count', { error });
        return new Map<string, string>();
      },
    );
    roleNames.set(guildId, { names, until: Date.now() + ROLE_NAMES_TTL_MS });
    return names;
  }

  /** The interaction's member; in a server the client has not cached it has role ids only, so names are looked up. */
  async function interactionAuthor(interaction: Interaction): Promise<Author> {
    const { member, guildId } = interaction;
    let roles: AnyMember = null;
    if (member instanceof GuildMember) roles = member;
    else if (member) {
      const byName = isRoleName(settings.moderatorRole) || isRoleName(settings.adminRole);
      roles = { roles: member.roles, roleNames: byName && guildId ? await roleNamesOf(guildId) : undefined };
    }
    return authorOf(interaction.user, roles, interaction.memberPermissions, settings);
  }

  /**
   * Answers a message as a reply to it; where Discord refuses the reply (no Read Message History
   * there, which quoting needs), as a plain message in the channel instead.
   */
  async function replyTo(message: Message, body: MessageCreateOptions): Promise<Message> {
    try {
      return await message.reply(body);
    } catch (error) {
      if (!REPLY_REFUSED.has(discordCode(error)) || !message.channel.isSendable()) throw error;
      if (!warnedNoReply.has(message.channelId)) {
        warnedNoReply.add(message.channelId);
        log.warn(
          'discord: Discord refused a reply (it needs Read Message History; in threads Send Messages in Threads): ' +
            'answering without quoting the question. Give the bot those permissions in this channel.',
          { channel: message.channelId, code: discordCode(error) },
        );
      }
      return message.channel.send(body);
    }
  }

  function keepTyping(channel: TextBasedChannel): () => void {
    const typing = () => {
      if ('sendTyping' in channel)
        channel.sendTyping().catch((error) => log.debug('discord: typing indicator failed', { error }));
    };
    typing();
    const timer = setInterval(typing, TYPING_RENEW_MS);
    return () => clearInterval(timer);
  }

  async function addModerationReactions(message: Message): Promise<void> {
    try {
      await message.react(APPROVE_EMOJI);
      await message.react(REJECT_EMOJI);
    } catch (error) {
      log.warn(
        'discord: could not add the moderation reactions (Add Reactions and Read Message History permissions?)',
        { error },
      );
    }
  }

  /** Shows the exchange's stored moderation status in the answer's footer. */
  async function showModeration(message: Message, exchangeId: string): Promise<void> {
    const exchange = await assistant.store.get(exchangeId);
    if (!exchange) return;
    const before = message.embeds.map((embed) => embed.toJSON());
    const after = withModerationStatus(before, exchangeId, exchange.moderation.status);
    if (after.some((embed, i) => embed.footer?.text !== before[i].footer?.text)) await message.edit({ embeds: after });
  }

  // --- messages: mentions in servers, everything in DMs ---------------------------------------

  function addressedText(message: Message): string | null {
    if (!message.inGuild()) return message.content;
    const botRole = message.guild.members.me?.roles.botRole ?? null;
    const mentioned =
      message.mentions.users.has(me().id) || (botRole !== null && message.mentions.roles.has(botRole.id));
    if (!mentioned) return null;
    const mention = new RegExp(`(<@!?${me().id}>${botRole ? `|<@&${botRole.id}>` : ''})[,:]?`, 'g');
    return message.content
      .replace(mention, ' ')
      .replace(/[ \t]{2,}/g, ' ')
      .trim();
  }

  async function onMessage(message: Message): Promise<void> {
    if (message.author.bot || message.system || message.webhookId) return;
    const text = addressedText(message);
    if (text === null) return;
    const author = await authorIn(message.guild, message.channelId, message.author);
    const queue = editQueue(log);
    let progress: Message | null = null;
    const showProgress = (content: string) =>
      queue(async () => {
        const body = { content: clip(content, DISCORD_LIMITS.content), embeds: [] };
        progress = progress ? await progress.edit(body) : await replyTo(message, body);
      });
    const stopTyping = keepTyping(message.channel);
    let reply: Reply;
    try {
      reply = await assistant.handle(incoming(author, message.channelId, text, message.guild === null), {
        onProgress: showProgress,
      });
    } catch (error) {
      log.error('discord: answering a message failed', { error });
      reply = { kind: 'error', text: SORRY };
    } finally {
      stopTyping();
    }
    await queue(async () => {
      const body = renderReply(reply);
      const sent = progress ? await progress.edit(body) : await replyTo(message, body);
      if (isModeratable(reply, message.inGuild())) await addModerationReactions(sent);
    });
  }

  // --- reactions: ✅ approves, ❌ rejects, when a moderator reacts on one of our answers ----------

  async function onReaction(
    reaction: MessageReaction | PartialMessageReaction,
    reactor: User | PartialUser,
  ): Promise<void> {
    if (reactor.id === me().id || reactor.bot) return;
    const command = MODERATION_BY_EMOJI[reaction.emoji.name ?? ''];
    if (!command) return;
    const message = reaction.message.partial ? await reaction.message.fetch() : reaction.message;
    if (message.author.id !== me().id) return;
    const exchangeId = exchangeIdOf(message);
    if (!exchangeId) return;
    const user = reactor.partial ? await reactor.fetch() : reactor;
    const author = await authorIn(message.guild, message.channelId, user);
    const invocation: CommandInvocation = { name: command, options: { exchange: exchangeId } };
    const reply = await assistant.command(
      incoming(author, message.channelId, invocationText(invocation), message.guild === null),
      invocation,
    );
    // Anyone may react; only a moderator's reaction counts. The assistant refused the rest, silently here.
    if (reply.kind !== 'command') {
      log.debug('discord: reaction not acted on', { exchange: exchangeId, reply: reply.kind });
      return;
    }
    await showModeration(message, exchangeId);
  }

  // --- interactions: slash commands, the "Correct answer" message command and its form ---------

  async function onSlashCommand(interaction: ChatInputCommandInteraction): Promise<void> {
    const invocation = invocationOf(interaction);
    const command = findCommand(invocation.name);
    // A command defined elsewhere goes through as is (the assistant answers it), privately.
    const privately = !command || command.replyPrivately === true;
    await interaction.deferReply(privately ? { flags: MessageFlags.Ephemeral } : {});
    const queue = editQueue(log);
    const put = interactionReply(interaction, privately);
    const options: ReplyOptions = {
      onProgress: (text) => queue(() => put({ content: clip(text, DISCORD_LIMITS.content), embeds: [] })),
    };
    const author = await interactionAuthor(interaction);
    const message = incoming(author, interaction.channelId, invocationText(invocation), interaction.guildId === null);
    const reply = await assistant.command(message, invocation, options);
    await queue(async () => {
      const sent = await put(renderReply(reply));
      if (isModeratable(reply, interaction.inGuild()) && !privately) await addModerationReactions(sent);
    });
  }

  /**
   * Writes a slash command's reply: by editing the interaction's response while its token lives,
   * then (or once Discord calls the token invalid, 50027) in a message of the bot's own that later
   * writes edit: in the channel, or for a private reply in a DM to the user.
   */
  function interactionReply(interaction: ChatInputCommandInteraction, privately: boolean) {
    const switchAt = interaction.createdTimestamp + INTERACTION_TOKEN_LIFETIME_MS - INTERACTION_TOKEN_MARGIN_MS;
    let own: Message | null = null;
    let tokenDead = false;
    return async (body: MessageEditOptions & MessageCreateOptions): Promise<Message> => {
      if (own) return (own = await own.edit(body));
      if (!tokenDead) {
        if (Date.now() < switchAt) {
          try {
            return await interaction.editReply(body);
          } catch (error) {
            if (discordCode(error) !== RESTJSONErrorCodes.InvalidWebhookToken) throw error;
          }
        } else {
          await interaction.editReply({ content: CONTINUED_BELOW, embeds: [] }).catch(() => undefined);
        }
        tokenDead = true;
        log.info('discord: the interaction token has expired; the reply continues in a message of its own', {
          command: interaction.commandName,
        });
      }
      const channel = privately
        ? await interaction.user.createDM()
        : await client.channels.fetch(interaction.channelId);
      if (!channel?.isSendable()) throw new Error(`cannot post in channel ${interaction.channelId}`);
      return (own = await channel.send(body));
    };
  }

  async function onCorrectAnswer(interaction: MessageContextMenuCommandInteraction): Promise<void> {
    const target = interaction.targetMessage;
    const exchangeId = target.author.id === me().id ? exchangeIdOf(target) : null;
    if (!exchangeId) {
      await interaction.reply({
        content: 'That is not one of my weather answers: pick a message of mine that shows an exchange id.',
        flags: MessageFlags.Ephemeral,
      });
      return;
    }
    const author = await interactionAuthor(interaction);
    // The command's own permission, asked ahead: it spares others a form they could not send.
    if (!mayRun(author, correct)) {
      await interaction.reply({ content: 'Only moderators can correct answers.', flags: MessageFlags.Ephemeral });
      return;
    }
    await interaction.showModal(correctionModal(exchangeId, target));
  }

  /**
   * Saves a submitted correction, then gives the asker the corrected answer where they asked (a
   * reply to their question when it can still be found) and tells the moderator privately; a
   * refusal goes to the moderator only.
   */
  async function onCorrection(interaction: ModalSubmitInteraction): Promise<void> {
    await interaction.deferReply({ flags: MessageFlags.Ephemeral });
    const { exchangeId, messageId, changed, invocation } = submittedCorrection(interaction);
    if (!changed) {
      await interaction.editReply({ content: NOTHING_CHANGED, embeds: [] });
      return;
    }
    const channelId = interaction.channelId ?? interaction.user.id;
    const reply = await assistant.command(
      incoming(
        await interactionAuthor(interaction),
        channelId,
        invocationText(invocation),
        interaction.guildId === null,
      ),
      invocation,
    );
    const saved = savedCorrection(reply);
    if (!saved) {
      await interaction.editReply(renderReply(reply));
      return;
    }
    const answer = await answerMessage(interaction.channelId, messageId);
    if (answer) await showModeration(answer, exchangeId);
    let confirmation = saved.confirmation;
    if (saved.answer) {
      const posted = await postCorrectedAnswer(interaction.channelId, answer, exchangeId, saved.answer).catch(
        (error) => void log.warn('discord: could not post a corrected answer', { error, exchange: exchangeId }),
      );
      confirmation += posted ? ` The asker sees the corrected answer: ${posted.url}` : ` ${NOT_POSTED}`;
    }
    await interaction.editReply({ content: clip(confirmation, DISCORD_LIMITS.content), embeds: [] });
  }

  /** The answer message a form was opened on, if the bot can still read it. */
  async function answerMessage(channelId: string | null, messageId: string): Promise<Message | null> {
    const channel = channelId ? await client.channels.fetch(channelId).catch(() => null) : null;
    if (!channel?.isTextBased()) return null;
    return channel.messages.fetch(messageId).catch(() => null);
  }

  /** Posts the corrected answer as a reply to the question the wrong one answered, or in the channel. */
  async function postCorrectedAnswer(
    channelId: string | null,
    answer: Message | null,
    exchangeId: string,
    corrected: Reply,
  ): Promise<Message | null> {
    const rendered = renderReply({ ...corrected, exchangeId });
    const body = {
      content: rendered.embeds.length
        ? CORRECTED_BY_MODERATOR
        : clip(`${CORRECTED_BY_MODERATOR}\n${corrected.text}`, DISCORD_LIMITS.content),
      embeds: withModerationStatus(rendered.embeds, exchangeId, 'corrected'),
    };
    const question = answer?.reference?.messageId ? await answer.fetchReference().catch(() => null) : null;
    if (question) return replyTo(question, body);
    const channel = answer?.channel ?? (channelId ? await client.channels.fetch(channelId) : null);
    return channel?.isSendable() ? channel.send(body) : null;
  }

  async function onInteraction(interaction: Interaction): Promise<void> {
    try {
      if (interaction.isChatInputCommand()) await onSlashCommand(interaction);
      else if (interaction.isMessageContextMenuCommand() && interaction.commandName === CORRECT_ANSWER_COMMAND)
        await onCorrectAnswer(interaction);
      else if (interaction.isModalSubmit() && isCorrectionForm(interaction.customId)) await onCorrection(interaction);
    } catch (error) {
      log.error('discord: interaction failed', { error, interaction: interaction.type });
      if (!interaction.isRepliable()) return;
      const apology =
        interaction.deferred || interaction.replied
          ? interaction.editReply({ content: SORRY, embeds: [] })
          : interaction.reply({ content: SORRY, flags: MessageFlags.Ephemeral });
      await apology.catch(() => undefined);
    }
  }

  client.on(Events.MessageCreate, (message) => track('message', () => onMessage(message)));
  client.on(Events.MessageReactionAdd, (reaction, user) => track('reaction', () => onReaction(reaction, user)));
  client.on(Events.InteractionCreate, (interaction) => track('interaction', () => onInteraction(interaction)));
  client.on(Events.Error, (error) => log.error('discord: client error', { error }));
  client.on(Events.ShardError, (error) => log.warn('discord: gateway connection error', { error }));
  client.on(Events.ShardDisconnect, (event) => log.error('discord: gateway closed for good', { code: event.code }));
  client.on(Events.Warn, (warning) => log.warn(`discord: ${warning}`));

  return {
    name: PLATFORM,
    async start() {
      const ready = once(client, Events.ClientReady);
      try {
        await client.login(config.token);
      } catch (error) {
        await client.destroy();
        throw new Error(explainLoginFailure(error), { cause: error });
      }
      await ready;
      log.info('discord: connected', { user: client.user?.tag, servers: client.guilds.cache.size });
    },
    async stop() {
      await Promise.race([Promise.allSettled(inFlight), delay(STOP_GRACE_MS, undefined, { ref: false })]);
      await client.destroy();
      log.info('discord: disconnected');
    },
    async post(channelId, reply) {
      const channel = await client.channels.fetch(channelId);
      if (!channel?.isSendable()) throw new Error(`cannot post in channel ${channelId}`);
      await channel.send(renderReply(reply));
    },
  };
}
