import {
  App,
  HTTPReceiver,
  LogLevel,
  SocketModeReceiver,
  webApi,
  type Context,
  type Logger as BoltLogger,
  type MessageShortcut,
  type RespondFn,
} from '@slack/bolt';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import type { Assistant } from '../../assistant/assistant';
import type { Author, IncomingMessage, Reply } from '../../chat/message';
import { replies } from '../../chat/replies';
import type { Config } from '../../config';
import type { Logger } from '../../core/log';
import type { ChatImage } from '../../core/png';
import type { Adapter } from '../adapter';
import {
  CORRECT_MODAL,
  CORRECT_SHORTCUT,
  correctionModal,
  correctionOf,
  correctionTargetOf,
  escapeText,
  type CorrectionTarget,
  exchangeIdOf,
  plainText,
  renderCorrection,
  renderProgress,
  renderReply,
  type SlackMessage,
} from './blocks';
import { SlackRoles } from './roles';

export type SlackConfig = NonNullable<Config['slack']>;

export interface SlackAdapter extends Adapter {
  /**
   * HTTP mode, once started: where this process takes Slack's requests (events, commands, interactivity). Null in
   * Socket Mode.
   */
  readonly eventsUrl: string | null;
}

const PLATFORM = 'slack';
/** What a moderator's correction is, as the assistant hears it: the shortcut they chose. */
const CORRECT_ACTION = 'Correct answer';
/** Told to a moderator whose correction was saved but could not be shown where the question was asked. */
const NOT_PUBLISHED = 'I could not post the corrected answer where the question was asked.';
/** One Request URL for events, slash commands and interactivity, as the manifest sets it. */
export const EVENTS_PATH = '/slack/events';
/** Shown on the user's message while the answer is worked out: Slack has no typing indicator for apps. */
export const WORKING_REACTION = 'eyes';
/** Reactions a moderator moderates an answer with, and the command each runs. */
export const REACTION_COMMANDS: Readonly<Record<string, 'approve' | 'reject'>> = {
  white_check_mark: 'approve',
  x: 'reject',
};

type Client = webApi.WebClient;

interface Destination {
  channel: string;
  threadTs?: string;
}

/** Where a moderator is told privately how their moderation went. */
interface Confirmation extends Destination {
  /** A response URL to fall back on where the bot cannot post (it is no member of the channel). */
  responseUrl?: string;
}

/** Bolt and its Slack clients log through the bot's scrubbing logger. */
function boltLogger(log: Logger): BoltLogger {
  const line = (parts: unknown[]) =>
    parts
      .map((part) => {
        if (part instanceof Error) return part.message;
        if (typeof part === 'string') return part;
        try {
          return JSON.stringify(part);
        } catch {
          return String(part);
        }
      })
      .join(' ');
  return {
    // The libraries' debug lines dump whole payloads (people's messages): they stay out of the log.
    debug: () => undefined,
    info: (...parts) => log.info(`slack: ${line(parts)}`),
    warn: (...parts) => log.warn(`slack: ${line(parts)}`),
    error: (...parts) => log.error(`slack: ${line(parts)}`),
    setLevel: () => undefined,
    getLevel: () => LogLevel.INFO,
    setName: () => undefined,
  };
}

/** The `error` of a Slack Web API refusal ("not_in_channel"), if that is what this is. */
function slackErrorCode(error: unknown): string | undefined {
  const data = (error as { data?: { error?: unknown } } | null)?.data;
  return typeof data?.error === 'string' ? data.error : undefined;
}

/** Direct-message conversations' ids start with D; the bot answers there in the conversation, not in threads. */
const isDirectMessage = (channel: string) => channel.startsWith('D');

/** Slack refused because the bot is no member of the conversation (or cannot see it). */
function notMember(error: unknown): boolean {
  const code = slackErrorCode(error);
  return code === 'not_in_channel' || code === 'channel_not_found';
}

/** A message through a response URL (valid 30 minutes, five times), which needs no membership of the channel. */
async function postToResponseUrl(url: string, message: Record<string, unknown>): Promise<void> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(message),
    signal: AbortSignal.timeout(10_000),
  });
  if (!response.ok) throw new Error(`the response URL answered HTTP ${response.status}`);
}

/**
 * Slack for the assistant: mentions and direct messages answered in threads with Block Kit,
 * slash commands, moderation by reactions and a "Correct answer" message shortcut. Socket Mode
 * by default; HTTP mode (signed requests on `config.port`) when `config.mode` is "http".
 */
export function createSlackAdapter(assistant: Assistant, config: SlackConfig, log: Logger): SlackAdapter {
  if (config.mode === 'socket' && !config.appToken)
    throw new Error('Slack Socket Mode needs SLACK_APP_TOKEN (an xapp- token with connections:write)');
  if (config.mode === 'http' && !config.signingSecret) throw new Error('Slack HTTP mode needs SLACK_SIGNING_SECRET');

  const logger = boltLogger(log);
  const clientOptions: webApi.WebClientOptions = {
    slackApiUrl: config.apiUrl.endsWith('/') ? config.apiUrl : `${config.apiUrl}/`,
    timeout: 10_000,
    retryConfig: { retries: 3, factor: 2 },
  };
  const receiver =
    config.mode === 'http'
      ? new HTTPReceiver({ signingSecret: config.signingSecret!, endpoints: EVENTS_PATH, port: config.port, logger })
      : new SocketModeReceiver({ appToken: config.appToken!, logger, installerOptions: { clientOptions } });
  const app = new App({ token: config.botToken, receiver, logger, clientOptions, deferInitialization: true });
  // The roles' own client rejects a rate-limited call instead of waiting it out (and pausing every call meanwhile).
  const rolesClient = new webApi.WebClient(config.botToken, { ...clientOptions, logger, rejectRateLimitedCalls: true });
  const roles = new SlackRoles(rolesClient, config, log);
  let eventsUrl: string | null = null;

  const authorOf = async (userId: string, name?: string): Promise<Author> => ({
    id: userId,
    name,
    roles: await roles.rolesOf(userId),
  });

  /** One reply's message: posted by the first progress report or the reply itself, edited by what follows. */
  function replyMessage(client: Client, destination: Destination) {
    let ts: string | undefined;
    let queue: Promise<unknown> = Promise.resolve();
    const put = (content: SlackMessage) => {
      const step = queue.then(async () => {
        if (ts) await client.chat.update({ channel: destination.channel, ts, ...content });
        else
          ts = (
            await client.chat.postMessage({ channel: destination.channel, thread_ts: destination.threadTs, ...content })
          ).ts;
      });
      queue = step.catch(() => undefined);
      return step;
    };
    return {
      report: (text: string) =>
        put(renderProgress(text)).catch((error) => log.warn('could not show progress in Slack', { error })),
      finish: (content: SlackMessage) => put(content),
      /** Shares a picture beside the reply (Slack shows images as files); a failure leaves the reply as it is. */
      share: (image: ChatImage) => {
        const file = { file: Buffer.from(image.png), filename: image.name, title: image.alt, alt_text: image.alt };
        const { channel, threadTs } = destination;
        return client.files
          .uploadV2(threadTs ? { channel_id: channel, thread_ts: threadTs, ...file } : { channel_id: channel, ...file })
          .then(
            () => undefined,
            (error: unknown) =>
              log.warn('could not share a picture in Slack', { error: slackErrorCode(error) ?? error }),
          );
      },
      get posted() {
        return ts !== undefined;
      },
    };
  }

  /**
   * The bot's own message, with its metadata: top-level ones from the channel's history, the others from their thread.
   */
  async function fetchMessage(client: Client, channel: string, ts: string) {
    const history = await client.conversations.history({
      channel,
      latest: ts,
      inclusive: true,
      limit: 1,
      include_all_metadata: true,
    });
    const top = history.messages?.find((message) => message.ts === ts);
    if (top) return top;
    const thread = await client.conversations.replies({ channel, ts, include_all_metadata: true });
    return thread.messages?.find((message) => message.ts === ts);
  }

  async function answerMessage(
    client: Client,
    context: Context,
    incoming: { channel: string; user: string; ts: string; text: string; threadTs?: string },
  ) {
    const destination = { channel: incoming.channel, threadTs: incoming.threadTs };
    const typing = client.reactions
      .add({ channel: incoming.channel, timestamp: incoming.ts, name: WORKING_REACTION })
      .then(
        () => true,
        (error) => {
          log.debug('could not mark the message as being worked on', { error: slackErrorCode(error) ?? error });
          return false;
        },
      );
    try {
      const message: IncomingMessage = {
        platform: PLATFORM,
        channelId: incoming.channel,
        author: await authorOf(incoming.user),
        text: plainText(incoming.text, context.botUserId),
        direct: isDirectMessage(incoming.channel),
      };
      const answer = replyMessage(client, destination);
      const reply = await assistant.handle(message, { onProgress: answer.report });
      await answer.finish(renderReply(reply));
      if (reply.image) await answer.share(reply.image);
    } catch (error) {
      log.error('could not answer a Slack message', { error });
      await client.chat
        .postMessage({ channel: incoming.channel, thread_ts: incoming.threadTs, text: replies.internalError })
        .catch(() => undefined);
    } finally {
      if (await typing) {
        await client.reactions
          .remove({ channel: incoming.channel, timestamp: incoming.ts, name: WORKING_REACTION })
          .catch((error) => log.debug('could not clear the working mark', { error: slackErrorCode(error) ?? error }));
      }
    }
  }

  app.error(async (error) => {
    log.error('slack listener failed', { error });
  });

  app.event('app_mention', async ({ event, context, client }) => {
    // A mention inside a direct message is answered by the direct-message listener.
    if (!event.user || isDirectMessage(event.channel)) return;
    await answerMessage(client, context, {
      channel: event.channel,
      user: event.user,
      ts: event.ts,
      text: event.text,
      threadTs: event.thread_ts ?? event.ts,
    });
  });

  app.event('message', async ({ event, context, client }) => {
    // Edits, deletions, joins and other subtypes are not questions; nor is any bot's message.
    if (event.subtype !== undefined || event.channel_type !== 'im' || event.bot_id) return;
    await answerMessage(client, context, {
      channel: event.channel,
      user: event.user,
      ts: event.ts,
      text: event.text ?? '',
      threadTs: event.thread_ts,
    });
  });

  app.command(/^\/[\w-]+$/, async ({ command, ack, client, respond }) => {
    await ack();
    const invoked = `${command.command} ${command.text}`.trim();
    const ephemeral = (text: string) => respond({ response_type: 'ephemeral', text: escapeText(text) });
    try {
      const message: IncomingMessage = {
        platform: PLATFORM,
        channelId: command.channel_id,
        author: await authorOf(command.user_id, command.user_name),
        text: invoked,
        direct: isDirectMessage(command.channel_id),
      };
      const answer = replyMessage(client, { channel: command.channel_id });
      const reply = await assistant.command(
        message,
        { name: command.command.slice(1), text: command.text },
        { onProgress: answer.report },
      );
      const askedBy = { userId: command.user_id, command: invoked };
      const render = (reactions: boolean) => renderReply(reply, { askedBy, reactions });
      // Answers, pictures and what was under way in the channel are shown there; other command replies privately.
      if (answer.posted || reply.exchangeId || reply.image) {
        await postVisibly(answer.finish, respond, render);
        if (reply.image) await answer.share(reply.image);
      } else await ephemeral(reply.text);
    } catch (error) {
      log.error('could not answer a Slack slash command', { command: command.command, error });
      await ephemeral(replies.internalError).catch(() => undefined);
    }
  });

  /**
   * Answers go in the channel for everyone (and the moderators) to see; where the bot is no member, through the
   * command's response URL. Slack tells the bot of no reaction there, so such an answer offers no ✅/❌.
   */
  async function postVisibly(
    post: (content: SlackMessage) => Promise<void>,
    respond: RespondFn,
    render: (reactions: boolean) => SlackMessage,
  ) {
    try {
      await post(render(true));
    } catch (error) {
      if (!notMember(error)) throw error;
      const { text, blocks } = render(false);
      await respond({ response_type: 'in_channel', text, blocks });
    }
  }

  app.event('reaction_added', async ({ event, context, client }) => {
    const verdict = REACTION_COMMANDS[event.reaction];
    if (!verdict || event.item.type !== 'message' || event.item_user !== context.botUserId) return;
    const { channel, ts } = event.item;
    try {
      const answer = await fetchMessage(client, channel, ts);
      const exchangeId = exchangeIdOf(answer);
      if (!exchangeId) return;
      const message: IncomingMessage = {
        platform: PLATFORM,
        channelId: channel,
        author: await authorOf(event.user),
        text: `:${event.reaction}:`,
        direct: isDirectMessage(channel),
      };
      const reply = await assistant.command(message, { name: verdict, options: { exchange: exchangeId } });
      // Anyone may add the emoji; a reaction from someone who may not moderate stays just a reaction.
      if (reply.kind === 'refused' || reply.kind === 'limited') return;
      await confirm(client, { channel, threadTs: answer?.thread_ts }, event.user, reply.text);
    } catch (error) {
      log.error('could not moderate from a Slack reaction', { error });
    }
  });

  app.shortcut<MessageShortcut>(
    { callback_id: CORRECT_SHORTCUT, type: 'message_action' },
    async ({ shortcut, ack, client, context, respond }) => {
      await ack();
      try {
        const { channel, message } = shortcut;
        const own =
          message.user === context.botUserId || (context.botId !== undefined && message.bot_id === context.botId);
        // The payload's blocks usually carry the id; metadata only comes with a fetch.
        const exchangeId = own
          ? (exchangeIdOf(message) ?? exchangeIdOf(await fetchMessage(client, channel.id, message.ts)))
          : undefined;
        if (!exchangeId) {
          await respond({ response_type: 'ephemeral', text: 'Use “Correct answer” on one of my weather answers.' });
          return;
        }
        const threadTs = typeof message.thread_ts === 'string' ? message.thread_ts : undefined;
        const target = {
          channel: channel.id,
          ts: message.ts,
          threadTs,
          exchangeId,
          responseUrl: shortcut.response_url,
        };
        await client.views.open({ trigger_id: shortcut.trigger_id, view: correctionModal(target, message.text ?? '') });
      } catch (error) {
        log.error('could not open the Slack correction modal', { error });
        await respond({ response_type: 'ephemeral', text: replies.internalError }).catch(() => undefined);
      }
    },
  );

  app.view(CORRECT_MODAL, async ({ ack, view, body, client }) => {
    const target = correctionTargetOf(view.private_metadata);
    if (!target) return ack();
    const correction = correctionOf(view.state.values);
    if ('errors' in correction) return ack({ response_action: 'errors', errors: correction.errors });
    // Slack waits 3 s for the ack, and the roles and the weather may take longer: the modal closes now, and the outcome
    // (a refusal too) is told once the correction has run.
    await ack();
    const reply = await saveCorrection(target, correction.options, body.user);
    const answers = Boolean(reply.corrected);
    const shown = answers && (await publishCorrection(client, target, { ...reply, text: reply.corrected! }));
    // Saved: its first line says what; the rest is the answer, shown to everyone above.
    const confirmation = reply.corrected === undefined ? reply.text : reply.text.split('\n')[0];
    await confirm(client, target, body.user.id, answers && !shown ? `${confirmation}\n${NOT_PUBLISHED}` : confirmation);
  });

  async function saveCorrection(
    target: CorrectionTarget,
    options: Record<string, string>,
    user: { id: string; name: string },
  ): Promise<Reply> {
    try {
      const message: IncomingMessage = {
        platform: PLATFORM,
        channelId: target.channel,
        author: await authorOf(user.id, user.name),
        text: CORRECT_ACTION,
        direct: isDirectMessage(target.channel),
      };
      return await assistant.command(message, {
        name: 'correct',
        options: { exchange: target.exchangeId, ...options },
      });
    } catch (error) {
      log.error('could not save a Slack correction', { error });
      return { kind: 'error', text: replies.internalError };
    }
  }

  /**
   * The corrected answer, for everyone where the question was asked: in the answer's thread (in a direct message the
   * conversation, as the bot answers there), else through the shortcut's response URL where the bot is no member.
   * Whether it was posted.
   */
  async function publishCorrection(client: Client, target: CorrectionTarget, reply: Reply): Promise<boolean> {
    const content = renderCorrection(reply);
    const threadTs = target.threadTs ?? (isDirectMessage(target.channel) ? undefined : target.ts);
    try {
      await client.chat.postMessage({ channel: target.channel, thread_ts: threadTs, ...content });
      return true;
    } catch (error) {
      try {
        if (!target.responseUrl || !notMember(error)) throw error;
        await postToResponseUrl(target.responseUrl, { response_type: 'in_channel', ...content });
        return true;
      } catch (failure) {
        log.warn('could not post a corrected answer in Slack', { error: slackErrorCode(failure) ?? failure });
        return false;
      }
    }
  }

  /** Tells a moderator privately how it went: in the channel, else through the shortcut's response URL. */
  async function confirm(client: Client, where: Confirmation, user: string, text: string) {
    const said = escapeText(text);
    try {
      await client.chat.postEphemeral({ channel: where.channel, user, thread_ts: where.threadTs, text: said });
    } catch (error) {
      try {
        if (!where.responseUrl || !notMember(error)) throw error;
        await postToResponseUrl(where.responseUrl, { response_type: 'ephemeral', text: said });
      } catch (failure) {
        log.warn('could not confirm to the moderator in Slack', { error: slackErrorCode(failure) ?? failure });
      }
    }
  }

  return {
    name: PLATFORM,
    get eventsUrl() {
      return eventsUrl;
    },
    async start() {
      try {
        await app.init();
      } catch (error) {
        const code = slackErrorCode(error);
        if (code) throw new Error(`Slack did not accept SLACK_BOT_TOKEN (${code})`, { cause: error });
        throw new Error(
          `could not reach Slack at ${config.apiUrl} (${error instanceof Error ? error.message : String(error)}) — check the network or SLACK_API_URL`,
          { cause: error },
        );
      }
      const started = await app.start();
      if (config.mode === 'http') {
        const { port } = (started as Server).address() as AddressInfo;
        eventsUrl = `http://127.0.0.1:${port}${EVENTS_PATH}`;
        log.info('slack: listening for signed requests', { url: eventsUrl });
      } else {
        log.info('slack: connected in Socket Mode');
      }
    },
    async stop() {
      if (receiver instanceof SocketModeReceiver) await receiver.client.disconnect();
      else if (eventsUrl) await app.stop();
      eventsUrl = null;
    },
    async post(channelId, reply) {
      const answer = replyMessage(app.client, { channel: channelId });
      await answer.finish(renderReply(reply));
      if (reply.image) await answer.share(reply.image);
    },
  };
}
