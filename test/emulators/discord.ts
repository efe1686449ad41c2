/**
 * A local Discord on 127.0.0.1 that an unmodified discord.js Client talks to, given
 * `rest: { api: emulator.apiUrl }`: the REST API (v10, JSON) and the gateway it announces in
 * `GET /gateway/bot` (WebSocket, v10, JSON encoding, no compression).
 *
 * Gateway: HELLO, IDENTIFY (token, shard, intents: unknown bits close 4013, privileged intents
 * not switched on close 4014), READY (guilds unavailable) then GUILD_CREATE, heartbeats and
 * their ACKs, RESUME with replay. Dispatches go only to sessions whose intents ask for them, and
 * message text is blanked for sessions without Message Content, except where Discord shows it
 * anyway (DMs, messages that mention the bot, the bot's own).
 * REST: messages (create, get, edit; Discord's size limits answered with 50035; files as multipart `payload_json`
 * and `files[n]`, kept or replaced by the payload's `attachments`, at most 10 and 10 MiB a request), typing,
 * reactions, members, users, interaction callbacks (4, 5, 9; the 3-second window; one
 * response only; a modal checked as Discord checks it: at most 5 top-level components, Labels
 * holding one text input or select, Discord's length limits, unique custom ids, component ids
 * filled in), the interaction webhook (`@original`, follow-ups; its token dies 15 minutes
 * after the interaction, then 401 Invalid Webhook Token, 50027), the server's roles, and bulk
 * overwrite of global and guild commands. Every answer carries rate-limit headers; the bot's own
 * permissions (roles, @everyone, owner, Administrator) are checked where Discord checks them:
 * a reply (`message_reference`) needs Read Message History (160002), a thread Send Messages in
 * Threads instead of Send Messages.
 *
 * Tests act as people: they add roles and members, post messages and DMs, react, run slash and
 * message commands (only those the bot registered, with Discord's option checks) and submit the
 * modals the bot opened (text typed, options picked, each checked against what the modal allows,
 * sent in Discord's submission shape); they read what the bot sent, and wait for it.
 */
import { EventEmitter } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import {
  ApplicationCommandOptionType,
  ApplicationCommandType,
  ChannelType,
  ComponentType,
  GatewayCloseCodes,
  GatewayDispatchEvents,
  GatewayIntentBits,
  GatewayOpcodes,
  InteractionResponseType,
  InteractionType,
  MessageFlags,
  MessageType,
  PermissionFlagsBits,
  RESTJSONErrorCodes,
  type APIEmbed,
} from 'discord.js';

type Json = Record<string, unknown>;

/** Files of a multipart request (`files[n]`), kept beside its `payload_json` under a key JSON never has. */
const UPLOADS = Symbol('uploads');
interface Upload {
  index: number;
  filename: string;
  contentType: string;
  data: Buffer;
}
const uploadsOf = (body: Json): Upload[] => ((body as Record<symbol, unknown>)[UPLOADS] ?? []) as Upload[];
const MAX_ATTACHMENTS = 10;
/** Discord's upload limit without a boosted server: 10 MiB a request. */
const MAX_UPLOAD_BYTES = 10 * 1024 * 1024;

const API_PREFIX = '/api/v10';
const DISCORD_EPOCH = 1_420_070_400_000n;
const INTERACTION_RESPONSE_WINDOW_MS = 3000;
/** How long an interaction's token works for the webhook routes (edits, follow-ups). */
const INTERACTION_TOKEN_LIFETIME_MS = 15 * 60_000;
const ALL_PERMISSIONS = Object.values(PermissionFlagsBits).reduce((all, bit) => all | bit, 0n);
const KNOWN_INTENTS = Object.values(GatewayIntentBits)
  .filter((v): v is number => typeof v === 'number')
  .reduce((all, bit) => all | bit, 0);
const PRIVILEGED_INTENTS =
  GatewayIntentBits.GuildMembers | GatewayIntentBits.GuildPresences | GatewayIntentBits.MessageContent;
const APPLICATION_FLAG_MESSAGE_CONTENT_LIMITED = 1 << 19;
/** What Discord gives @everyone in a new server. */
const DEFAULT_EVERYONE =
  PermissionFlagsBits.ViewChannel |
  PermissionFlagsBits.SendMessages |
  PermissionFlagsBits.EmbedLinks |
  PermissionFlagsBits.AttachFiles |
  PermissionFlagsBits.AddReactions |
  PermissionFlagsBits.ReadMessageHistory |
  PermissionFlagsBits.UseApplicationCommands |
  PermissionFlagsBits.MentionEveryone;
const RATE_LIMIT = { limit: 50, windowMs: 1000 };

let sequence = 0n;
/** Discord ids: milliseconds since the Discord epoch, then a counter. */
function snowflake(): string {
  sequence = (sequence + 1n) & 0xfffn;
  return (((BigInt(Date.now()) - DISCORD_EPOCH) << 22n) | sequence).toString();
}

// ---------------------------------------------------------------------------------------------
// The emulated world

export interface EmulatedUser {
  id: string;
  username: string;
  bot: boolean;
}

interface EmulatedRole {
  id: string;
  name: string;
  permissions: bigint;
  position: number;
  /** The role Discord creates for a bot when it joins. */
  botId: string | null;
}

interface EmulatedMember {
  userId: string;
  roles: string[];
  joinedAt: string;
}

interface EmulatedChannel {
  id: string;
  type: ChannelType.GuildText | ChannelType.DM | ChannelType.PublicThread;
  name: string | null;
  guildId: string | null;
  /** A thread's channel. */
  parentId?: string;
  /** The other side of a DM. */
  recipientId: string | null;
  messages: Map<string, EmulatedMessage>;
}

/** A message as Discord stores it; `reactions` is who reacted with what. */
export interface EmulatedMessage {
  id: string;
  channelId: string;
  guildId: string | null;
  authorId: string;
  content: string;
  embeds: APIEmbed[];
  components: unknown[];
  flags: number;
  type: MessageType;
  timestamp: string;
  editedTimestamp: string | null;
  referenceId: string | null;
  /** Set on interaction responses and follow-ups. */
  interactionId: string | null;
  reactions: Map<string, Set<string>>;
  attachments: EmulatedAttachment[];
}

/** A file uploaded with a message (multipart `files[n]`), as Discord keeps it. */
export interface EmulatedAttachment {
  id: string;
  filename: string;
  contentType: string;
  description: string | null;
  data: Buffer;
}

export interface RecordedRestRequest {
  method: string;
  /** Path below /api/v10, e.g. /channels/123/messages. */
  path: string;
  query: Record<string, string>;
  body: unknown;
  authorized: boolean;
  status: number;
}

export interface RegisteredCommand extends Json {
  id: string;
  name: string;
  type: ApplicationCommandType;
  description: string;
  options?: CommandOption[];
  default_member_permissions?: string | null;
}

interface CommandOption {
  name: string;
  type: ApplicationCommandOptionType;
  description: string;
  required?: boolean;
  choices?: Array<{ name: string; value: string | number }>;
  max_length?: number;
  options?: CommandOption[];
}

/** What a person enters in a modal, by custom id: text for a text input, option values for a select. */
export type ModalValues = Record<string, string | string[]>;

export interface ModalData {
  custom_id: string;
  title: string;
  components: Array<Json>;
}

/** One interaction a test started, and everything the bot did with it. */
export interface EmulatedInteraction {
  id: string;
  token: string;
  type: InteractionType;
  userId: string;
  channelId: string;
  createdAt: number;
  /** Callback bodies, in order (Discord accepts only the first). */
  responses: Array<{ type: InteractionResponseType; data?: Json }>;
  /** Bodies of the edits of the original response. */
  edits: Json[];
  followUps: EmulatedMessage[];
  /** The modal the bot opened in response, if any. */
  modal: ModalData | null;
  /** The response message as it is now (deferred: a loading message until edited). */
  original(): EmulatedMessage | undefined;
}

export interface DiscordEmulatorOptions {
  token?: string;
  applicationId?: string;
  botName?: string;
  heartbeatIntervalMs?: number;
  /** The Developer Portal switch; off, an IDENTIFY asking for Message Content is closed with 4014. */
  messageContentIntent?: boolean;
  /** Permissions of the role Discord makes for the bot from its invite link. */
  botPermissions?: bigint;
  everyonePermissions?: bigint;
  /**
   * Off: the gateway never announces the server (left out of READY, no GUILD_CREATE), so the client
   * holds it uncached; interactions from it still arrive (with role ids only) and REST still works.
   */
  announceGuild?: boolean;
  /** How long interaction tokens work (Discord: 15 minutes); shorter lets a test outlive one. */
  interactionTokenLifetimeMs?: number;
}

export interface DiscordEmulator {
  /** For discord.js `rest.api` (and DISCORD_API_URL): http://127.0.0.1:PORT/api */
  apiUrl: string;
  gatewayUrl: string;
  token: string;
  applicationId: string;
  bot: EmulatedUser;
  guildId: string;
  /** The server's #general. */
  channelId: string;
  ownerId: string;
  everyoneRoleId: string;
  botRoleId: string;

  addRole(name: string, permissions?: bigint): string;
  addMember(username: string, roles?: string[]): string;
  giveRole(userId: string, roleId: string): void;
  takeRole(userId: string, roleId: string): void;
  addChannel(name: string): string;
  /** A public thread in a channel (#general by default), announced with THREAD_CREATE. */
  addThread(name: string, parentId?: string): string;
  /** Changes a role's permissions (GUILD_ROLE_UPDATE); the @everyone role's id is the server's. */
  setRolePermissions(roleId: string, permissions: bigint): void;
  /** Permissions of a member in the server: owner and Administrator mean all of them. */
  permissionsOf(userId: string): bigint;

  /** A member posts in a server channel (#general by default); mentions are parsed from `<@id>` as Discord does. */
  send(userId: string, content: string, channelId?: string): EmulatedMessage;
  /** A user writes to the bot in their DM. */
  dm(userId: string, content: string): EmulatedMessage;
  react(userId: string, messageId: string, emoji: string): void;
  /** A member runs a registered slash command; options by name, checked against its definition. */
  slash(
    userId: string,
    name: string,
    options?: Record<string, string | number | boolean>,
    channelId?: string,
  ): EmulatedInteraction;
  /** A member runs a registered message command on a message. */
  messageCommand(userId: string, name: string, messageId: string): EmulatedInteraction;
  /**
   * Submits the modal the bot opened in `opened`, by custom id: a text input's text, a select's picked option
   * values (one value or a list); the others as the modal prefilled them (a text input's value, a select's defaults).
   */
  submitModal(opened: EmulatedInteraction, values?: ModalValues): EmulatedInteraction;

  message(id: string): EmulatedMessage | undefined;
  /** Messages of a channel, oldest first (#general by default). */
  messages(channelId?: string): EmulatedMessage[];
  dmChannelOf(userId: string): string | undefined;
  /** Commands registered globally, or in a server. */
  commands(guildId?: string): RegisteredCommand[];
  requests: RecordedRestRequest[];
  /** Channels the bot sent a typing indicator to, in order. */
  typing: string[];
  /** IDENTIFY payloads received, token removed. */
  identifies: Json[];
  heartbeatAcks(): number;
  /** Sessions with an open gateway connection. */
  connectedSessions(): number;
  /** Cuts every gateway connection as a network failure would (no close frame); sessions stay resumable. */
  dropConnections(): void;
  /** RESUMEs accepted so far. */
  resumes(): number;
  /** Resolves with the probe's first truthy value, checked after everything the bot does. */
  waitFor<T>(probe: () => T | undefined | null | false, what?: string, timeoutMs?: number): Promise<T>;
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// Wire shapes

const userJson = (user: EmulatedUser) => ({
  id: user.id,
  username: user.username,
  discriminator: '0',
  global_name: user.bot ? null : user.username,
  avatar: null,
  bot: user.bot,
  system: false,
  public_flags: 0,
  flags: 0,
  banner: null,
  accent_color: null,
  avatar_decoration_data: null,
});

const roleJson = (role: EmulatedRole) => ({
  id: role.id,
  name: role.name,
  color: 0,
  colors: { primary_color: 0, secondary_color: null, tertiary_color: null },
  hoist: false,
  icon: null,
  unicode_emoji: null,
  position: role.position,
  permissions: role.permissions.toString(),
  managed: role.botId !== null,
  mentionable: false,
  flags: 0,
  ...(role.botId ? { tags: { bot_id: role.botId } } : {}),
});

class DiscordError {
  constructor(
    readonly status: number,
    readonly code: number,
    readonly message: string,
    readonly errors?: Json,
  ) {}
}

const missingAccess = () => new DiscordError(403, RESTJSONErrorCodes.MissingAccess, 'Missing Access');
const missingPermissions = () => new DiscordError(403, RESTJSONErrorCodes.MissingPermissions, 'Missing Permissions');
const unknownMessage = () => new DiscordError(404, RESTJSONErrorCodes.UnknownMessage, 'Unknown Message');
const unknownChannel = () => new DiscordError(404, RESTJSONErrorCodes.UnknownChannel, 'Unknown Channel');
const unknownInteraction = () => new DiscordError(404, RESTJSONErrorCodes.UnknownInteraction, 'Unknown interaction');
const invalidForm = (errors: Json) =>
  new DiscordError(400, RESTJSONErrorCodes.InvalidFormBodyOrContentType, 'Invalid Form Body', errors);
const fieldError = (code: string, message: string) => ({ _errors: [{ code, message }] });

/** Discord's size limits for message bodies; the error names the first field over. */
function checkMessageBody(body: Json, creating: boolean): void {
  const tooLong = (max: number) => fieldError('BASE_TYPE_MAX_LENGTH', `Must be ${max} or fewer in length.`);
  const content = body.content;
  if (typeof content === 'string' && content.length > 2000) throw invalidForm({ content: tooLong(2000) });
  const embeds = (body.embeds ?? []) as APIEmbed[];
  if (embeds.length > 10) throw invalidForm({ embeds: tooLong(10) });
  embeds.forEach((embed, i) => {
    const at = (field: string, error: Json) => invalidForm({ embeds: { [i]: { [field]: error } } });
    if ((embed.title?.length ?? 0) > 256) throw at('title', tooLong(256));
    if ((embed.description?.length ?? 0) > 4096) throw at('description', tooLong(4096));
    if ((embed.footer?.text.length ?? 0) > 2048) throw at('footer', { text: tooLong(2048) });
    const fields = embed.fields ?? [];
    if (fields.length > 25) throw at('fields', tooLong(25));
    fields.forEach((field, j) => {
      if (!field.name)
        throw at('fields', { [j]: { name: fieldError('BASE_TYPE_REQUIRED', 'This field is required') } });
      if (!field.value)
        throw at('fields', { [j]: { value: fieldError('BASE_TYPE_REQUIRED', 'This field is required') } });
      if (field.name.length > 256) throw at('fields', { [j]: { name: tooLong(256) } });
      if (field.value.length > 1024) throw at('fields', { [j]: { value: tooLong(1024) } });
    });
    const total =
      (embed.title?.length ?? 0) +
      (embed.description?.length ?? 0) +
      (embed.footer?.text.length ?? 0) +
      (embed.author?.name.length ?? 0) +
      fields.reduce((sum, f) => sum + f.name.length + f.value.length, 0);
    if (total > 6000)
      throw invalidForm({
        embeds: { [i]: fieldError('MAX_EMBED_SIZE_EXCEEDED', 'Embed size exceeds maximum size of 6000') },
      });
  });
  const uploads = uploadsOf(body);
  if (uploads.length > MAX_ATTACHMENTS) throw invalidForm({ files: tooLong(MAX_ATTACHMENTS) });
  if (uploads.reduce((sum, upload) => sum + upload.data.length, 0) > MAX_UPLOAD_BYTES) {
    throw new DiscordError(413, RESTJSONErrorCodes.RequestEntityTooLarge, 'Request entity too large');
  }
  const nothing = !content && embeds.length === 0 && !(body.components as unknown[] | undefined)?.length;
  if (creating && nothing && uploads.length === 0) {
    throw new DiscordError(400, RESTJSONErrorCodes.CannotSendAnEmptyMessage, 'Cannot send an empty message');
  }
}

/** `{ a: { 0: { b: error } } }` for the path a.0.b, as Discord nests a field's errors. */
const nested = (path: ReadonlyArray<string | number>, error: Json): Json =>
  path.reduceRight<Json>((inner, key) => ({ [key]: inner }), error);

/** Fields a modal may hold inside a Label (Discord's modal components). */
const LABELLED_FIELDS = new Set<number>([
  ComponentType.TextInput,
  ComponentType.StringSelect,
  ComponentType.UserSelect,
  ComponentType.RoleSelect,
  ComponentType.MentionableSelect,
  ComponentType.ChannelSelect,
  ComponentType.FileUpload,
]);
const TOP_LEVEL_IN_MODAL = [ComponentType.ActionRow, ComponentType.TextDisplay, ComponentType.Label];
const MODAL_LIMITS = { components: 5, title: 45, customId: 100, label: 45, description: 100, options: 25 } as const;

/** The fields of a modal (text inputs, selects), in order, wherever they sit. */
function modalFields(components: Json[]): Json[] {
  return components.flatMap((component) => {
    if (component.type === ComponentType.Label) return [component.component as Json];
    if (component.type === ComponentType.ActionRow) return component.components as Json[];
    return [];
  });
}

/**
 * A modal as Discord accepts it in an interaction response (type 9), or Invalid Form Body (50035)
 * naming the first field broken; components without an `id` get one, numbered in order as Discord does.
 */
function checkedModal(data: Json): ModalData {
  const refuse = (path: ReadonlyArray<string | number>, code: string, message: string) =>
    invalidForm({ data: nested(path, fieldError(code, message)) });
  const text = (value: unknown, path: ReadonlyArray<string | number>, max: number, required = true) => {
    if (value === undefined || value === null || value === '') {
      if (required) throw refuse(path, 'BASE_TYPE_REQUIRED', 'This field is required');
      return;
    }
    if (String(value).length > max) throw refuse(path, 'BASE_TYPE_MAX_LENGTH', `Must be ${max} or fewer in length.`);
  };
  text(data.custom_id, ['custom_id'], MODAL_LIMITS.customId);
  text(data.title, ['title'], MODAL_LIMITS.title);
  const components = (data.components ?? []) as Json[];
  if (components.length === 0) throw refuse(['components'], 'BASE_TYPE_MIN_LENGTH', 'Must be 1 or more in length.');
  if (components.length > MODAL_LIMITS.components)
    throw refuse(['components'], 'BASE_TYPE_MAX_LENGTH', `Must be ${MODAL_LIMITS.components} or fewer in length.`);
  components.forEach((component, i) => {
    const at = ['components', i];
    if (!TOP_LEVEL_IN_MODAL.includes(component.type as ComponentType))
      throw refuse(
        [...at, 'type'],
        'UNION_TYPE_CHOICES',
        `Value of field "type" must be one of (${TOP_LEVEL_IN_MODAL}).`,
      );
    if (component.type === ComponentType.Label) {
      text(component.label, [...at, 'label'], MODAL_LIMITS.label);
      text(component.description, [...at, 'description'], MODAL_LIMITS.description, false);
      const field = component.component as Json | undefined;
      if (!field || !LABELLED_FIELDS.has(Number(field.type)))
        throw refuse(
          [...at, 'component'],
          'COMPONENT_TYPE_INVALID',
          'Label holds one text input, select or file upload.',
        );
      checkModalField(field, [...at, 'component'], refuse, text);
    }
    if (component.type === ComponentType.ActionRow) {
      const row = (component.components ?? []) as Json[];
      // Rows in modals are the old way, and hold a single text input only.
      if (row.length !== 1 || row[0].type !== ComponentType.TextInput)
        throw refuse([...at, 'components'], 'COMPONENT_TYPE_INVALID', 'Action rows in modals hold one text input.');
      checkModalField(row[0], [...at, 'components', 0], refuse, text);
    }
  });
  const ids = modalFields(components).map((field) => String(field.custom_id));
  const duplicate = ids.find((id, i) => ids.indexOf(id) !== i);
  if (duplicate !== undefined)
    throw refuse(['components'], 'COMPONENT_CUSTOM_ID_DUPLICATED', 'Component custom id cannot be duplicated');
  return { custom_id: String(data.custom_id), title: String(data.title), components: withComponentIds(components) };
}

function checkModalField(
  field: Json,
  at: ReadonlyArray<string | number>,
  refuse: (path: ReadonlyArray<string | number>, code: string, message: string) => DiscordError,
  text: (value: unknown, path: ReadonlyArray<string | number>, max: number, required?: boolean) => void,
): void {
  text(field.custom_id, [...at, 'custom_id'], MODAL_LIMITS.customId);
  if (field.type === ComponentType.TextInput) {
    const max = Number(field.max_length ?? 4000);
    if (max > 4000)
      throw refuse([...at, 'max_length'], 'NUMBER_TYPE_MAX', 'int value should be less than or equal to 4000.');
    text(field.value, [...at, 'value'], max, false);
    text(field.placeholder, [...at, 'placeholder'], 100, false);
  }
  if (field.type === ComponentType.StringSelect) {
    const options = (field.options ?? []) as Json[];
    if (options.length === 0 || options.length > MODAL_LIMITS.options)
      throw refuse(
        [...at, 'options'],
        'BASE_TYPE_BAD_LENGTH',
        `Must be between 1 and ${MODAL_LIMITS.options} in length.`,
      );
    options.forEach((option, j) => {
      text(option.label, [...at, 'options', j, 'label'], 100);
      text(option.value, [...at, 'options', j, 'value'], 100);
      text(option.description, [...at, 'options', j, 'description'], 100, false);
    });
    if (new Set(options.map((option) => option.value)).size !== options.length)
      throw refuse(
        [...at, 'options'],
        'SELECT_COMPONENT_OPTION_VALUE_DUPLICATED',
        'Select option values must be unique',
      );
    text(field.placeholder, [...at, 'placeholder'], 150, false);
    const max = Number(field.max_values ?? 1);
    if (max < 1 || max > options.length)
      throw refuse(
        [...at, 'max_values'],
        'NUMBER_TYPE_MAX',
        `int value should be less than or equal to ${options.length}.`,
      );
  }
}

/** The components with Discord's `id`s: a given one is kept, the rest numbered in order after the largest. */
function withComponentIds(components: Json[]): Json[] {
  let next = 1;
  const number = (component: Json): Json => {
    const id = typeof component.id === 'number' ? component.id : next;
    next = Math.max(next, id) + 1;
    const numbered: Json = { ...component, id };
    if (component.component) numbered.component = number(component.component as Json);
    if (Array.isArray(component.components)) numbered.components = (component.components as Json[]).map(number);
    return numbered;
  };
  return components.map(number);
}

/** A select as submitted: the options picked, or its defaults; checked against its options and counts. */
function picked(select: Json, values: ModalValues): Json {
  const customId = String(select.custom_id);
  const options = (select.options ?? []) as Array<{ value: string; default?: boolean }>;
  const given = values[customId];
  const chosen = given === undefined ? options.filter((option) => option.default).map((o) => o.value) : [given].flat();
  const unknown = chosen.find((value) => !options.some((option) => option.value === value));
  if (unknown !== undefined) throw new Error(`"${unknown}" is not an option of the modal's "${customId}"`);
  const [min, max] = [Number(select.min_values ?? 1), Number(select.max_values ?? 1)];
  if (chosen.length === 0 && select.required !== false) throw new Error(`the modal's "${customId}" is required`);
  if (chosen.length > 0 && (chosen.length < min || chosen.length > max))
    throw new Error(`the modal's "${customId}" takes ${min} to ${max} options`);
  return { type: ComponentType.StringSelect, id: select.id, custom_id: customId, values: chosen };
}

/** A text input as submitted: the text typed, or its prefilled value. */
function typed(input: Json, values: ModalValues): Json {
  const customId = String(input.custom_id);
  const given = values[customId];
  if (Array.isArray(given)) throw new Error(`the modal's "${customId}" is a text input: type text, not options`);
  const value = given ?? String(input.value ?? '');
  if (input.required !== false && !value) throw new Error(`the modal's "${customId}" is required`);
  if (typeof input.max_length === 'number' && value.length > input.max_length)
    throw new Error(`the modal's "${customId}" takes at most ${input.max_length} characters`);
  if (value && typeof input.min_length === 'number' && value.length < input.min_length)
    throw new Error(`the modal's "${customId}" takes at least ${input.min_length} characters`);
  return { type: ComponentType.TextInput, id: input.id, custom_id: customId, value };
}

// ---------------------------------------------------------------------------------------------

interface Session {
  id: string;
  socket: WebSocket | null;
  intents: number;
  seq: number;
  /** Recent dispatches, for RESUME. */
  sent: Array<{ s: number; t: string; d: unknown }>;
}

interface InteractionState extends EmulatedInteraction {
  originalId: string | null;
}

export async function startDiscordEmulator(options: DiscordEmulatorOptions = {}): Promise<DiscordEmulator> {
  const token = options.token ?? 'emulated-bot-token.Gx7Q.weatherbot';
  const applicationId = options.applicationId ?? snowflake();
  const heartbeatIntervalMs = options.heartbeatIntervalMs ?? 41_250;
  const messageContentIntent = options.messageContentIntent ?? true;
  const announceGuild = options.announceGuild ?? true;
  const tokenLifetimeMs = options.interactionTokenLifetimeMs ?? INTERACTION_TOKEN_LIFETIME_MS;
  const changes = new EventEmitter();
  changes.setMaxListeners(0);
  const changed = () => changes.emit('change');

  const users = new Map<string, EmulatedUser>();
  const addUser = (username: string, bot = false, id = snowflake()): EmulatedUser => {
    const user = { id, username, bot };
    users.set(user.id, user);
    return user;
  };
  const bot = addUser(options.botName ?? 'WeatherBot', true, applicationId);
  const owner = addUser('server-owner');

  const guild = {
    id: snowflake(),
    name: 'Weather Watchers',
    ownerId: owner.id,
    roles: new Map<string, EmulatedRole>(),
    members: new Map<string, EmulatedMember>(),
  };
  guild.roles.set(guild.id, {
    id: guild.id,
    name: '@everyone',
    permissions: options.everyonePermissions ?? DEFAULT_EVERYONE,
    position: 0,
    botId: null,
  });
  const channels = new Map<string, EmulatedChannel>();
  const dmChannels = new Map<string, string>();
  const interactions = new Map<string, InteractionState>();
  const commands = { global: [] as RegisteredCommand[], guild: new Map<string, RegisteredCommand[]>() };
  const sessions = new Map<string, Session>();
  const requests: RecordedRestRequest[] = [];
  const typing: string[] = [];
  const identifies: Json[] = [];
  let heartbeatAcks = 0;
  let resumes = 0;

  const addRole = (name: string, permissions = 0n, botId: string | null = null): string => {
    const role = { id: snowflake(), name, permissions, position: guild.roles.size, botId };
    guild.roles.set(role.id, role);
    return role.id;
  };
  const join = (userId: string, roles: string[] = []) => {
    guild.members.set(userId, { userId, roles: [...roles], joinedAt: new Date().toISOString() });
  };
  const botRoleId = addRole(bot.username, options.botPermissions ?? ALL_PERMISSIONS, bot.id);
  join(owner.id);
  join(bot.id, [botRoleId]);

  const addChannel = (name: string): string => {
    const channel: EmulatedChannel = {
      id: snowflake(),
      type: ChannelType.GuildText,
      name,
      guildId: guild.id,
      recipientId: null,
      messages: new Map(),
    };
    channels.set(channel.id, channel);
    return channel.id;
  };
  const generalId = addChannel('general');

  const addThread = (name: string, parentId: string): string => {
    const thread: EmulatedChannel = {
      id: snowflake(),
      type: ChannelType.PublicThread,
      name,
      guildId: guild.id,
      parentId,
      recipientId: null,
      messages: new Map(),
    };
    channels.set(thread.id, thread);
    return thread.id;
  };
  const isThread = (channel: EmulatedChannel) => channel.type === ChannelType.PublicThread;
  /** What posting in a channel takes: in a thread, Send Messages in Threads instead of Send Messages. */
  const sendPermission = (channel: EmulatedChannel) =>
    isThread(channel) ? PermissionFlagsBits.SendMessagesInThreads : PermissionFlagsBits.SendMessages;

  function permissionsOf(userId: string): bigint {
    if (userId === guild.ownerId) return ALL_PERMISSIONS;
    const member = guild.members.get(userId);
    if (!member) return 0n;
    let permissions = guild.roles.get(guild.id)!.permissions;
    for (const roleId of member.roles) permissions |= guild.roles.get(roleId)?.permissions ?? 0n;
    return permissions & PermissionFlagsBits.Administrator ? ALL_PERMISSIONS : permissions;
  }
  const can = (userId: string, permission: bigint) => (permissionsOf(userId) & permission) === permission;

  const memberJson = (userId: string, withUser: boolean) => {
    const member = guild.members.get(userId)!;
    return {
      ...(withUser ? { user: userJson(users.get(userId)!) } : {}),
      nick: null,
      avatar: null,
      banner: null,
      roles: member.roles,
      joined_at: member.joinedAt,
      premium_since: null,
      deaf: false,
      mute: false,
      flags: 0,
      pending: false,
      communication_disabled_until: null,
    };
  };

  const threadJson = (channel: EmulatedChannel) => ({
    id: channel.id,
    type: channel.type,
    guild_id: channel.guildId,
    parent_id: channel.parentId,
    name: channel.name,
    owner_id: guild.ownerId,
    last_message_id: null,
    rate_limit_per_user: 0,
    message_count: channel.messages.size,
    member_count: 1,
    total_message_sent: channel.messages.size,
    flags: 0,
    thread_metadata: {
      archived: false,
      auto_archive_duration: 1440,
      archive_timestamp: new Date().toISOString(),
      locked: false,
      create_timestamp: new Date().toISOString(),
    },
  });

  const channelJson = (channel: EmulatedChannel): Json =>
    isThread(channel)
      ? threadJson(channel)
      : channel.type === ChannelType.DM
        ? {
            id: channel.id,
            type: channel.type,
            last_message_id: null,
            flags: 0,
            recipients: [userJson(users.get(channel.recipientId!)!)],
          }
        : {
            id: channel.id,
            type: channel.type,
            guild_id: channel.guildId,
            name: channel.name,
            position: 0,
            permission_overwrites: [],
            topic: null,
            nsfw: false,
            last_message_id: null,
            rate_limit_per_user: 0,
            parent_id: null,
            flags: 0,
          };

  const guildJson = () => ({
    id: guild.id,
    name: guild.name,
    icon: null,
    splash: null,
    discovery_splash: null,
    owner_id: guild.ownerId,
    afk_channel_id: null,
    afk_timeout: 300,
    verification_level: 0,
    default_message_notifications: 0,
    explicit_content_filter: 0,
    roles: [...guild.roles.values()].map(roleJson),
    emojis: [],
    features: [],
    mfa_level: 0,
    application_id: null,
    system_channel_id: null,
    system_channel_flags: 0,
    rules_channel_id: null,
    vanity_url_code: null,
    description: null,
    banner: null,
    premium_tier: 0,
    premium_subscription_count: 0,
    preferred_locale: 'en-US',
    public_updates_channel_id: null,
    nsfw_level: 0,
    stickers: [],
    premium_progress_bar_enabled: false,
    safety_alerts_channel_id: null,
    joined_at: guild.members.get(bot.id)!.joinedAt,
    large: false,
    unavailable: false,
    member_count: guild.members.size,
    voice_states: [],
    // Without the Guild Members intent Discord sends only the bot's own member.
    members: [memberJson(bot.id, true)],
    channels: [...channels.values()].filter((c) => c.guildId === guild.id && !isThread(c)).map(channelJson),
    threads: [...channels.values()].filter(isThread).map(channelJson),
    presences: [],
    stage_instances: [],
    guild_scheduled_events: [],
    soundboard_sounds: [],
  });

  const findMessage = (id: string): EmulatedMessage | undefined => {
    for (const channel of channels.values()) {
      const message = channel.messages.get(id);
      if (message) return message;
    }
    return undefined;
  };

  /** The message as Discord sends it to the bot (`reactions[].me` is the bot). */
  function messageJson(message: EmulatedMessage): Json {
    const referenced = message.referenceId ? findMessage(message.referenceId) : undefined;
    const interaction = message.interactionId ? interactions.get(message.interactionId) : undefined;
    return {
      id: message.id,
      channel_id: message.channelId,
      ...(message.guildId ? { guild_id: message.guildId } : {}),
      author: userJson(users.get(message.authorId)!),
      content: message.content,
      timestamp: message.timestamp,
      edited_timestamp: message.editedTimestamp,
      tts: false,
      mention_everyone: false,
      mentions: [...message.content.matchAll(/<@!?(\d+)>/g)]
        .map((m) => users.get(m[1]))
        .filter((u): u is EmulatedUser => Boolean(u))
        .map(userJson),
      mention_roles: [...message.content.matchAll(/<@&(\d+)>/g)].map((m) => m[1]).filter((id) => guild.roles.has(id)),
      attachments: message.attachments.map((a) => ({
        id: a.id,
        filename: a.filename,
        size: a.data.length,
        content_type: a.contentType,
        ...(a.description === null ? {} : { description: a.description }),
        url: `https://cdn.discordapp.com/attachments/${message.channelId}/${a.id}/${a.filename}`,
        proxy_url: `https://media.discordapp.net/attachments/${message.channelId}/${a.id}/${a.filename}`,
      })),
      embeds: message.embeds,
      reactions: [...message.reactions]
        .filter(([, who]) => who.size > 0)
        .map(([emoji, who]) => ({
          count: who.size,
          count_details: { burst: 0, normal: who.size },
          me: who.has(bot.id),
          me_burst: false,
          burst_colors: [],
          emoji: { id: null, name: emoji },
        })),
      pinned: false,
      type: message.type,
      flags: message.flags,
      components: message.components,
      ...(message.referenceId
        ? {
            message_reference: {
              type: 0,
              message_id: message.referenceId,
              channel_id: message.channelId,
              ...(message.guildId ? { guild_id: message.guildId } : {}),
            },
          }
        : {}),
      ...(referenced ? { referenced_message: messageJson(referenced) } : {}),
      ...(interaction
        ? {
            webhook_id: applicationId,
            application_id: applicationId,
            interaction_metadata: {
              id: interaction.id,
              type: interaction.type,
              user: userJson(users.get(interaction.userId)!),
              authorizing_integration_owners: { 0: guild.id },
            },
          }
        : {}),
    };
  }

  // --- gateway ---------------------------------------------------------------------------------

  const sendTo = (socket: WebSocket, payload: Json) => {
    if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(payload));
  };

  function dispatchTo(session: Session, t: string, d: unknown): void {
    session.seq += 1;
    session.sent.push({ s: session.seq, t, d });
    if (session.sent.length > 200) session.sent.shift();
    if (session.socket) sendTo(session.socket, { op: GatewayOpcodes.Dispatch, t, s: session.seq, d });
  }

  /** Sends an event to every session whose intents include `intent` (0: every session). */
  function dispatch(t: string, intent: number, data: (session: Session) => unknown): void {
    for (const session of sessions.values()) {
      if (intent === 0 || session.intents & intent) dispatchTo(session, t, data(session));
    }
    changed();
  }

  /** Without Message Content a session sees no text, except in DMs, its own messages, and messages that mention it. */
  function messageForSession(message: EmulatedMessage, session: Session): Json {
    const json = messageJson(message);
    const shown =
      session.intents & GatewayIntentBits.MessageContent ||
      !message.guildId ||
      message.authorId === bot.id ||
      (json.mentions as Array<{ id: string }>).some((u) => u.id === bot.id);
    return shown ? json : { ...json, content: '', embeds: [], attachments: [], components: [] };
  }

  function dispatchMessage(
    t: GatewayDispatchEvents.MessageCreate | GatewayDispatchEvents.MessageUpdate,
    message: EmulatedMessage,
  ): void {
    if (message.flags & MessageFlags.Ephemeral) return;
    const intent = message.guildId ? GatewayIntentBits.GuildMessages : GatewayIntentBits.DirectMessages;
    const member =
      message.guildId && guild.members.has(message.authorId) ? { member: memberJson(message.authorId, false) } : {};
    const channelType = channels.get(message.channelId)!.type;
    dispatch(t, intent, (session) => ({
      ...messageForSession(message, session),
      ...member,
      channel_type: channelType,
    }));
  }

  function onIdentify(socket: WebSocket, d: Json): Session | null {
    const { token: given, intents, shard, ...rest } = d;
    identifies.push({ intents, shard, ...rest });
    if (given !== token) {
      socket.close(GatewayCloseCodes.AuthenticationFailed, 'Authentication failed.');
      return null;
    }
    if (typeof intents !== 'number' || (intents & ~KNOWN_INTENTS) !== 0) {
      socket.close(GatewayCloseCodes.InvalidIntents, 'Invalid intent(s).');
      return null;
    }
    const allowed = messageContentIntent ? GatewayIntentBits.MessageContent : 0;
    if (intents & PRIVILEGED_INTENTS & ~allowed) {
      socket.close(GatewayCloseCodes.DisallowedIntents, 'Disallowed intent(s).');
      return null;
    }
    if (shard !== undefined && (!Array.isArray(shard) || shard[0] !== 0 || shard[1] !== 1)) {
      socket.close(GatewayCloseCodes.InvalidShard, 'Invalid shard.');
      return null;
    }
    const session: Session = { id: snowflake(), socket, intents, seq: 0, sent: [] };
    sessions.set(session.id, session);
    dispatchTo(session, GatewayDispatchEvents.Ready, {
      v: 10,
      user: { ...userJson(bot), verified: true, mfa_enabled: false, email: null },
      guilds: announceGuild ? [{ id: guild.id, unavailable: true }] : [],
      session_id: session.id,
      resume_gateway_url: gatewayUrl,
      shard: [0, 1],
      application: { id: applicationId, flags: messageContentIntent ? APPLICATION_FLAG_MESSAGE_CONTENT_LIMITED : 0 },
      user_settings: {},
      relationships: [],
      private_channels: [],
      presences: [],
      guild_join_requests: [],
      geo_ordered_rtc_regions: [],
      _trace: ['["discord-emulator",{"micros":0}]'],
    });
    if (announceGuild && intents & GatewayIntentBits.Guilds)
      dispatchTo(session, GatewayDispatchEvents.GuildCreate, guildJson());
    changed();
    return session;
  }

  function onResume(socket: WebSocket, d: Json): Session | null {
    const session = sessions.get(String(d.session_id));
    if (!session || d.token !== token) {
      sendTo(socket, { op: GatewayOpcodes.InvalidSession, d: false });
      return null;
    }
    session.socket = socket;
    resumes += 1;
    for (const missed of session.sent.filter((event) => event.s > Number(d.seq))) {
      sendTo(socket, { op: GatewayOpcodes.Dispatch, t: missed.t, s: missed.s, d: missed.d });
    }
    dispatchTo(session, GatewayDispatchEvents.Resumed, { _trace: ['discord-emulator'] });
    changed();
    return session;
  }

  function onConnection(socket: WebSocket, request: IncomingMessage): void {
    const query = new URL(request.url ?? '/', 'http://gateway').searchParams;
    if (query.get('v') !== '10') {
      socket.close(GatewayCloseCodes.InvalidAPIVersion, 'Invalid API version');
      return;
    }
    if (query.get('encoding') !== 'json' || query.has('compress')) {
      socket.close(GatewayCloseCodes.DecodeError, 'Only uncompressed JSON is emulated');
      return;
    }
    let session: Session | null = null;
    sendTo(socket, {
      op: GatewayOpcodes.Hello,
      d: { heartbeat_interval: heartbeatIntervalMs, _trace: ['discord-emulator'] },
    });
    socket.on('message', (raw) => {
      let payload: { op?: number; d?: unknown };
      try {
        payload = JSON.parse(raw.toString());
      } catch {
        socket.close(GatewayCloseCodes.DecodeError, 'Error while decoding payload.');
        return;
      }
      switch (payload.op) {
        case GatewayOpcodes.Heartbeat:
          heartbeatAcks += 1;
          sendTo(socket, { op: GatewayOpcodes.HeartbeatAck });
          changed();
          return;
        case GatewayOpcodes.Identify:
          if (session) socket.close(GatewayCloseCodes.AlreadyAuthenticated, 'Already authenticated.');
          else session = onIdentify(socket, (payload.d ?? {}) as Json);
          return;
        case GatewayOpcodes.Resume:
          session = onResume(socket, (payload.d ?? {}) as Json);
          return;
        case GatewayOpcodes.PresenceUpdate:
        case GatewayOpcodes.RequestGuildMembers:
          if (!session) socket.close(GatewayCloseCodes.NotAuthenticated, 'Not authenticated.');
          return;
        default:
          socket.close(GatewayCloseCodes.UnknownOpcode, 'Unknown opcode.');
      }
    });
    socket.on('close', () => {
      if (session?.socket === socket) session.socket = null;
      changed();
    });
  }

  // --- REST --------------------------------------------------------------------------------------

  interface Route {
    method: string;
    pattern: RegExp;
    auth: boolean;
    handle(params: string[], body: Json, query: URLSearchParams): { status: number; body?: unknown };
  }

  const ok = (body: unknown) => ({ status: 200, body });
  const noContent = () => ({ status: 204 });

  function channelFor(id: string): EmulatedChannel {
    const channel = channels.get(id);
    if (!channel) throw unknownChannel();
    if (channel.guildId && !can(bot.id, PermissionFlagsBits.ViewChannel)) throw missingAccess();
    return channel;
  }

  function createMessage(
    channel: EmulatedChannel,
    authorId: string,
    body: Json,
    extra: Partial<EmulatedMessage> = {},
  ): EmulatedMessage {
    const reference = (body.message_reference as { message_id?: string } | undefined)?.message_id ?? null;
    if (reference && !channel.messages.has(reference)) {
      throw invalidForm({ message_reference: fieldError('MESSAGE_REFERENCE_UNKNOWN_MESSAGE', 'Unknown message') });
    }
    const message: EmulatedMessage = {
      id: snowflake(),
      channelId: channel.id,
      guildId: channel.guildId,
      authorId,
      content: typeof body.content === 'string' ? body.content : '',
      embeds: ((body.embeds ?? []) as APIEmbed[]).map((embed) => ({ type: 'rich', ...embed }) as APIEmbed),
      components: (body.components ?? []) as unknown[],
      flags: Number(body.flags ?? 0),
      type: reference ? MessageType.Reply : MessageType.Default,
      timestamp: new Date().toISOString(),
      editedTimestamp: null,
      referenceId: reference,
      interactionId: null,
      reactions: new Map(),
      attachments: attachmentsOf(body, []),
      ...extra,
    };
    channel.messages.set(message.id, message);
    return message;
  }

  /**
   * A message's files after a create or an edit: `attachments` in the payload lists what it keeps — earlier
   * attachments by id, new uploads by their `files[n]` index; without it, earlier ones stay and the uploads are added.
   */
  function attachmentsOf(body: Json, existing: EmulatedAttachment[]): EmulatedAttachment[] {
    const uploads = uploadsOf(body);
    const stored = (upload: Upload, description?: unknown): EmulatedAttachment => ({
      id: snowflake(),
      filename: upload.filename,
      contentType: upload.contentType,
      description: typeof description === 'string' ? description : null,
      data: upload.data,
    });
    const listed = body.attachments as Array<{ id: string | number; description?: unknown }> | undefined;
    if (listed === undefined) return [...existing, ...uploads.map((upload) => stored(upload))];
    return listed.map(({ id, description }, i) => {
      const upload = uploads.find((u) => String(u.index) === String(id));
      if (upload) return stored(upload, description);
      const kept = existing.find((a) => a.id === String(id));
      if (kept) return kept;
      throw invalidForm({ attachments: { [i]: fieldError('ATTACHMENT_NOT_FOUND', 'Unknown attachment') } });
    });
  }

  function editMessage(message: EmulatedMessage, body: Json): EmulatedMessage {
    checkMessageBody(body, false);
    if ('content' in body) message.content = typeof body.content === 'string' ? body.content : '';
    if ('embeds' in body)
      message.embeds = ((body.embeds ?? []) as APIEmbed[]).map((embed) => ({ type: 'rich', ...embed }) as APIEmbed);
    if ('components' in body) message.components = (body.components ?? []) as unknown[];
    message.attachments = attachmentsOf(body, message.attachments);
    message.flags &= ~MessageFlags.Loading;
    message.editedTimestamp = new Date().toISOString();
    dispatchMessage(GatewayDispatchEvents.MessageUpdate, message);
    return message;
  }

  function interactionByToken(appId: string, interactionToken: string): InteractionState {
    const interaction = [...interactions.values()].find((i) => i.token === interactionToken);
    if (appId !== applicationId || !interaction)
      throw new DiscordError(404, RESTJSONErrorCodes.UnknownWebhook, 'Unknown Webhook');
    if (Date.now() - interaction.createdAt > tokenLifetimeMs)
      throw new DiscordError(401, RESTJSONErrorCodes.InvalidWebhookToken, 'Invalid Webhook Token');
    return interaction;
  }

  function webhookMessage(interaction: InteractionState, id: string): EmulatedMessage {
    const messageId = id === '@original' ? interaction.originalId : id;
    const message = messageId ? findMessage(messageId) : undefined;
    if (!message || message.interactionId !== interaction.id) throw unknownMessage();
    return message;
  }

  function checkCommand(command: Json, index: number): void {
    const at = (error: Json) => invalidForm({ [index]: error });
    const type = Number(command.type ?? ApplicationCommandType.ChatInput);
    const name = String(command.name ?? '');
    if (type === ApplicationCommandType.ChatInput) {
      if (!/^[-_'\p{L}\p{N}]{1,32}$/u.test(name) || name !== name.toLowerCase())
        throw at({ name: fieldError('APPLICATION_COMMAND_INVALID_NAME', 'Command name is invalid') });
      const description = String(command.description ?? '');
      if (description.length < 1 || description.length > 100)
        throw at({ description: fieldError('BASE_TYPE_BAD_LENGTH', 'Must be between 1 and 100 in length.') });
      const options = (command.options ?? []) as CommandOption[];
      if (options.length > 25)
        throw at({ options: fieldError('BASE_TYPE_MAX_LENGTH', 'Must be 25 or fewer in length.') });
      let optionalSeen = false;
      options.forEach((option, i) => {
        const bad = (error: Json) => at({ options: { [i]: error } });
        if (!/^[-_'\p{L}\p{N}]{1,32}$/u.test(option.name) || option.name !== option.name.toLowerCase())
          throw bad({ name: fieldError('APPLICATION_COMMAND_INVALID_NAME', 'Option name is invalid') });
        if (!option.description || option.description.length > 100)
          throw bad({ description: fieldError('BASE_TYPE_BAD_LENGTH', 'Must be between 1 and 100 in length.') });
        if ((option.choices?.length ?? 0) > 25)
          throw bad({ choices: fieldError('BASE_TYPE_MAX_LENGTH', 'Must be 25 or fewer in length.') });
        if (option.required && optionalSeen)
          throw bad({
            required: fieldError(
              'APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID',
              'Required options must be placed before non-required options',
            ),
          });
        if (!option.required) optionalSeen = true;
      });
    } else if (type === ApplicationCommandType.Message || type === ApplicationCommandType.User) {
      if (name.length < 1 || name.length > 32)
        throw at({ name: fieldError('BASE_TYPE_BAD_LENGTH', 'Must be between 1 and 32 in length.') });
      if (command.description)
        throw at({
          description: fieldError(
            'APPLICATION_COMMAND_CONTEXT_MENU_DESCRIPTION',
            'Context menu commands cannot have a description',
          ),
        });
    } else {
      throw at({ type: fieldError('BASE_TYPE_CHOICES', 'Value must be one of {1, 2, 3, 4}.') });
    }
  }

  /** Bulk overwrite: the list becomes exactly the body; a command keeps its id while its name and type stay. */
  function overwriteCommands(
    existing: RegisteredCommand[],
    body: unknown,
    guildId: string | null,
  ): RegisteredCommand[] {
    if (!Array.isArray(body))
      throw invalidForm({ _errors: [{ code: 'BASE_TYPE_ARRAY', message: 'Must be an array.' }] });
    body.forEach((command, i) => checkCommand(command as Json, i));
    const keys = body.map((c: Json) => `${c.type ?? 1}:${c.name}`);
    if (new Set(keys).size !== keys.length)
      throw new DiscordError(
        400,
        RESTJSONErrorCodes.InvalidFormBodyOrContentType,
        'Application command names must be unique',
      );
    return body.map((command: Json) => {
      const type = Number(command.type ?? ApplicationCommandType.ChatInput);
      const previous = existing.find((c) => c.name === command.name && c.type === type);
      return {
        ...command,
        id: previous?.id ?? snowflake(),
        application_id: applicationId,
        version: snowflake(),
        type,
        name: String(command.name),
        description: String(command.description ?? ''),
        default_member_permissions: (command.default_member_permissions as string | null | undefined) ?? null,
        ...(guildId ? { guild_id: guildId } : {}),
      };
    });
  }

  const routes: Route[] = [
    { method: 'GET', pattern: /^\/gateway$/, auth: false, handle: () => ok({ url: gatewayUrl }) },
    {
      method: 'GET',
      pattern: /^\/gateway\/bot$/,
      auth: true,
      handle: () =>
        ok({
          url: gatewayUrl,
          shards: 1,
          session_start_limit: { total: 1000, remaining: 999, reset_after: 14_400_000, max_concurrency: 1 },
        }),
    },
    { method: 'GET', pattern: /^\/users\/@me$/, auth: true, handle: () => ok(userJson(bot)) },
    {
      method: 'GET',
      pattern: /^\/users\/(\d+)$/,
      auth: true,
      handle: ([id]) => {
        const user = users.get(id);
        if (!user) throw new DiscordError(404, RESTJSONErrorCodes.UnknownUser, 'Unknown User');
        return ok(userJson(user));
      },
    },
    { method: 'GET', pattern: /^\/channels\/(\d+)$/, auth: true, handle: ([id]) => ok(channelJson(channelFor(id))) },
    {
      method: 'GET',
      pattern: /^\/channels\/(\d+)\/messages\/(\d+)$/,
      auth: true,
      handle: ([channelId, messageId]) => {
        const channel = channelFor(channelId);
        if (channel.guildId && !can(bot.id, PermissionFlagsBits.ReadMessageHistory)) throw missingAccess();
        const message = channel.messages.get(messageId);
        if (!message || message.flags & MessageFlags.Ephemeral) throw unknownMessage();
        return ok(messageJson(message));
      },
    },
    {
      method: 'POST',
      pattern: /^\/channels\/(\d+)\/messages$/,
      auth: true,
      handle: ([channelId], body) => {
        const channel = channelFor(channelId);
        if (channel.guildId && !can(bot.id, sendPermission(channel))) throw missingPermissions();
        // A reply quotes an earlier message, which only a member who may read the history can do.
        if (channel.guildId && body.message_reference && !can(bot.id, PermissionFlagsBits.ReadMessageHistory))
          throw new DiscordError(
            403,
            RESTJSONErrorCodes.CannotReplyWithoutPermissionToReadMessageHistory,
            'Cannot reply without permission to read message history',
          );
        checkMessageBody(body, true);
        const message = createMessage(channel, bot.id, body);
        dispatchMessage(GatewayDispatchEvents.MessageCreate, message);
        return ok(messageJson(message));
      },
    },
    {
      method: 'PATCH',
      pattern: /^\/channels\/(\d+)\/messages\/(\d+)$/,
      auth: true,
      handle: ([channelId, messageId], body) => {
        const message = channelFor(channelId).messages.get(messageId);
        if (!message) throw unknownMessage();
        if (message.authorId !== bot.id)
          throw new DiscordError(
            403,
            RESTJSONErrorCodes.CannotEditMessageAuthoredByAnotherUser,
            'Cannot edit a message authored by another user',
          );
        return ok(messageJson(editMessage(message, body)));
      },
    },
    {
      method: 'POST',
      pattern: /^\/channels\/(\d+)\/typing$/,
      auth: true,
      handle: ([channelId]) => {
        const channel = channelFor(channelId);
        if (channel.guildId && !can(bot.id, sendPermission(channel))) throw missingPermissions();
        typing.push(channelId);
        return noContent();
      },
    },
    {
      method: 'PUT',
      pattern: /^\/channels\/(\d+)\/messages\/(\d+)\/reactions\/([^/]+)\/@me$/,
      auth: true,
      handle: ([channelId, messageId, name]) => {
        const channel = channelFor(channelId);
        const message = channel.messages.get(messageId);
        if (!message) throw unknownMessage();
        if (channel.guildId && !can(bot.id, PermissionFlagsBits.ReadMessageHistory)) throw missingAccess();
        if (channel.guildId && !message.reactions.has(name) && !can(bot.id, PermissionFlagsBits.AddReactions))
          throw missingPermissions();
        addReaction(message, bot.id, name);
        return noContent();
      },
    },
    {
      method: 'GET',
      pattern: /^\/guilds\/(\d+)\/members\/(\d+)$/,
      auth: true,
      handle: ([guildId, userId]) => {
        if (guildId !== guild.id) throw new DiscordError(404, RESTJSONErrorCodes.UnknownGuild, 'Unknown Guild');
        if (!guild.members.has(userId)) throw new DiscordError(404, RESTJSONErrorCodes.UnknownMember, 'Unknown Member');
        return ok(memberJson(userId, true));
      },
    },
    {
      method: 'GET',
      pattern: /^\/guilds\/(\d+)\/roles$/,
      auth: true,
      handle: ([guildId]) => {
        if (guildId !== guild.id) throw new DiscordError(404, RESTJSONErrorCodes.UnknownGuild, 'Unknown Guild');
        return ok([...guild.roles.values()].map(roleJson));
      },
    },
    {
      method: 'GET',
      pattern: /^\/applications\/(\d+)\/commands$/,
      auth: true,
      handle: ([appId]) => ok(appId === applicationId ? commands.global : []),
    },
    {
      method: 'PUT',
      pattern: /^\/applications\/(\d+)\/commands$/,
      auth: true,
      handle: ([appId], body) => {
        if (appId !== applicationId) throw new DiscordError(403, RESTJSONErrorCodes.MissingAccess, 'Missing Access');
        commands.global = overwriteCommands(commands.global, body, null);
        return ok(commands.global);
      },
    },
    {
      method: 'GET',
      pattern: /^\/applications\/(\d+)\/guilds\/(\d+)\/commands$/,
      auth: true,
      handle: ([, guildId]) => ok(commands.guild.get(guildId) ?? []),
    },
    {
      method: 'PUT',
      pattern: /^\/applications\/(\d+)\/guilds\/(\d+)\/commands$/,
      auth: true,
      handle: ([appId, guildId], body) => {
        if (appId !== applicationId || guildId !== guild.id) throw missingAccess();
        commands.guild.set(guildId, overwriteCommands(commands.guild.get(guildId) ?? [], body, guildId));
        return ok(commands.guild.get(guildId));
      },
    },
    {
      method: 'POST',
      pattern: /^\/interactions\/(\d+)\/([^/]+)\/callback$/,
      auth: false,
      handle: ([id, interactionToken], body, query) => {
        const interaction = interactions.get(id);
        if (!interaction || interaction.token !== interactionToken) throw unknownInteraction();
        if (interaction.responses.length > 0)
          throw new DiscordError(
            400,
            RESTJSONErrorCodes.InteractionHasAlreadyBeenAcknowledged,
            'Interaction has already been acknowledged.',
          );
        if (Date.now() - interaction.createdAt > INTERACTION_RESPONSE_WINDOW_MS) throw unknownInteraction();
        const response = respond(interaction, body);
        changed();
        if (query.get('with_response') !== 'true') return noContent();
        const message = interaction.original();
        return ok({
          interaction: {
            id,
            type: interaction.type,
            activity_instance_id: null,
            response_message_id: message?.id ?? null,
            response_message_loading: Boolean(message && message.flags & MessageFlags.Loading),
            response_message_ephemeral: Boolean(message && message.flags & MessageFlags.Ephemeral),
          },
          resource: { type: response.type, ...(message ? { message: messageJson(message) } : {}) },
        });
      },
    },
    {
      method: 'GET',
      pattern: /^\/webhooks\/(\d+)\/([^/]+)\/messages\/(@original|\d+)$/,
      auth: false,
      handle: ([appId, interactionToken, id]) =>
        ok(messageJson(webhookMessage(interactionByToken(appId, interactionToken), id))),
    },
    {
      method: 'PATCH',
      pattern: /^\/webhooks\/(\d+)\/([^/]+)\/messages\/(@original|\d+)$/,
      auth: false,
      handle: ([appId, interactionToken, id], body) => {
        const interaction = interactionByToken(appId, interactionToken);
        const message = editMessage(webhookMessage(interaction, id), body);
        if (id === '@original') interaction.edits.push(body);
        return ok(messageJson(message));
      },
    },
    {
      method: 'POST',
      pattern: /^\/webhooks\/(\d+)\/([^/]+)$/,
      auth: false,
      handle: ([appId, interactionToken], body) => {
        const interaction = interactionByToken(appId, interactionToken);
        if (interaction.responses.length === 0)
          throw new DiscordError(404, RESTJSONErrorCodes.UnknownWebhook, 'Unknown Webhook');
        checkMessageBody(body, true);
        const message = createMessage(channels.get(interaction.channelId)!, bot.id, body, {
          interactionId: interaction.id,
        });
        interaction.followUps.push(message);
        dispatchMessage(GatewayDispatchEvents.MessageCreate, message);
        return ok(messageJson(message));
      },
    },
  ];

  function respond(interaction: InteractionState, body: Json): { type: InteractionResponseType } {
    const type = Number(body.type) as InteractionResponseType;
    const data = (body.data ?? {}) as Json;
    const channel = channels.get(interaction.channelId)!;
    const flags = Number(data.flags ?? 0) & (MessageFlags.Ephemeral | MessageFlags.SuppressEmbeds);
    switch (type) {
      case InteractionResponseType.ChannelMessageWithSource: {
        checkMessageBody(data, true);
        const message = createMessage(
          channel,
          bot.id,
          { ...data, flags, [UPLOADS]: uploadsOf(body) },
          { interactionId: interaction.id },
        );
        interaction.originalId = message.id;
        dispatchMessage(GatewayDispatchEvents.MessageCreate, message);
        break;
      }
      case InteractionResponseType.DeferredChannelMessageWithSource: {
        const message = createMessage(
          channel,
          bot.id,
          { flags: flags | MessageFlags.Loading },
          { interactionId: interaction.id },
        );
        interaction.originalId = message.id;
        dispatchMessage(GatewayDispatchEvents.MessageCreate, message);
        break;
      }
      case InteractionResponseType.Modal: {
        if (interaction.type === InteractionType.ModalSubmit)
          throw invalidForm({ type: fieldError('INTERACTION_RESPONSE_TYPE_INVALID', 'A modal cannot answer a modal') });
        interaction.modal = checkedModal(data);
        break;
      }
      default:
        throw invalidForm({
          type: fieldError('INTERACTION_RESPONSE_TYPE_INVALID', `Response type ${type} is not valid here`),
        });
    }
    interaction.responses.push({ type, data });
    return { type };
  }

  function addReaction(message: EmulatedMessage, userId: string, emoji: string): void {
    const who = message.reactions.get(emoji) ?? new Set<string>();
    if (who.has(userId)) return;
    who.add(userId);
    message.reactions.set(emoji, who);
    const intent = message.guildId ? GatewayIntentBits.GuildMessageReactions : GatewayIntentBits.DirectMessageReactions;
    dispatch(GatewayDispatchEvents.MessageReactionAdd, intent, () => ({
      user_id: userId,
      channel_id: message.channelId,
      message_id: message.id,
      ...(message.guildId ? { guild_id: message.guildId, member: memberJson(userId, true) } : {}),
      emoji: { id: null, name: emoji },
      message_author_id: message.authorId,
      burst: false,
      burst_colors: [],
      type: 0,
    }));
  }

  // Generous buckets: the headers are Discord's, the limits far above what a test sends.
  const buckets = new Map<string, { remaining: number; resetAt: number }>();
  function rateLimitHeaders(method: string, path: string): Record<string, string> {
    // Discord buckets a route per major parameter (the channel, server or webhook it acts on).
    const major = path.match(/^\/(?:channels|guilds|webhooks)\/(\d+)/)?.[1] ?? '';
    const route = `${method} ${path.replace(/\/\d{16,}/g, '/:id')} ${major}`;
    const now = Date.now();
    let bucket = buckets.get(route);
    if (!bucket || bucket.resetAt <= now)
      buckets.set(route, (bucket = { remaining: RATE_LIMIT.limit, resetAt: now + RATE_LIMIT.windowMs }));
    bucket.remaining = Math.max(0, bucket.remaining - 1);
    return {
      'x-ratelimit-limit': String(RATE_LIMIT.limit),
      'x-ratelimit-remaining': String(bucket.remaining),
      'x-ratelimit-reset': (bucket.resetAt / 1000).toFixed(3),
      'x-ratelimit-reset-after': ((bucket.resetAt - now) / 1000).toFixed(3),
      'x-ratelimit-bucket': Buffer.from(route).toString('hex').slice(0, 32),
    };
  }

  /** JSON, or multipart form data: `payload_json` with the files (`files[n]`) under UPLOADS. */
  async function readBody(request: IncomingMessage): Promise<unknown> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks);
    const type = request.headers['content-type'] ?? '';
    if (!type.startsWith('multipart/form-data')) return raw.length ? JSON.parse(raw.toString('utf8')) : {};
    const form = await new Response(raw, { headers: { 'content-type': type } }).formData();
    const payload = form.get('payload_json');
    const uploads: Upload[] = [];
    for (const [key, value] of form) {
      const index = /^files\[(\d+)\]$/.exec(key)?.[1];
      if (index === undefined || typeof value === 'string') continue;
      const data = Buffer.from(await value.arrayBuffer());
      uploads.push({ index: Number(index), filename: value.name, contentType: value.type, data });
    }
    return { ...(typeof payload === 'string' ? (JSON.parse(payload) as Json) : {}), [UPLOADS]: uploads };
  }

  async function serve(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://emulator');
    const method = request.method ?? 'GET';
    // Emoji and "@original" arrive percent-encoded in the path.
    const path = decodeURIComponent(
      url.pathname.startsWith(API_PREFIX) ? url.pathname.slice(API_PREFIX.length) : url.pathname,
    );
    const authorized = request.headers.authorization === `Bot ${token}`;
    const record: RecordedRestRequest = {
      method,
      path,
      query: Object.fromEntries(url.searchParams),
      body: null,
      authorized,
      status: 0,
    };
    const send = (status: number, body?: unknown) => {
      record.status = status;
      const headers: Record<string, string> = { ...rateLimitHeaders(method, path), 'x-ratelimit-scope': 'user' };
      if (body === undefined) {
        response.writeHead(status, headers).end();
      } else {
        const text = JSON.stringify(body);
        response
          .writeHead(status, {
            ...headers,
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(text),
          })
          .end(text);
      }
      requests.push(record);
      changed();
    };
    try {
      record.body = await readBody(request);
      if (!url.pathname.startsWith(API_PREFIX)) return send(404, { message: '404: Not Found', code: 0 });
      const matches = routes.filter((route) => route.pattern.test(path));
      const route = matches.find((r) => r.method === method);
      if (!route)
        return send(
          matches.length ? 405 : 404,
          matches.length ? { message: '405: Method Not Allowed', code: 0 } : { message: '404: Not Found', code: 0 },
        );
      if (route.auth && !authorized) return send(401, { message: '401: Unauthorized', code: 0 });
      const result = route.handle(path.match(route.pattern)!.slice(1), (record.body ?? {}) as Json, url.searchParams);
      send(result.status, result.body);
    } catch (error) {
      if (error instanceof DiscordError)
        return send(error.status, {
          message: error.message,
          code: error.code,
          ...(error.errors ? { errors: error.errors } : {}),
        });
      if (error instanceof SyntaxError) return send(400, { message: '400: Bad Request', code: 50109 });
      send(500, { message: '500: Internal Server Error', code: 0 });
    }
  }

  // --- people ----------------------------------------------------------------------------------

  function dmChannel(userId: string): EmulatedChannel {
    let id = dmChannels.get(userId);
    if (!id) {
      id = snowflake();
      channels.set(id, {
        id,
        type: ChannelType.DM,
        name: null,
        guildId: null,
        recipientId: userId,
        messages: new Map(),
      });
      dmChannels.set(userId, id);
    }
    return channels.get(id)!;
  }

  function requireMember(userId: string, needs: bigint, doing: string): void {
    if (!guild.members.has(userId)) throw new Error(`user ${userId} is not in the server`);
    if (!can(userId, needs)) throw new Error(`user ${userId} lacks the permissions to ${doing}`);
  }

  function newInteraction(type: InteractionType, userId: string, channelId: string): InteractionState {
    const state: InteractionState = {
      id: snowflake(),
      token: `aW50ZXJhY3Rpb24${snowflake()}${Math.random().toString(36).slice(2)}`,
      type,
      userId,
      channelId,
      createdAt: Date.now(),
      responses: [],
      edits: [],
      followUps: [],
      modal: null,
      originalId: null,
      original: () => (state.originalId ? findMessage(state.originalId) : undefined),
    };
    interactions.set(state.id, state);
    return state;
  }

  function dispatchInteraction(state: InteractionState, data: Json): void {
    const channel = channels.get(state.channelId)!;
    const user = users.get(state.userId)!;
    const inGuild = channel.guildId !== null;
    dispatch(GatewayDispatchEvents.InteractionCreate, 0, () => ({
      id: state.id,
      application_id: applicationId,
      type: state.type,
      data,
      ...(inGuild
        ? {
            guild_id: guild.id,
            guild: { id: guild.id, locale: 'en-US', features: [] },
            member: { ...memberJson(state.userId, true), permissions: permissionsOf(state.userId).toString() },
          }
        : { user: userJson(user) }),
      channel: channelJson(channel),
      channel_id: channel.id,
      token: state.token,
      version: 1,
      app_permissions: (inGuild ? permissionsOf(bot.id) : ALL_PERMISSIONS).toString(),
      locale: 'en-US',
      ...(inGuild ? { guild_locale: 'en-US' } : {}),
      entitlements: [],
      authorizing_integration_owners: { 0: guild.id },
      context: inGuild ? 0 : 1,
      attachment_size_limit: 10_485_760,
    }));
  }

  function registeredCommand(name: string, type: ApplicationCommandType, inGuild: boolean): RegisteredCommand {
    const visible = [...(inGuild ? (commands.guild.get(guild.id) ?? []) : []), ...commands.global];
    const command = visible.find((c) => c.name === name && c.type === type);
    if (!command)
      throw new Error(
        `no ${type === ApplicationCommandType.ChatInput ? `/${name}` : `"${name}"`} command is registered ${inGuild ? 'in the server or globally' : 'globally'}`,
      );
    return command;
  }

  function checkCommandAllowed(command: RegisteredCommand, userId: string): void {
    const needs = command.default_member_permissions ? BigInt(command.default_member_permissions) : 0n;
    if (needs && (permissionsOf(userId) & needs) !== needs)
      throw new Error(`Discord hides "${command.name}" from user ${userId} (default_member_permissions)`);
  }

  /** What the Discord client sends for filled-in options: definition order, typed, checked. */
  function commandOptions(command: RegisteredCommand, given: Record<string, string | number | boolean>): Json[] {
    const definitions = command.options ?? [];
    for (const name of Object.keys(given)) {
      if (!definitions.some((o) => o.name === name)) throw new Error(`/${command.name} has no option "${name}"`);
    }
    return definitions.flatMap((option) => {
      const value = given[option.name];
      if (value === undefined) {
        if (option.required) throw new Error(`/${command.name} needs the option "${option.name}"`);
        return [];
      }
      if (option.choices && !option.choices.some((choice) => choice.value === value))
        throw new Error(`"${value}" is not a choice of /${command.name} ${option.name}`);
      if (
        option.type === ApplicationCommandOptionType.String &&
        typeof value === 'string' &&
        option.max_length &&
        value.length > option.max_length
      ) {
        throw new Error(`/${command.name} ${option.name} takes at most ${option.max_length} characters`);
      }
      return [{ name: option.name, type: option.type, value }];
    });
  }

  /** The submitted modal as Discord sends it: each field in its label or row, with its value or values. */
  function submittedComponents(modal: ModalData, values: ModalValues): Json[] {
    const known = new Set(modalFields(modal.components).map((field) => String(field.custom_id)));
    for (const customId of Object.keys(values))
      if (!known.has(customId)) throw new Error(`the modal has no field "${customId}"`);
    const field = (component: Json): Json =>
      component.type === ComponentType.StringSelect ? picked(component, values) : typed(component, values);
    return modal.components.map((component) => {
      if (component.type === ComponentType.Label)
        return { type: ComponentType.Label, id: component.id, component: field(component.component as Json) };
      if (component.type === ComponentType.ActionRow)
        return {
          type: ComponentType.ActionRow,
          id: component.id,
          components: (component.components as Json[]).map(field),
        };
      return { type: component.type, id: component.id };
    });
  }

  // --- server ----------------------------------------------------------------------------------

  const server = createServer((request, response) => void serve(request, response));
  const wss = new WebSocketServer({ server });
  wss.on('connection', onConnection);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const apiUrl = `http://127.0.0.1:${port}/api`;
  const gatewayUrl = `ws://127.0.0.1:${port}`;

  return {
    apiUrl,
    gatewayUrl,
    token,
    applicationId,
    bot,
    guildId: guild.id,
    channelId: generalId,
    ownerId: owner.id,
    everyoneRoleId: guild.id,
    botRoleId,

    addRole: (name, permissions = 0n) => addRole(name, permissions),
    addMember(username, roles = []) {
      const user = addUser(username);
      join(user.id, roles);
      return user.id;
    },
    giveRole(userId, roleId) {
      guild.members.get(userId)!.roles.push(roleId);
    },
    takeRole(userId, roleId) {
      const member = guild.members.get(userId)!;
      member.roles = member.roles.filter((id) => id !== roleId);
    },
    addChannel,
    addThread(name, parentId = generalId) {
      const id = addThread(name, parentId);
      if (announceGuild)
        dispatch(GatewayDispatchEvents.ThreadCreate, GatewayIntentBits.Guilds, () => ({
          ...channelJson(channels.get(id)!),
          newly_created: true,
        }));
      return id;
    },
    setRolePermissions(roleId, permissions) {
      const role = guild.roles.get(roleId);
      if (!role) throw new Error(`no role ${roleId}`);
      role.permissions = permissions;
      if (announceGuild)
        dispatch(GatewayDispatchEvents.GuildRoleUpdate, GatewayIntentBits.Guilds, () => ({
          guild_id: guild.id,
          role: roleJson(role),
        }));
    },
    permissionsOf,

    send(userId, content, channelId = generalId) {
      const channel = channels.get(channelId)!;
      requireMember(userId, PermissionFlagsBits.ViewChannel | sendPermission(channel), 'send messages');
      const message = createMessage(channel, userId, { content });
      dispatchMessage(GatewayDispatchEvents.MessageCreate, message);
      return message;
    },
    dm(userId, content) {
      const message = createMessage(dmChannel(userId), userId, { content });
      dispatchMessage(GatewayDispatchEvents.MessageCreate, message);
      return message;
    },
    react(userId, messageId, emoji) {
      const message = findMessage(messageId);
      if (!message) throw new Error(`no message ${messageId}`);
      if (message.guildId)
        requireMember(userId, PermissionFlagsBits.ViewChannel | PermissionFlagsBits.ReadMessageHistory, 'react');
      if (message.guildId && !message.reactions.has(emoji) && !can(userId, PermissionFlagsBits.AddReactions))
        throw new Error(`user ${userId} cannot add new reactions`);
      addReaction(message, userId, emoji);
    },
    slash(userId, name, given = {}, channelId = generalId) {
      const channel = channels.get(channelId)!;
      if (channel.guildId) requireMember(userId, PermissionFlagsBits.UseApplicationCommands, 'use commands');
      const command = registeredCommand(name, ApplicationCommandType.ChatInput, channel.guildId !== null);
      checkCommandAllowed(command, userId);
      const state = newInteraction(InteractionType.ApplicationCommand, userId, channelId);
      const options = commandOptions(command, given);
      dispatchInteraction(state, {
        id: command.id,
        name,
        type: ApplicationCommandType.ChatInput,
        ...(options.length ? { options } : {}),
        ...(channel.guildId ? { guild_id: guild.id } : {}),
      });
      return state;
    },
    messageCommand(userId, name, messageId) {
      const message = findMessage(messageId);
      if (!message) throw new Error(`no message ${messageId}`);
      const inGuild = message.guildId !== null;
      if (inGuild) requireMember(userId, PermissionFlagsBits.UseApplicationCommands, 'use commands');
      const command = registeredCommand(name, ApplicationCommandType.Message, inGuild);
      checkCommandAllowed(command, userId);
      const state = newInteraction(InteractionType.ApplicationCommand, userId, message.channelId);
      dispatchInteraction(state, {
        id: command.id,
        name,
        type: ApplicationCommandType.Message,
        target_id: message.id,
        // A message command's target is shown to the app in full, Message Content or not.
        resolved: { messages: { [message.id]: messageJson(message) } },
        ...(inGuild ? { guild_id: guild.id } : {}),
      });
      return state;
    },
    submitModal(opened, values = {}) {
      if (!opened.modal) throw new Error('the bot opened no modal for this interaction');
      const state = newInteraction(InteractionType.ModalSubmit, opened.userId, opened.channelId);
      dispatchInteraction(state, {
        custom_id: opened.modal.custom_id,
        components: submittedComponents(opened.modal, values),
      });
      return state;
    },

    message: findMessage,
    messages: (channelId = generalId) => [...(channels.get(channelId)?.messages.values() ?? [])],
    dmChannelOf: (userId) => dmChannels.get(userId),
    commands: (guildId) => (guildId ? (commands.guild.get(guildId) ?? []) : commands.global),
    requests,
    typing,
    identifies,
    heartbeatAcks: () => heartbeatAcks,
    connectedSessions: () => [...sessions.values()].filter((s) => s.socket).length,
    dropConnections() {
      for (const session of sessions.values()) {
        session.socket?.terminate();
        session.socket = null;
      }
    },
    resumes: () => resumes,

    waitFor(probe, what = 'the expected state', timeoutMs = 5000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const value = probe();
          if (!value) return false;
          finish();
          resolve(value);
          return true;
        };
        const finish = () => {
          clearTimeout(timer);
          changes.off('change', onChange);
        };
        const onChange = () => void check();
        const timer = setTimeout(() => {
          finish();
          reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
        }, timeoutMs);
        changes.on('change', onChange);
        check();
      });
    },

    async close() {
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
