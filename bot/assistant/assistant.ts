import { buildFacts, HorizonError } from '../answers/facts';
import { renderAnswer } from '../answers/templates';
import { findCommand, type Command } from '../commands';
import type { Place, ReplySource, TemperatureUnit, Understanding, UnitSystem, WeatherQuery, WeatherReport } from '../domain';
import type { Logger } from '../log';
import type { Preferences, Store } from '../store/store';
import { WeatherError } from '../weather/provider';
import type { CommandInvocation, IncomingMessage, Reply, Role } from './message';
import { RateLimiter } from './rate-limit';
import { replies, smalltalk } from './replies';

/** What the assistant needs from the weather layer. */
export interface WeatherLookup {
  resolvePlace(location: string, region: string | null): Promise<Place>;
  forecast(place: Place, units: UnitSystem): Promise<WeatherReport>;
}

export interface AssistantOptions {
  store: Store;
  weather: WeatherLookup;
  /** Message -> query. The rules today; the model with the rules as its guard later. */
  understand: (text: string) => Understanding;
  log: Logger;
  rateLimitPerMinute: number;
  maxMessageLength: number;
  /** Units when neither the message, the user nor the channel chose: null means by country. */
  defaultUnits: UnitSystem | null;
  /** False for one-off evaluation runs (the `ask` CLI): answer, but capture nothing. */
  capture?: boolean;
  now?: () => number;
}

/** Countries that use Fahrenheit and miles. */
const IMPERIAL_COUNTRIES = new Set(['US', 'LR', 'MM', 'PR', 'GU', 'VI', 'AS', 'MP', 'BS', 'KY', 'PW', 'FM', 'MH']);

const LEADING_MENTIONS = /^(\s*(<@[!&]?\w+>|@\w+)[,:]?)+\s*/;

/** "Paris, TX" -> location "Paris", region "TX". */
export function splitPlace(text: string): { location: string; region: string | null } {
  const [location, ...rest] = text.split(',');
  const region = rest.join(',').trim();
  return { location: location.trim(), region: region || null };
}

export interface CommandOptions {
  /** Where a long-running command (/retrain) reports progress; adapters edit or post a message. */
  onProgress?: (text: string) => void | Promise<void>;
}

const unitsFromQuery = (units: TemperatureUnit | null): UnitSystem | undefined =>
  units === 'fahrenheit' ? 'imperial' : units === 'celsius' ? 'metric' : undefined;

/**
 * The platform-neutral core: a message in, a reply out. It guards input, runs commands with
 * their permission check, understands, looks the weather up, answers, and captures the exchange.
 */
export class Assistant {
  private readonly limiter: RateLimiter;
  private readonly lastExchangeByChannel = new Map<string, string>();
  private readonly now: () => number;

  constructor(private readonly options: AssistantOptions) {
    this.now = options.now ?? Date.now;
    this.limiter = new RateLimiter(options.rateLimitPerMinute, this.now);
  }

  get store(): Store {
    return this.options.store;
  }

  get weather(): WeatherLookup {
    return this.options.weather;
  }

  get log(): Logger {
    return this.options.log;
  }

  understand(text: string): Understanding {
    return this.options.understand(text);
  }

  /** A free-text chat message. A leading "/" makes it a command; nothing inside the text does. */
  async handle(message: IncomingMessage, options: CommandOptions = {}): Promise<Reply> {
    const text = message.text.replace(LEADING_MENTIONS, '').trim();
    const guard = this.guard(message, text);
    if (guard) return guard;
    if (text.startsWith('/')) {
      const [, name = '', args = ''] = text.match(/^\/(\S*)\s*([\s\S]*)$/) ?? [];
      return this.runCommand(message, { name, args }, options);
    }
    return this.answer(message, text);
  }

  /** A slash command delivered by a platform (its own UI) or typed in text. */
  async command(message: IncomingMessage, invocation: CommandInvocation, options: CommandOptions = {}): Promise<Reply> {
    const guard = this.guard(message, invocation.args);
    return guard ?? this.runCommand(message, invocation, options);
  }

  /** Answers a free-text message as a weather question (or small talk) and captures it. */
  async answer(message: IncomingMessage, text: string): Promise<Reply> {
    const started = this.now();
    let understanding: Understanding;
    try {
      understanding = this.understand(text);
    } catch (error) {
      this.log.error('understanding failed', { error });
      return this.record(message, text, null, { kind: 'error', text: replies.internalError }, { understanding: 'rules', answer: 'error' }, started, 'internal');
    }
    if (!understanding.weather) {
      return this.record(message, text, understanding, { kind: 'smalltalk', text: smalltalk(text) }, { understanding: 'rules', answer: 'smalltalk' }, started, null);
    }
    return this.answerWeather(message, text, understanding, 'rules', started);
  }

  /** Looks up and answers a parsed weather query; every outcome is captured. */
  async answerWeather(message: IncomingMessage, text: string, query: WeatherQuery, understoodBy: ReplySource['understanding'], started = this.now()): Promise<Reply> {
    const source = (answer: ReplySource['answer']): ReplySource => ({ understanding: understoodBy, answer });
    const [user, channel] = await Promise.all([
      this.store.getPreferences('user', message.platform, message.author.id),
      this.store.getPreferences('channel', message.platform, message.channelId),
    ]);
    const saved = user.location ?? channel.location;
    const target = query.location ? { location: query.location, region: query.region } : saved ? splitPlace(saved) : null;
    if (!target) {
      return this.record(message, text, query, { kind: 'clarify', text: replies.askPlace }, source('clarify'), started, null);
    }
    try {
      const place = await this.weather.resolvePlace(target.location, target.region);
      const units = this.chooseUnits(query, user, channel, place);
      const report = await this.weather.forecast(place, units);
      // The query is stored as parsed (a saved place stays out of it): it is what the model learns to write.
      const facts = buildFacts(report, query);
      const reply: Reply = { kind: 'weather', text: renderAnswer(facts), report, facts };
      return this.record(message, text, query, reply, source('template'), started, null);
    } catch (error) {
      const { text: friendly, code } = this.explain(error, target.region ? `${target.location}, ${target.region}` : target.location);
      return this.record(message, text, query, { kind: 'error', text: friendly }, source('error'), started, code);
    }
  }

  /** The most recent captured exchange in a channel: what "approve the last answer" acts on. */
  lastExchange(platform: string, channelId: string): string | undefined {
    return this.lastExchangeByChannel.get(`${platform}:${channelId}`);
  }

  hasRole(message: IncomingMessage, role: Role): boolean {
    // Admins can do everything moderators can.
    return message.author.roles.includes(role) || message.author.roles.includes('admin');
  }

  private guard(message: IncomingMessage, text: string): Reply | undefined {
    if (!this.limiter.take(`${message.platform}:${message.author.id}`)) return { kind: 'limited', text: replies.rateLimited };
    if (text.length > this.options.maxMessageLength) return { kind: 'error', text: replies.tooLong(this.options.maxMessageLength) };
    if (!text.trim()) return { kind: 'smalltalk', text: replies.empty };
    return undefined;
  }

  private async runCommand(message: IncomingMessage, invocation: CommandInvocation, options: CommandOptions): Promise<Reply> {
    const command: Command | undefined = findCommand(invocation.name);
    if (!command) return { kind: 'error', text: replies.unknownCommand(invocation.name) };
    if (command.permission !== 'everyone' && !this.hasRole(message, command.permission)) {
      this.log.warn('command refused', { command: command.name, platform: message.platform, user: message.author.name ?? 'unknown' });
      return { kind: 'refused', text: replies.refused(command.name, command.permission) };
    }
    try {
      const progress = options.onProgress ?? (() => undefined);
      return await command.run({ assistant: this, message, args: invocation.args.trim(), progress });
    } catch (error) {
      this.log.error('command failed', { command: command.name, error });
      return { kind: 'error', text: replies.internalError };
    }
  }

  private chooseUnits(query: WeatherQuery, user: Preferences, channel: Preferences, place: Place): UnitSystem {
    return unitsFromQuery(query.units)
      ?? user.units
      ?? channel.units
      ?? this.options.defaultUnits
      ?? (place.countryCode && IMPERIAL_COUNTRIES.has(place.countryCode) ? 'imperial' : 'metric');
  }

  private explain(error: unknown, place: string): { text: string; code: string } {
    if (error instanceof WeatherError) {
      if (error.kind === 'place-not-found') return { text: replies.placeNotFound(place), code: error.kind };
      if (error.kind === 'provider-down') this.log.warn('weather provider unavailable', { error });
      else this.log.warn('weather provider sent a bad response', { error });
      return { text: error.kind === 'provider-down' ? replies.providerDown : replies.badResponse, code: error.kind };
    }
    if (error instanceof HorizonError) return { text: replies.horizon(error.daysAhead), code: 'beyond-horizon' };
    this.log.error('answer failed', { error });
    return { text: replies.internalError, code: 'internal' };
  }

  /** Captures the exchange (unless capture is off) and returns the reply with its id. */
  private async record(message: IncomingMessage, question: string, query: Understanding | null, reply: Reply, source: ReplySource, started: number, error: string | null): Promise<Reply> {
    if (this.options.capture === false) return reply;
    try {
      const exchange = await this.store.capture({
        platform: message.platform,
        channelId: message.channelId,
        userId: message.author.id,
        question,
        query,
        facts: reply.facts ?? null,
        answer: reply.text,
        source,
        modelVersion: null,
        error,
        latencyMs: this.now() - started,
      });
      this.lastExchangeByChannel.set(`${message.platform}:${message.channelId}`, exchange.id);
      return { ...reply, exchangeId: exchange.id };
    } catch (failure) {
      this.log.error('could not capture the exchange', { error: failure });
      return reply;
    }
  }
}
