/**
 * A local Slack on 127.0.0.1 that an unmodified Bolt app works against, speaking Slack's own
 * protocols (https://docs.slack.dev):
 * - the Web API (`POST /api/{method}`, form or JSON bodies, `Authorization: Bearer` or a `token`
 *   field, answers `{ok: true, ...}` or `{ok: false, error}` with HTTP 200) for the methods the bot
 *   calls: auth.test, apps.connections.open, chat.postMessage/update/postEphemeral, files.getUploadURLExternal and
 *   files.completeUploadExternal with the upload URL between them (the files shared as a message; `missing_scope`
 *   without `files:write` in the manifest),
 *   reactions.add/remove, conversations.history/replies (metadata only with
 *   `include_all_metadata`; `not_in_channel` where the bot is no member), views.open (trigger ids
 *   expire after 3 s, used once; the view validated as Slack does: block types, at most 100 blocks,
 *   unique block_ids, input elements — plain_text_input, static_select with options of text and
 *   value — and their limits), usergroups.users.list (`plan_upgrade_required` on a free
 *   workspace; Tier 2: beyond 20 calls a minute, HTTP 429 with `Retry-After`);
 * - Socket Mode: `apps.connections.open` hands out a ws:// URL; the socket greets with `hello`,
 *   carries envelopes `{envelope_id, type: events_api|slash_commands|interactive, payload,
 *   accepts_response_payload}` and takes the app's acks `{envelope_id, payload?}`;
 * - HTTP mode: signed requests to the app's Request URL (`X-Slack-Signature: v0=HMAC-SHA256(
 *   "v0:{ts}:{body}")`, `X-Slack-Request-Timestamp`): events as JSON, slash commands and
 *   interactivity form-encoded (`payload=` JSON), the url_verification challenge;
 * - response URLs for slash commands and shortcuts.
 * Slack knows the app by its manifest: only the slash commands, message shortcuts and bot events it
 * declares reach the app, and events only from conversations the bot is a member of. An ack later
 * than the deadline (3 s) is a failure the user sees ("We had some trouble connecting"); the
 * emulator records it in `expiredAcks`.
 * The workspace holds users, channels, DMs with the bot, user groups and their messages. A test
 * acts as a user (posts, mentions, reacts, runs commands and shortcuts, fills in and submits modals:
 * the app gets `view.state.values[block_id][action_id]` with `type` and `value` or `selected_option`), which
 * delivers the events an app subscribed to, and reads everything the app sent.
 */
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parse as parseForm, stringify as encodeForm } from 'node:querystring';
import { setTimeout as sleep } from 'node:timers/promises';
import { WebSocketServer, type WebSocket } from 'ws';

/** Slack's limit for acknowledging an event, command or interaction. */
export const ACK_WINDOW_MS = 3000;
/** How long a trigger_id can open a modal. */
const TRIGGER_LIFETIME_MS = 3000;
/** Calls a minute the rate-limited methods allow (Tier 2: "20+ per minute"); more get HTTP 429 and `Retry-After`. */
const RATE_LIMITS: Readonly<Record<string, number>> = { 'usergroups.users.list': 20 };
const MINUTE_MS = 60_000;
/** Web API fields that the client sends JSON-encoded inside a form. */
const JSON_FIELDS = ['blocks', 'attachments', 'metadata', 'view'];

export interface SlackUser {
  id: string;
  name: string;
}

export interface StoredMessage {
  type: 'message';
  ts: string;
  user: string;
  text: string;
  team: string;
  bot_id?: string;
  app_id?: string;
  blocks?: unknown[];
  metadata?: { event_type: string; event_payload: Record<string, unknown> };
  /** Files shared with the message (files.completeUploadExternal); `upload` marks such a message. */
  files?: SharedFile[];
  upload?: boolean;
  thread_ts?: string;
  reply_count?: number;
  reactions?: { name: string; users: string[]; count: number }[];
  edited?: { user: string; ts: string };
}

/** A file as the Web API shows it, with the bytes uploaded for it. */
export interface SharedFile {
  id: string;
  name: string;
  title: string;
  mimetype: string;
  filetype: string;
  size: number;
  alt_txt?: string;
  user: string;
  data: Buffer;
}

export interface Channel {
  id: string;
  name: string;
  kind: 'channel' | 'im';
  members: Set<string>;
  messages: StoredMessage[];
}

export interface ApiCall {
  method: string;
  args: Record<string, unknown>;
  token: string | null;
  response: Record<string, unknown>;
}

/** What Slack saw of the app's acknowledgement. */
export interface Delivery {
  acked: boolean;
  ackMs: number;
  /** No ack within the deadline: Slack gave up, and the user saw "We had some trouble connecting". */
  expired?: boolean;
  /** HTTP mode: the response status. */
  status?: number;
  /** The ack's payload (a slash command's response, a modal's `response_action`). */
  payload?: Record<string, unknown>;
}

export interface ResponseUrlPost {
  url: string;
  body: Record<string, unknown>;
}

export interface OpenedView {
  id: string;
  user: string;
  view: Record<string, unknown>;
  closed: boolean;
}

export interface SignOptions {
  /** Seconds since the epoch; default now. */
  timestamp?: number;
  secret?: string;
}

type Kind = 'events_api' | 'slash_commands' | 'interactive';
type Result = Record<string, unknown> & { ok: boolean };

const fail = (error: string, extra: Record<string, unknown> = {}): Result => ({ ok: false, error, ...extra });

/** Orders Slack timestamps ("1764086400.000123") without float rounding. */
const tsKey = (ts: string) => {
  const [seconds, fraction = ''] = ts.split('.');
  return `${seconds.padStart(12, '0')}.${fraction.padEnd(6, '0')}`;
};

const asString = (value: unknown): string | undefined =>
  typeof value === 'string' && value !== '' ? value : typeof value === 'number' ? String(value) : undefined;
const isTrue = (value: unknown) => value === true || value === 'true' || value === '1' || value === 1;

function readBody(request: IncomingMessage): Promise<string> {
  return readBytes(request).then((bytes) => bytes.toString('utf8'));
}

function readBytes(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

function parseArgs(body: string, contentType: string): Record<string, unknown> {
  if (!body) return {};
  if (contentType.includes('application/json')) return JSON.parse(body) as Record<string, unknown>;
  const form = parseForm(body);
  const args: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(form)) {
    const text = Array.isArray(value) ? value[0] : value;
    args[key] = JSON_FIELDS.includes(key) && text ? JSON.parse(text) : text;
  }
  return args;
}

const TEXT_TYPES = ['plain_text', 'mrkdwn'];

function textErrors(where: string, text: unknown, max: number, types = TEXT_TYPES): string[] {
  const object = text as { type?: unknown; text?: unknown } | undefined;
  if (!object || !types.includes(String(object.type)) || typeof object.text !== 'string')
    return [`${where} must be a text object (${types.join(' or ')})`];
  if (object.text.length === 0 || object.text.length > max) return [`${where} must be 1 to ${max} characters`];
  return [];
}

/** Slack's limits on ids: a block_id or an action_id is at most 255 characters. */
const ID_MAX = 255;

function optionErrors(where: string, option: unknown): string[] {
  const { text, value } = (option ?? {}) as { text?: unknown; value?: unknown };
  const errors = textErrors(`${where}.text`, text, 75, ['plain_text']);
  if (typeof value !== 'string' || value.length === 0 || value.length > 150)
    errors.push(`${where}.value must be 1 to 150 characters`);
  return errors;
}

/** The elements an input block takes (of those this emulator knows), checked as Slack checks them. */
function inputElementErrors(at: string, element: Record<string, unknown> | undefined): string[] {
  const errors: string[] = [];
  if (typeof element?.action_id !== 'string' || element.action_id.length > ID_MAX)
    errors.push(`${at}.action_id is required (at most ${ID_MAX} characters)`);
  if (element?.placeholder !== undefined)
    errors.push(...textErrors(`${at}.placeholder`, element.placeholder, 150, ['plain_text']));
  switch (element?.type) {
    case 'plain_text_input': {
      const max = (element.max_length as number | undefined) ?? 3000;
      const min = (element.min_length as number | undefined) ?? 0;
      if (max < 1 || max > 3000) errors.push(`${at}.max_length must be 1 to 3000`);
      if (min < 0 || min > max) errors.push(`${at}.min_length must be 0 to max_length`);
      if (typeof element.initial_value === 'string' && element.initial_value.length > max)
        errors.push(`${at}.initial_value is longer than max_length`);
      return errors;
    }
    case 'static_select': {
      const options = element.options as unknown[] | undefined;
      if (!Array.isArray(options) || options.length === 0 || options.length > 100)
        return [...errors, `${at}.options must have 1 to 100 items`];
      options.forEach((option, i) => errors.push(...optionErrors(`${at}.options[${i}]`, option)));
      const values = options.map((option) => (option as { value?: unknown }).value);
      if (new Set(values).size !== values.length) errors.push(`${at}.options must have distinct values`);
      const initial = element.initial_option as { value?: unknown } | undefined;
      if (initial !== undefined && !values.includes(initial.value))
        errors.push(`${at}.initial_option must be one of the options`);
      return errors;
    }
    default:
      return [...errors, `${at}: unsupported element ${String(element?.type)}`];
  }
}

/** The checks Slack's block validation makes on the blocks this bot sends. */
function blockErrors(blocks: unknown, surface: 'message' | 'modal'): string[] {
  if (!Array.isArray(blocks)) return ['blocks must be an array'];
  if (blocks.length > (surface === 'message' ? 50 : 100)) return ['too many blocks'];
  const blockIds = new Set<string>();
  return blocks.flatMap((block: Record<string, unknown>, index) => {
    const at = `blocks[${index}]`;
    const id = block.block_id;
    if (id !== undefined) {
      if (typeof id !== 'string' || id.length === 0 || id.length > ID_MAX)
        return [`${at}.block_id must be 1 to ${ID_MAX} characters`];
      if (blockIds.has(id)) return [`${at}.block_id ${id} is used by another block`];
      blockIds.add(id);
    }
    switch (block.type) {
      case 'section': {
        const fields = block.fields as unknown[] | undefined;
        if (block.text === undefined && !fields) return [`${at} needs text or fields`];
        const errors = block.text === undefined ? [] : textErrors(`${at}.text`, block.text, 3000);
        if (fields && (fields.length === 0 || fields.length > 10)) errors.push(`${at}.fields must have 1 to 10 items`);
        (fields ?? []).forEach((field, i) => errors.push(...textErrors(`${at}.fields[${i}]`, field, 2000)));
        return errors;
      }
      case 'context': {
        const elements = block.elements as unknown[] | undefined;
        if (!Array.isArray(elements) || elements.length === 0 || elements.length > 10)
          return [`${at}.elements must have 1 to 10 items`];
        return elements.flatMap((element, i) => textErrors(`${at}.elements[${i}]`, element, 3000));
      }
      case 'header':
        return textErrors(`${at}.text`, block.text, 150, ['plain_text']);
      case 'divider':
        return [];
      case 'input': {
        if (surface !== 'modal') return [`${at}: input blocks belong in modals`];
        const errors = textErrors(`${at}.label`, block.label, 2000, ['plain_text']);
        if (block.hint !== undefined) errors.push(...textErrors(`${at}.hint`, block.hint, 2000, ['plain_text']));
        if (block.optional !== undefined && typeof block.optional !== 'boolean')
          errors.push(`${at}.optional must be a boolean`);
        return [...errors, ...inputElementErrors(`${at}.element`, block.element as Record<string, unknown>)];
      }
      default:
        return [`${at}: unknown block type ${String(block.type)}`];
    }
  });
}

/** An input block of an open view, as its submission reads it. */
interface InputBlock {
  block_id: string;
  optional?: boolean;
  element: {
    type: 'plain_text_input' | 'static_select';
    action_id: string;
    min_length?: number;
    max_length?: number;
    initial_value?: string;
    options?: { text: unknown; value: string }[];
    initial_option?: { text: unknown; value: string };
  };
}

/**
 * `view.state.values` as Slack sends it with a view_submission: every input block by its block_id, then its element's
 * action_id, with the element's `type` and `value` (text inputs; null when empty) or `selected_option` (selects; null
 * when none is picked). `typed` is what the user typed or picked (block_id -> action_id -> text or option value); an
 * input left alone keeps its initial value. What the user could not have done in Slack's client throws.
 */
function submittedState(view: Record<string, unknown>, typed: Record<string, Record<string, string>>) {
  const inputs = ((view.blocks ?? []) as { type?: string }[]).filter(
    (block): block is InputBlock & { type: 'input' } => block.type === 'input',
  );
  for (const [blockId, actions] of Object.entries(typed)) {
    const input = inputs.find((block) => block.block_id === blockId);
    if (!input) throw new Error(`the view has no input block ${blockId}`);
    const unknown = Object.keys(actions).find((action) => action !== input.element.action_id);
    if (unknown) throw new Error(`input block ${blockId} has no element ${unknown}`);
  }
  const state: Record<string, Record<string, Record<string, unknown>>> = {};
  for (const input of inputs) {
    const { element } = input;
    const given = typed[input.block_id]?.[element.action_id];
    const value =
      element.type === 'static_select' ? { selected_option: picked(input, given) } : { value: typedText(input, given) };
    const filled = element.type === 'static_select' ? value.selected_option !== null : value.value !== null;
    if (!filled && !input.optional) throw new Error(`input block ${input.block_id} is required: Slack will not submit`);
    state[input.block_id] = { [element.action_id]: { type: element.type, ...value } };
  }
  return state;
}

function picked(input: InputBlock, given: string | undefined) {
  const { options = [], initial_option } = input.element;
  if (given === undefined) return initial_option ?? null;
  const option = options.find((candidate) => candidate.value === given);
  if (!option) throw new Error(`input block ${input.block_id} offers no option ${given}`);
  return option;
}

function typedText(input: InputBlock, given: string | undefined): string | null {
  const text = given ?? input.element.initial_value ?? '';
  const { min_length: min = 0, max_length: max = 3000 } = input.element;
  if (text.length > max) throw new Error(`input block ${input.block_id} takes at most ${max} characters`);
  if (text.length > 0 && text.length < min)
    throw new Error(`input block ${input.block_id} needs at least ${min} characters`);
  return text === '' ? null : text;
}

function metadataError(metadata: unknown): string | undefined {
  if (metadata === undefined) return undefined;
  const value = metadata as { event_type?: unknown; event_payload?: unknown };
  if (typeof value.event_type !== 'string' || !value.event_payload || typeof value.event_payload !== 'object')
    return 'invalid_metadata_format';
  return undefined;
}

/** What an app's manifest declares, and so all that Slack delivers to it. */
export interface AppDeclarations {
  /** Slash commands ("/weather"): Slack answers any other with "/x is not a valid command" and sends nothing. */
  commands: Set<string>;
  /** Message shortcuts' callback ids: only these show in a message's menu. */
  shortcuts: Set<string>;
  /** Bot events ("app_mention", "message.im"). */
  botEvents: Set<string>;
  /** The bot token's scopes ("chat:write", "files:write"). */
  scopes: Set<string>;
}

/** Reads the declarations of a manifest written as docs/slack-manifest.yml is. */
export function readManifest(manifest: string): AppDeclarations {
  const all = (text: string, pattern: RegExp) => new Set([...text.matchAll(pattern)].map((match) => match[1]));
  const botEvents = manifest.match(/^\s*bot_events:\n((?:[ \t]+- [\w.]+[ \t]*\n)+)/m)?.[1] ?? '';
  const scopes = manifest.match(/^\s*scopes:\n\s*bot:\n((?:[ \t]+- [\w.:]+[ \t]*\n)+)/m)?.[1] ?? '';
  return {
    commands: all(manifest, /^\s*- command: (\/[\w-]+)\s*$/gm),
    shortcuts: all(manifest, /^\s*callback_id: (\S+)\s*$/gm),
    botEvents: all(botEvents, /- ([\w.]+)/g),
    scopes: all(scopes, /- ([\w.:]+)/g),
  };
}

const MIME_TYPES: Record<string, string> = { png: 'image/png', jpg: 'image/jpeg', svg: 'image/svg+xml' };

export type SlackEmulator = Awaited<ReturnType<typeof startSlackEmulator>>;

export interface SlackEmulatorOptions {
  /** The app's manifest (YAML): Slack delivers only the slash commands, shortcuts and bot events it declares. */
  manifest: string;
  /** How long the app has to acknowledge a request: Slack allows 3 s; tests shorten it to stay fast. */
  ackWindowMs?: number;
  /** A free workspace: user groups need a paid plan, so usergroups.users.list answers `plan_upgrade_required`. */
  freePlan?: boolean;
  /** The window the rate limits count calls in: a minute on Slack. */
  rateLimitWindowMs?: number;
}

/** An ack Slack gave up waiting for. */
export interface ExpiredAck {
  kind: Kind;
  /** The payload's type: "view_submission", "message_action", "event_callback", or the slash command. */
  type: string;
  /** When the ack came after all (Socket Mode), how long after the request. */
  lateAckMs?: number;
}

export async function startSlackEmulator(options: SlackEmulatorOptions) {
  const team = { id: 'T0WEATHER', domain: 'weatherbot-test', name: 'WeatherBot Test' };
  const app = { id: 'A0WEATHER' };
  const bot: SlackUser & { botId: string } = { id: 'U0BOT', name: 'weatherbot', botId: 'B0BOT' };
  const botToken = `xoxb-1-${randomBytes(12).toString('hex')}`;
  const appToken = `xapp-1-${app.id}-${randomBytes(12).toString('hex')}`;
  const signingSecret = randomBytes(16).toString('hex');
  const verificationToken = randomBytes(12).toString('hex');
  const declared = readManifest(options.manifest);
  const ackWindowMs = options.ackWindowMs ?? ACK_WINDOW_MS;
  const rateLimitWindowMs = options.rateLimitWindowMs ?? MINUTE_MS;

  const users = new Map<string, SlackUser>([[bot.id, bot]]);
  const channels = new Map<string, Channel>();
  const userGroups = new Map<string, { handle: string; members: string[] }>();
  const triggers = new Map<string, { issued: number; used: boolean; user: string }>();
  const views = new Map<string, OpenedView>();
  /** Files announced by files.getUploadURLExternal, by id, until completed; `data` once sent to the upload URL. */
  const uploads = new Map<string, { name: string; length: number; altText?: string; data: Buffer | null }>();
  const calls: ApiCall[] = [];
  const responses: ResponseUrlPost[] = [];
  const failures: { method: string; error: string }[] = [];
  const expiredAcks: ExpiredAck[] = [];
  /** When each rate-limited method was last called, within its window. */
  const recentCalls = new Map<string, number[]>();
  const latencies = new Map<string, number>();
  const changes = new EventEmitter();
  changes.setMaxListeners(100);
  let requestUrl: string | null = null;
  let counter = 0;
  const seconds = Math.floor(Date.now() / 1000);
  const nextTs = () => `${seconds}.${String(++counter).padStart(6, '0')}`;
  const nextId = (prefix: string) => `${prefix}${String(++counter).padStart(8, '0')}`;

  const general: Channel = {
    id: 'C0GENERAL',
    name: 'general',
    kind: 'channel',
    members: new Set([bot.id]),
    messages: [],
  };
  channels.set(general.id, general);

  // -------------------------------------------------------------------------------------------
  // Workspace

  function addUser(name: string): SlackUser {
    const user = { id: nextId('U'), name };
    users.set(user.id, user);
    general.members.add(user.id);
    return user;
  }

  function addChannel(name: string, botMember = true): Channel {
    const channel: Channel = {
      id: nextId('C'),
      name,
      kind: 'channel',
      members: new Set([...users.keys()].filter((id) => id !== bot.id || botMember)),
      messages: [],
    };
    channels.set(channel.id, channel);
    return channel;
  }

  /** The direct-message channel between a user and the bot. */
  function dm(user: SlackUser | string): Channel {
    const userId = typeof user === 'string' ? user : user.id;
    const id = `D${userId.slice(1)}`;
    let channel = channels.get(id);
    if (!channel) {
      channel = { id, name: userId, kind: 'im', members: new Set([userId, bot.id]), messages: [] };
      channels.set(id, channel);
    }
    return channel;
  }

  function addUserGroup(handle: string, members: SlackUser[]): string {
    const id = nextId('S');
    userGroups.set(id, { handle, members: members.map((member) => member.id) });
    return id;
  }

  function findMessage(channel: Channel, ts: string): StoredMessage | undefined {
    return channel.messages.find((message) => message.ts === ts);
  }

  function store(channel: Channel, message: StoredMessage) {
    channel.messages.push(message);
    if (message.thread_ts && message.thread_ts !== message.ts) {
      const parent = findMessage(channel, message.thread_ts);
      if (parent) {
        parent.thread_ts = parent.ts;
        parent.reply_count = (parent.reply_count ?? 0) + 1;
      }
    }
    changes.emit('change');
  }

  /** A message as the Web API returns it: metadata only when asked for. */
  function shown(message: StoredMessage, withMetadata: boolean) {
    const { metadata, ...rest } = message;
    return withMetadata && metadata
      ? { ...structuredClone(rest), metadata: structuredClone(metadata) }
      : structuredClone(rest);
  }

  // -------------------------------------------------------------------------------------------
  // Delivery to the app: Socket Mode or signed HTTP requests

  const sockets = new Set<WebSocket>();
  const tickets = new Set<string>();
  const pendingAcks = new Map<string, { socket: WebSocket; settle: (ack: Record<string, unknown> | null) => void }>();
  const background = new Set<Promise<unknown>>();

  function sign(body: string, timestamp: number, secret: string): string {
    return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
  }

  /** A raw signed POST to the app's Request URL, the way Slack sends every request. */
  async function sendSigned(
    body: string,
    contentType: string,
    sign_: SignOptions = {},
  ): Promise<{ status: number; body: string }> {
    if (!requestUrl) throw new Error('no Request URL set: call deliverTo(url) first');
    const timestamp = sign_.timestamp ?? Math.floor(Date.now() / 1000);
    const response = await fetch(requestUrl, {
      method: 'POST',
      headers: {
        'content-type': contentType,
        'x-slack-request-timestamp': String(timestamp),
        'x-slack-signature': sign(body, timestamp, sign_.secret ?? signingSecret),
        'user-agent': 'Slackbot 1.0 (+https://api.slack.com/robots)',
      },
      body,
      signal: AbortSignal.timeout(ackWindowMs),
    });
    return { status: response.status, body: await response.text() };
  }

  async function deliverHttp(kind: Kind, payload: Record<string, unknown>): Promise<Delivery> {
    const [body, contentType] =
      kind === 'events_api'
        ? [JSON.stringify(payload), 'application/json']
        : kind === 'slash_commands'
          ? [encodeForm(payload as Record<string, string>), 'application/x-www-form-urlencoded']
          : [encodeForm({ payload: JSON.stringify(payload) }), 'application/x-www-form-urlencoded'];
    const started = Date.now();
    try {
      const response = await sendSigned(body, contentType);
      const parsed = response.body.trim().startsWith('{')
        ? (JSON.parse(response.body) as Record<string, unknown>)
        : undefined;
      return { acked: response.status === 200, ackMs: Date.now() - started, status: response.status, payload: parsed };
    } catch (error) {
      const expired = (error as Error).name === 'TimeoutError';
      if (expired) expiredAcks.push({ kind, type: typeOf(kind, payload) });
      return { acked: false, ackMs: Date.now() - started, ...(expired ? { expired } : {}) };
    }
  }

  /** What a request is, as the expired acks name it. */
  function typeOf(kind: Kind, payload: Record<string, unknown>): string {
    if (kind === 'events_api') return String((payload.event as { type?: unknown } | undefined)?.type);
    return String(kind === 'slash_commands' ? payload.command : payload.type);
  }

  function deliverSocket(kind: Kind, payload: Record<string, unknown>): Promise<Delivery> {
    const connected = [...sockets].at(-1);
    if (!connected) return Promise.reject(new Error('no app is connected in Socket Mode'));
    const socket: WebSocket = connected;
    const envelopeId = randomUUID();
    const envelope = {
      envelope_id: envelopeId,
      type: kind,
      payload,
      accepts_response_payload: kind === 'slash_commands' || payload.type === 'view_submission',
      ...(kind === 'events_api' ? { retry_attempt: 0, retry_reason: '' } : {}),
    };
    const started = Date.now();
    return new Promise((resolve) => {
      const timer = setTimeout(() => expire(), ackWindowMs);
      function expire() {
        const expired: ExpiredAck = { kind, type: typeOf(kind, payload) };
        expiredAcks.push(expired);
        // Slack has given up; an ack that still comes is only noted.
        pendingAcks.set(envelopeId, {
          socket,
          settle: (ack) => {
            pendingAcks.delete(envelopeId);
            if (ack) expired.lateAckMs = Date.now() - started;
          },
        });
        resolve({ acked: false, ackMs: Date.now() - started, expired: true });
      }
      function settle(ack: Record<string, unknown> | null) {
        clearTimeout(timer);
        pendingAcks.delete(envelopeId);
        const response = ack?.payload as Record<string, unknown> | undefined;
        resolve({
          acked: ack !== null,
          ackMs: Date.now() - started,
          payload: response && Object.keys(response).length ? response : undefined,
        });
      }
      pendingAcks.set(envelopeId, { socket, settle });
      socket.send(JSON.stringify(envelope));
    });
  }

  function deliver(kind: Kind, payload: Record<string, unknown>): Promise<Delivery> {
    const delivery = requestUrl ? deliverHttp(kind, payload) : deliverSocket(kind, payload);
    return delivery.finally(() => changes.emit('change'));
  }

  function eventPayload(event: Record<string, unknown>): Record<string, unknown> {
    return {
      token: verificationToken,
      team_id: team.id,
      context_team_id: team.id,
      context_enterprise_id: null,
      api_app_id: app.id,
      event: { ...event, event_ts: event.event_ts ?? nextTs() },
      type: 'event_callback',
      event_id: nextId('Ev'),
      event_time: Math.floor(Date.now() / 1000),
      authorizations: [
        { enterprise_id: null, team_id: team.id, user_id: bot.id, is_bot: true, is_enterprise_install: false },
      ],
      is_ext_shared_channel: false,
      event_context: `4-${randomBytes(8).toString('hex')}`,
    };
  }

  /**
   * Delivers an event if the app subscribed to it and its bot is in the conversation it happened in; undefined when
   * not: Slack tells an app nothing of conversations its bot is not a member of.
   */
  function deliverEvent(
    subscription: string,
    channel: Channel,
    event: Record<string, unknown>,
  ): Promise<Delivery> | undefined {
    if (!declared.botEvents.has(subscription) || !channel.members.has(bot.id)) return undefined;
    return deliver('events_api', eventPayload(event));
  }

  /** Events caused by the app's own calls reach it too, as on Slack; nobody awaits them. */
  function deliverInBackground(subscription: string, channel: Channel, event: Record<string, unknown>) {
    if (!requestUrl && sockets.size === 0) return;
    const delivery = deliverEvent(subscription, channel, event)?.catch(() => undefined);
    if (!delivery) return;
    background.add(delivery);
    void delivery.finally(() => background.delete(delivery));
  }

  function messageSubscription(channel: Channel) {
    return channel.kind === 'im' ? 'message.im' : 'message.channels';
  }

  function messageEvent(channel: Channel, message: StoredMessage): Record<string, unknown> {
    return { ...shown(message, false), channel: channel.id, channel_type: channel.kind, event_ts: message.ts };
  }

  // -------------------------------------------------------------------------------------------
  // The Web API

  const authenticate = (token: string | null, kind: 'bot' | 'app'): string | undefined => {
    if (!token) return 'not_authed';
    if (token !== botToken && token !== appToken) return 'invalid_auth';
    if ((kind === 'app') !== (token === appToken)) return 'not_allowed_token_type';
    return undefined;
  };

  const botMessage = (args: Record<string, unknown>, ts: string): StoredMessage => ({
    type: 'message',
    ts,
    user: bot.id,
    bot_id: bot.botId,
    app_id: app.id,
    team: team.id,
    text: asString(args.text) ?? '',
    ...(args.blocks ? { blocks: args.blocks as unknown[] } : {}),
    ...(args.metadata ? { metadata: args.metadata as StoredMessage['metadata'] } : {}),
    ...(asString(args.thread_ts) ? { thread_ts: asString(args.thread_ts) } : {}),
  });

  /** Checks shared by chat.postMessage, chat.update and chat.postEphemeral. */
  function messageArgsError(args: Record<string, unknown>): Result | undefined {
    if (!asString(args.text) && !args.blocks) return fail('no_text');
    if (args.blocks) {
      const errors = blockErrors(args.blocks, 'message');
      if (errors.length)
        return fail('invalid_blocks', { errors, response_metadata: { messages: errors.map((e) => `[ERROR] ${e}`) } });
    }
    const metadata = metadataError(args.metadata);
    if (metadata) return fail(metadata);
    return undefined;
  }

  /** The message `args[tsArg]` names in the conversation `args.channel`, or the API's error. */
  function messageFor(
    args: Record<string, unknown>,
    tsArg: 'ts' | 'timestamp',
    notFound = 'message_not_found',
  ): { channel: Channel; message: StoredMessage } | Result {
    const channel = conversationFor(args);
    if (isResult(channel)) return channel;
    const message = findMessage(channel, asString(args[tsArg]) ?? '');
    return message ? { channel, message } : fail(notFound);
  }

  function conversationFor(args: Record<string, unknown>, needBot = true): Channel | Result {
    const id = asString(args.channel);
    if (!id) return fail('channel_not_found');
    const channel = id.startsWith('U') && users.has(id) ? dm(id) : channels.get(id);
    if (!channel) return fail('channel_not_found');
    if (needBot && !channel.members.has(bot.id)) return fail('not_in_channel');
    return channel;
  }
  const isResult = <T extends object>(value: T | Result): value is Result => 'ok' in value;

  const methods: Record<
    string,
    { token: 'bot' | 'app'; scope?: string; run: (args: Record<string, unknown>) => Result }
  > = {
    'files.getUploadURLExternal': {
      token: 'bot',
      scope: 'files:write',
      run: (args) => {
        const name = asString(args.filename);
        const length = Number(args.length);
        if (!name || !Number.isInteger(length) || length < 1) return fail('invalid_arguments');
        const id = `F${randomBytes(5).toString('hex').toUpperCase()}`;
        uploads.set(id, { name, length, altText: asString(args.alt_text) ?? undefined, data: null });
        return { ok: true, upload_url: `http://127.0.0.1:${port}/upload/v1/${id}`, file_id: id };
      },
    },
    'files.completeUploadExternal': {
      token: 'bot',
      scope: 'files:write',
      run: (args) => {
        let listed: Array<{ id?: unknown; title?: unknown }>;
        try {
          listed = JSON.parse(asString(args.files) ?? '') as typeof listed;
        } catch {
          return fail('invalid_arguments');
        }
        if (!Array.isArray(listed) || listed.length === 0) return fail('invalid_arguments');
        const files: SharedFile[] = [];
        for (const { id, title } of listed) {
          const upload = uploads.get(String(id));
          if (!upload?.data) return fail('file_not_found');
          if (upload.data.length !== upload.length) return fail('file_upload_size_mismatch');
          const filetype = upload.name.split('.').pop()?.toLowerCase() ?? 'binary';
          files.push({
            id: String(id),
            name: upload.name,
            title: asString(title) ?? upload.name,
            mimetype: MIME_TYPES[filetype] ?? 'application/octet-stream',
            filetype,
            size: upload.length,
            ...(upload.altText ? { alt_txt: upload.altText } : {}),
            user: bot.id,
            data: upload.data,
          });
        }
        if (args.channel_id !== undefined) {
          const channel = conversationFor({ channel: args.channel_id });
          if (isResult(channel)) return channel;
          const message: StoredMessage = {
            ...botMessage({ text: args.initial_comment ?? '', thread_ts: args.thread_ts }, nextTs()),
            files,
            upload: true,
          };
          store(channel, message);
          deliverInBackground(messageSubscription(channel), channel, messageEvent(channel, message));
        }
        for (const file of files) uploads.delete(file.id);
        return { ok: true, files: files.map(({ data: _data, ...file }) => file) };
      },
    },
    'auth.test': {
      token: 'bot',
      run: () => ({
        ok: true,
        url: `https://${team.domain}.slack.com/`,
        team: team.name,
        user: bot.name,
        team_id: team.id,
        user_id: bot.id,
        bot_id: bot.botId,
        is_enterprise_install: false,
      }),
    },
    'apps.connections.open': {
      token: 'app',
      run: () => {
        const ticket = randomUUID();
        tickets.add(ticket);
        return { ok: true, url: `ws://127.0.0.1:${port}/link/?ticket=${ticket}&app_id=${app.id}` };
      },
    },
    'chat.postMessage': {
      token: 'bot',
      run: (args) => {
        const channel = conversationFor(args);
        if (isResult(channel)) return channel;
        const invalid = messageArgsError(args);
        if (invalid) return invalid;
        const message = botMessage(args, nextTs());
        store(channel, message);
        deliverInBackground(messageSubscription(channel), channel, messageEvent(channel, message));
        return { ok: true, channel: channel.id, ts: message.ts, message: shown(message, true) };
      },
    },
    'chat.update': {
      token: 'bot',
      run: (args) => {
        const found = messageFor(args, 'ts');
        if (isResult(found)) return found;
        const { channel, message } = found;
        if (message.bot_id !== bot.botId) return fail('cant_update_message');
        const invalid = messageArgsError(args);
        if (invalid) return invalid;
        const previous = shown(message, false);
        if (args.text !== undefined) message.text = asString(args.text) ?? '';
        if (args.blocks !== undefined) message.blocks = args.blocks as unknown[];
        if (args.metadata !== undefined) message.metadata = args.metadata as StoredMessage['metadata'];
        message.edited = { user: bot.id, ts: nextTs() };
        changes.emit('change');
        deliverInBackground(messageSubscription(channel), channel, {
          type: 'message',
          subtype: 'message_changed',
          hidden: true,
          channel: channel.id,
          channel_type: channel.kind,
          message: shown(message, false),
          previous_message: previous,
          ts: message.edited.ts,
          event_ts: message.edited.ts,
        });
        return { ok: true, channel: channel.id, ts: message.ts, text: message.text, message: shown(message, true) };
      },
    },
    'chat.postEphemeral': {
      token: 'bot',
      run: (args) => {
        const channel = conversationFor(args);
        if (isResult(channel)) return channel;
        if (!channel.members.has(asString(args.user) ?? '')) return fail('user_not_in_channel');
        const invalid = messageArgsError(args);
        return invalid ?? { ok: true, message_ts: nextTs() };
      },
    },
    'reactions.add': {
      token: 'bot',
      run: (args) => {
        const found = messageFor(args, 'timestamp');
        if (isResult(found)) return found;
        const { channel, message } = found;
        const name = asString(args.name);
        if (!name || !/^[a-z0-9_+'-]+$/.test(name)) return fail('invalid_name');
        const error = react(message, bot.id, name);
        if (error) return fail(error);
        deliverInBackground('reaction_added', channel, {
          type: 'reaction_added',
          user: bot.id,
          reaction: name,
          item: { type: 'message', channel: channel.id, ts: message.ts },
          item_user: message.user,
        });
        return { ok: true };
      },
    },
    'reactions.remove': {
      token: 'bot',
      run: (args) => {
        const found = messageFor(args, 'timestamp');
        if (isResult(found)) return found;
        const { message } = found;
        const reaction = message.reactions?.find((r) => r.name === args.name && r.users.includes(bot.id));
        if (!reaction) return fail('no_reaction');
        reaction.users = reaction.users.filter((user) => user !== bot.id);
        reaction.count = reaction.users.length;
        message.reactions = message.reactions!.filter((r) => r.count > 0);
        changes.emit('change');
        return { ok: true };
      },
    },
    'conversations.history': {
      token: 'bot',
      run: (args) => {
        const channel = conversationFor(args);
        if (isResult(channel)) return channel;
        const inclusive = isTrue(args.inclusive);
        const latest = asString(args.latest);
        const oldest = asString(args.oldest);
        const limit = Number(args.limit ?? 100);
        const inRange = (ts: string) =>
          (!latest || (inclusive ? tsKey(ts) <= tsKey(latest) : tsKey(ts) < tsKey(latest))) &&
          (!oldest || (inclusive ? tsKey(ts) >= tsKey(oldest) : tsKey(ts) > tsKey(oldest)));
        const top = channel.messages
          .filter((m) => (!m.thread_ts || m.thread_ts === m.ts) && inRange(m.ts))
          .sort((a, b) => (tsKey(a.ts) < tsKey(b.ts) ? 1 : -1));
        return {
          ok: true,
          messages: top.slice(0, limit).map((m) => shown(m, isTrue(args.include_all_metadata))),
          has_more: top.length > limit,
          pin_count: 0,
        };
      },
    },
    'conversations.replies': {
      token: 'bot',
      run: (args) => {
        const found = messageFor(args, 'ts', 'thread_not_found');
        if (isResult(found)) return found;
        const { channel, message } = found;
        const parentTs = message.thread_ts ?? message.ts;
        const thread = channel.messages
          .filter((m) => m.ts === parentTs || m.thread_ts === parentTs)
          .sort((a, b) => (tsKey(a.ts) < tsKey(b.ts) ? -1 : 1));
        return { ok: true, messages: thread.map((m) => shown(m, isTrue(args.include_all_metadata))), has_more: false };
      },
    },
    'views.open': {
      token: 'bot',
      run: (args) => {
        const trigger = triggers.get(asString(args.trigger_id) ?? '');
        if (!trigger) return fail('invalid_trigger_id');
        if (trigger.used) return fail('exchanged_trigger_id');
        if (Date.now() - trigger.issued > TRIGGER_LIFETIME_MS) return fail('expired_trigger_id');
        const view = args.view as Record<string, unknown> | undefined;
        const errors = view ? viewErrors(view) : ['view is required'];
        if (errors.length)
          return fail('invalid_arguments', { response_metadata: { messages: errors.map((e) => `[ERROR] ${e}`) } });
        trigger.used = true;
        const id = nextId('V');
        const opened = {
          ...view!,
          id,
          team_id: team.id,
          state: { values: {} },
          hash: `${seconds}.${randomBytes(4).toString('hex')}`,
          root_view_id: id,
          app_id: app.id,
          bot_id: bot.botId,
          app_installed_team_id: team.id,
        };
        views.set(id, { id, user: trigger.user, view: opened, closed: false });
        changes.emit('change');
        return { ok: true, view: opened };
      },
    },
    'usergroups.users.list': {
      token: 'bot',
      run: (args) => {
        if (options.freePlan) return fail('plan_upgrade_required');
        const group = userGroups.get(asString(args.usergroup) ?? '');
        return group ? { ok: true, users: [...group.members] } : fail('no_such_subteam');
      },
    },
  };

  function viewErrors(view: Record<string, unknown>): string[] {
    const errors: string[] = [];
    if (view.type !== 'modal') errors.push('view.type must be modal');
    errors.push(...textErrors('view.title', view.title, 24, ['plain_text']));
    if (view.submit !== undefined) errors.push(...textErrors('view.submit', view.submit, 24, ['plain_text']));
    if (view.close !== undefined) errors.push(...textErrors('view.close', view.close, 24, ['plain_text']));
    if (typeof view.private_metadata === 'string' && view.private_metadata.length > 3000)
      errors.push('view.private_metadata is longer than 3000 characters');
    if (typeof view.callback_id === 'string' && view.callback_id.length > 255)
      errors.push('view.callback_id is longer than 255 characters');
    errors.push(...blockErrors(view.blocks, 'modal'));
    const hasInput =
      Array.isArray(view.blocks) && view.blocks.some((block: { type?: string }) => block.type === 'input');
    if (hasInput && view.submit === undefined) errors.push('view.submit is required with input blocks');
    return errors;
  }

  function react(message: StoredMessage, userId: string, name: string): string | undefined {
    message.reactions ??= [];
    let reaction = message.reactions.find((r) => r.name === name);
    if (!reaction) message.reactions.push((reaction = { name, users: [], count: 0 }));
    if (reaction.users.includes(userId)) return 'already_reacted';
    reaction.users.push(userId);
    reaction.count = reaction.users.length;
    changes.emit('change');
    return undefined;
  }

  async function handleApi(method: string, request: IncomingMessage, response: ServerResponse) {
    const raw = await readBody(request);
    let args: Record<string, unknown>;
    try {
      args = parseArgs(raw, String(request.headers['content-type'] ?? ''));
    } catch {
      return send(response, 200, fail('invalid_form_data'));
    }
    const bearer = String(request.headers.authorization ?? '').match(/^Bearer (.+)$/)?.[1];
    const token = bearer ?? asString(args.token) ?? null;
    const entry = methods[method];
    await sleep(latencies.get(method) ?? 0);
    let result: Result;
    let retryAfter: number | undefined;
    const failure = failures.findIndex((f) => f.method === method);
    if (!entry) result = fail('unknown_method');
    else if (authenticate(token, entry.token)) result = fail(authenticate(token, entry.token)!);
    else if (entry.scope && !declared.scopes.has(entry.scope))
      result = fail('missing_scope', { needed: entry.scope, provided: [...declared.scopes].join(',') });
    else if ((retryAfter = rateLimited(method)) !== undefined) result = fail('ratelimited');
    else if (failure >= 0) result = fail(failures.splice(failure, 1)[0].error);
    else result = entry.run(args);
    calls.push({ method, args, token, response: result });
    changes.emit('change');
    if (retryAfter === undefined) send(response, 200, result);
    else send(response, 429, result, { 'retry-after': String(retryAfter) });
  }

  /** Seconds until a rate-limited method may be called again when this call is one too many; else counts the call. */
  function rateLimited(method: string): number | undefined {
    const limit = RATE_LIMITS[method];
    if (limit === undefined) return undefined;
    const now = Date.now();
    const recent = (recentCalls.get(method) ?? []).filter((at) => at > now - rateLimitWindowMs);
    recentCalls.set(method, recent);
    if (recent.length < limit) {
      recent.push(now);
      return undefined;
    }
    return Math.max(1, Math.ceil((recent[0] + rateLimitWindowMs - now) / 1000));
  }

  /** An upload URL: the file's bytes, as the body of a POST (raw, or the one file of a multipart form). */
  async function handleUpload(path: string, request: IncomingMessage, response: ServerResponse) {
    const upload = uploads.get(path.split('/').pop() ?? '');
    if (!upload || upload.data) return send(response, 404, { ok: false, error: 'not_found' });
    const raw = await readBytes(request);
    const type = String(request.headers['content-type'] ?? '');
    if (type.startsWith('multipart/form-data')) {
      const form = await new Response(raw, { headers: { 'content-type': type } }).formData();
      const file = [...form.values()].find((value) => typeof value !== 'string');
      upload.data = typeof file === 'object' ? Buffer.from(await file.arrayBuffer()) : Buffer.alloc(0);
    } else {
      upload.data = raw;
    }
    response.writeHead(200, { 'content-type': 'text/plain' }).end(`OK - ${upload.data.length}`);
  }

  async function handleResponseUrl(url: string, request: IncomingMessage, response: ServerResponse) {
    const body = JSON.parse((await readBody(request)) || '{}') as Record<string, unknown>;
    const channelId = url.split('/')[2];
    responses.push({ url, body });
    if (body.response_type === 'in_channel' && channels.has(channelId)) {
      store(channels.get(channelId)!, botMessage(body, nextTs()));
    }
    changes.emit('change');
    send(response, 200, { ok: true });
  }

  function send(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
    const text = JSON.stringify(body);
    response.writeHead(status, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(text),
      ...headers,
    });
    response.end(text);
  }

  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://slack.local');
    const apiMethod = url.pathname.match(/^\/api\/([\w.]+)$/)?.[1];
    const handled = apiMethod
      ? handleApi(apiMethod, request, response)
      : url.pathname.startsWith('/respond/') && request.method === 'POST'
        ? handleResponseUrl(url.pathname, request, response)
        : url.pathname.startsWith('/upload/v1/') && request.method === 'POST'
          ? handleUpload(url.pathname, request, response)
          : Promise.resolve(send(response, 404, { ok: false, error: 'not_found' }));
    handled.catch((error: unknown) => send(response, 500, { ok: false, error: String(error) }));
  });

  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (request, socket, head) => {
    const url = new URL(request.url ?? '/', 'http://slack.local');
    const ticket = url.searchParams.get('ticket') ?? '';
    if (url.pathname !== '/link/' || !tickets.delete(ticket)) {
      socket.end('HTTP/1.1 401 Unauthorized\r\n\r\n');
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws) => {
      sockets.add(ws);
      ws.on('close', () => {
        sockets.delete(ws);
        // What was in flight on a closed connection will never be acked.
        for (const pending of [...pendingAcks.values()]) if (pending.socket === ws) pending.settle(null);
      });
      ws.on('message', (data) => {
        let ack: Record<string, unknown>;
        try {
          ack = JSON.parse(data.toString()) as Record<string, unknown>;
        } catch {
          return;
        }
        pendingAcks.get(String(ack.envelope_id))?.settle(ack);
      });
      ws.send(
        JSON.stringify({
          type: 'hello',
          num_connections: sockets.size,
          debug_info: { host: 'applink-emulator', build_number: 1, approximate_connection_time: 18060 },
          connection_info: { app_id: app.id },
        }),
      );
      changes.emit('change');
    });
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}/`;

  // -------------------------------------------------------------------------------------------
  // What a test does as a user

  function issueTrigger(user: SlackUser): string {
    const id = `${counter + 1}.${randomBytes(6).toString('hex')}`;
    triggers.set(id, { issued: Date.now(), used: false, user: user.id });
    return id;
  }

  function responseUrl(channel: Channel): string {
    return `${url}respond/${channel.id}/${randomBytes(8).toString('hex')}`;
  }

  /** Waits until `probe` returns something, re-checking whenever the workspace changes. */
  function until<T>(probe: () => T | undefined, what: string, timeoutMs = 5000): Promise<T> {
    const found = probe();
    if (found !== undefined) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const check = () => {
        const value = probe();
        if (value === undefined) return;
        done();
        resolve(value);
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`timed out waiting for ${what}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        changes.off('change', check);
      };
      changes.on('change', check);
    });
  }

  return {
    url,
    /** What the app's `clientOptions.slackApiUrl` points at. */
    apiUrl: `${url}api/`,
    team,
    bot,
    botToken,
    appToken,
    signingSecret,
    /** Everything the app called, in order. */
    calls,
    /** What the app posted to response URLs. */
    responses,
    channels,
    general,
    addUser,
    addChannel,
    addUserGroup,
    dm,
    /** `<@U…>`: how Slack writes a mention of the bot in message text. */
    mention: `<@${bot.id}>`,

    /** From now on requests go to this URL, signed (HTTP mode); null: back to Socket Mode. */
    deliverTo(target: string | null) {
      requestUrl = target;
    },
    sendSigned,
    /** The JSON body Slack would send for this event (for hand-made requests to the app). */
    eventBody(event: Record<string, unknown>): string {
      return JSON.stringify(eventPayload(event));
    },
    get connections() {
      return sockets.size;
    },
    /** The next call of `method` fails with this Slack error. */
    failNext(method: string, error: string) {
      failures.push({ method, error });
    },
    /** From now on Slack takes this long to answer `method`. */
    slowDown(method: string, ms: number) {
      latencies.set(method, ms);
    },
    /** Another client with the app's token has just used up `method`'s rate limit (Tier 2: 20 calls a minute). */
    useUpRateLimit(method: string) {
      recentCalls.set(
        method,
        Array.from({ length: RATE_LIMITS[method] }, () => Date.now()),
      );
    },
    /** Requests the app did not acknowledge in time, in order. */
    expiredAcks,

    callsTo(method: string): ApiCall[] {
      return calls.filter((call) => call.method === method);
    },
    waitForCall(
      method: string,
      matches: (call: ApiCall) => boolean = () => true,
      timeoutMs?: number,
    ): Promise<ApiCall> {
      return until(() => calls.find((call) => call.method === method && matches(call)), `a ${method} call`, timeoutMs);
    },
    waitForResponse(
      matches: (post: ResponseUrlPost) => boolean = () => true,
      timeoutMs?: number,
    ): Promise<ResponseUrlPost> {
      return until(() => responses.find(matches), 'a response_url post', timeoutMs);
    },
    waitForView(matches: (view: OpenedView) => boolean = () => true, timeoutMs?: number): Promise<OpenedView> {
      return until(() => [...views.values()].find(matches), 'an opened view', timeoutMs);
    },
    waitForConnection(timeoutMs?: number): Promise<true> {
      return until(() => (sockets.size > 0 ? true : undefined), 'a Socket Mode connection', timeoutMs);
    },
    /** Waits until the events the app's own calls caused have been delivered and acked. */
    async settled(): Promise<void> {
      while (background.size) await Promise.all([...background]);
    },

    /** A trigger_id as an interaction of this user would carry one (for calling views.open by hand). */
    trigger: issueTrigger,

    /** A user writes in a channel (or thread); the app gets `app_mention` and/or `message.*` events as subscribed. */
    async post(user: SlackUser, channel: Channel, text: string, options: { threadTs?: string } = {}) {
      const message: StoredMessage = {
        type: 'message',
        ts: nextTs(),
        user: user.id,
        text,
        team: team.id,
        ...(options.threadTs ? { thread_ts: options.threadTs } : {}),
      };
      store(channel, message);
      const deliveries: Promise<Delivery>[] = [];
      const asMessage = deliverEvent(
        channel.kind === 'im' ? 'message.im' : 'message.channels',
        channel,
        messageEvent(channel, message),
      );
      if (asMessage) deliveries.push(asMessage);
      if (channel.kind !== 'im' && text.includes(`<@${bot.id}>`)) {
        const mention = deliverEvent('app_mention', channel, {
          type: 'app_mention',
          user: user.id,
          text,
          ts: message.ts,
          channel: channel.id,
          team: team.id,
          ...(options.threadTs ? { thread_ts: options.threadTs } : {}),
        });
        if (mention) deliveries.push(mention);
      }
      return { ts: message.ts, deliveries: await Promise.all(deliveries) };
    },

    /** A user edits their message: a `message_changed` event. */
    async edit(user: SlackUser, channel: Channel, ts: string, text: string) {
      const message = findMessage(channel, ts);
      if (!message || message.user !== user.id) throw new Error('no such message of this user');
      const previous = shown(message, false);
      message.text = text;
      message.edited = { user: user.id, ts: nextTs() };
      return deliverEvent(messageSubscription(channel), channel, {
        type: 'message',
        subtype: 'message_changed',
        hidden: true,
        channel: channel.id,
        channel_type: channel.kind,
        message: shown(message, false),
        previous_message: previous,
        ts: message.edited.ts,
      });
    },

    /**
     * A user runs a slash command in a channel. One the app's manifest does not declare never reaches the app: Slack
     * tells the user it is not a valid command (rejects here).
     */
    async slashCommand(user: SlackUser, channel: Channel, command: string, text = ''): Promise<Delivery> {
      if (!declared.commands.has(command)) throw new Error(`${command} is not a valid command`);
      return deliver('slash_commands', {
        token: verificationToken,
        team_id: team.id,
        team_domain: team.domain,
        channel_id: channel.id,
        channel_name: channel.kind === 'im' ? 'directmessage' : channel.name,
        user_id: user.id,
        user_name: user.name,
        command,
        text,
        api_app_id: app.id,
        is_enterprise_install: 'false',
        response_url: responseUrl(channel),
        trigger_id: issueTrigger(user),
      });
    },

    /** A user adds an emoji reaction to a message; undefined when the app hears nothing of it (its bot is not in). */
    react(user: SlackUser, channel: Channel, ts: string, name: string) {
      const message = findMessage(channel, ts);
      if (!message) throw new Error(`no message ${ts} in ${channel.id}`);
      const error = react(message, user.id, name);
      if (error) throw new Error(error);
      return deliverEvent('reaction_added', channel, {
        type: 'reaction_added',
        user: user.id,
        reaction: name,
        item: { type: 'message', channel: channel.id, ts },
        item_user: message.user,
      });
    },

    /** A user picks a message shortcut from a message's ⋮ menu. */
    messageShortcut(user: SlackUser, channel: Channel, ts: string, callbackId: string) {
      const message = findMessage(channel, ts);
      if (!message) throw new Error(`no message ${ts} in ${channel.id}`);
      if (!declared.shortcuts.has(callbackId)) throw new Error(`the app declares no message shortcut ${callbackId}`);
      return deliver('interactive', {
        type: 'message_action',
        token: verificationToken,
        action_ts: nextTs(),
        team: { id: team.id, domain: team.domain },
        user: { id: user.id, username: user.name, name: user.name, team_id: team.id },
        channel: { id: channel.id, name: channel.name },
        is_enterprise_install: false,
        enterprise: null,
        callback_id: callbackId,
        trigger_id: issueTrigger(user),
        response_url: responseUrl(channel),
        message_ts: ts,
        message: shown(message, false),
      });
    },

    /**
     * A user fills in an open modal and submits it: `values` is what they typed or picked (block_id -> action_id ->
     * text, or a select's option value); the app gets the view's state as Slack sends it (see `submittedState`).
     */
    async submitView(user: SlackUser, viewId: string, values: Record<string, Record<string, string>>) {
      const opened = views.get(viewId);
      if (!opened || opened.closed) throw new Error(`no open view ${viewId}`);
      if (opened.user !== user.id) throw new Error(`view ${viewId} is open for another user`);
      const state = submittedState(opened.view, values);
      const delivery = await deliver('interactive', {
        type: 'view_submission',
        team: { id: team.id, domain: team.domain },
        user: { id: user.id, username: user.name, name: user.name, team_id: team.id },
        api_app_id: app.id,
        token: verificationToken,
        trigger_id: issueTrigger(user),
        view: { ...opened.view, state: { values: state } },
        response_urls: [],
        is_enterprise_install: false,
        enterprise: null,
      });
      // An empty ack closes the modal; `response_action: errors` keeps it open.
      if (delivery.acked && !delivery.payload?.response_action) opened.closed = true;
      return delivery;
    },

    /** Slack's check of a new Request URL: the app must echo the challenge. */
    async verifyRequestUrl(): Promise<boolean> {
      const challenge = randomBytes(16).toString('hex');
      const response = await sendSigned(
        JSON.stringify({ token: verificationToken, challenge, type: 'url_verification' }),
        'application/json',
      );
      return response.status === 200 && (JSON.parse(response.body) as { challenge?: string }).challenge === challenge;
    },

    messages(channel: Channel): StoredMessage[] {
      return channel.messages.map((message) => structuredClone(message));
    },

    async close(): Promise<void> {
      for (const pending of [...pendingAcks.values()]) pending.settle(null);
      for (const socket of sockets) socket.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
