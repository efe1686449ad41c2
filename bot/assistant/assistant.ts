import { chartDays, forecastImage } from '../answers/chart';
import { buildFacts, HorizonError } from '../answers/facts';
import { renderAnswer } from '../answers/templates';
import { hasRole, type IncomingMessage, type Reply } from '../chat/message';
import { replies, smalltalk } from '../chat/replies';
import {
  invocationText,
  runCommand,
  splitPlace,
  type CommandInvocation,
  type CommandServices,
  type Progress,
} from '../commands';
import {
  isRange,
  type Place,
  type ReplySource,
  type TemperatureUnit,
  type Understanding,
  type UnitSystem,
  type WeatherAlert,
  type WeatherFacts,
  type WeatherQuery,
  type WeatherReport,
} from '../core/domain';
import type { Logger } from '../core/log';
import type { EarnedSay } from '../core/say';
import { safeText } from '../core/text';
import type { ActiveModels } from '../model/runtime';
import { Lessons } from '../understanding/lessons';
import { writeAnswer, writeQuery, type Generate, type ModelLimits } from '../model/steps';
import type { Preferences, Store, Subscription } from '../core/store';
import { WeatherError } from '../weather/provider';
import type { Operations } from '../operations';
import { RateLimiter } from './rate-limit';

/** What the assistant needs from the weather layer. */
export interface WeatherLookup {
  resolvePlace(location: string, region: string | null): Promise<Place>;
  forecast(place: Place, units: UnitSystem): Promise<WeatherReport>;
  /** Whether the provider issues severe-weather alerts. */
  readonly hasAlerts: boolean;
  alerts(place: Place): Promise<WeatherAlert[]>;
}

/** The language model as the assistant uses it: the active one, and the limits of each generation. */
export interface AssistantModel {
  models: ActiveModels;
  limits: ModelLimits;
}

export interface AssistantOptions {
  store: Store;
  weather: WeatherLookup;
  /** Message -> query by rules: the model's guard, and its stand-in. */
  understand: (text: string) => Understanding;
  /** What moderators taught, read into every message with `understand`; none when absent. */
  lessons?: Lessons;
  /** Absent or null: rules and templates only. */
  model?: AssistantModel | null;
  log: Logger;
  rateLimitPerMinute: number;
  maxMessageLength: number;
  /** Units when neither the message, the user nor the channel chose: null means by country. */
  defaultUnits: UnitSystem | null;
  /** False for one-off evaluation runs (the `ask` CLI): answer, but capture nothing. */
  capture?: boolean;
  /** Training jobs, the model registry and the audit, for the admin and moderator commands. */
  operations?: Operations;
  now?: () => number;
}

/** Countries that use Fahrenheit and miles. */
const IMPERIAL_COUNTRIES = new Set(['US', 'LR', 'MM', 'PR', 'GU', 'VI', 'AS', 'MP', 'BS', 'KY', 'PW', 'FM', 'MH']);

/** Who "asks" for a subscription's forecast: nobody, so no one's preferences apply. */
const FORECASTER = { id: 'forecast', roles: [] };

const LEADING_MENTIONS = /^(\s*(<@[!&]?\w+>|@\w+)[,:]?)+\s*/;

export interface ReplyOptions {
  /** Where a long-running command (/retrain) reports progress; adapters edit or post a message. */
  onProgress?: Progress;
}

const unitsFromQuery = (units: TemperatureUnit | null): UnitSystem | undefined =>
  units === 'fahrenheit' ? 'imperial' : units === 'celsius' ? 'metric' : undefined;

/** The model one reply holds from start to end, with the limits of its generations. */
interface HeldModel {
  version: string;
  generator: Generate;
  limits: ModelLimits;
  say: EarnedSay;
}

/** The weather a query asks for, or the reply that says why there is none (and its code for the exchange). */
type LookUp =
  | { kind: 'weather'; report: WeatherReport; facts: WeatherFacts }
  | { kind: 'clarify' | 'error'; text: string; code: string | null };

/**
 * How a reply came about, as its exchange records it. `modelVersion` is the model the reply was
 * made with (null: none ran); `source` says whether its query and answer were used.
 */
interface Provenance {
  query: Understanding | null;
  source: ReplySource;
  modelVersion: string | null;
  /** Short reason of an error reply. */
  error: string | null;
}

/**
 * The platform-neutral core: a message in, a reply out. It guards input, hands commands to the
 * registry (bot/commands), understands, looks the weather up, answers, and captures the exchange.
 * With a model, the model writes the query and the answer (bot/core/guard.ts says when the
 * rules and the templates stand in); a reply keeps the model it started with to its end.
 */
export class Assistant {
  private readonly limiter: RateLimiter;
  private readonly lastExchangeByChannel = new Map<string, string>();
  private readonly now: () => number;
  /** What the commands act on: narrow parts of this assistant and of its options. */
  private readonly services: Omit<CommandServices, 'commands'>;
  private readonly lessons: Lessons;

  constructor(private readonly options: AssistantOptions) {
    this.now = options.now ?? Date.now;
    this.lessons = options.lessons ?? new Lessons(options.understand);
    this.limiter = new RateLimiter(options.rateLimitPerMinute, this.now);
    this.services = {
      preferences: options.store,
      subscriptions: options.store,
      places: options.weather,
      exchanges: options.store,
      lastExchange: (platform, channelId) => this.lastExchangeByChannel.get(`${platform}:${channelId}`),
      weather: {
        hasAlerts: options.weather.hasAlerts,
        ask: (message, text) => this.answer(message, text),
        understand: (text) => this.lessons.read(text),
        answer: (message, question, query) => this.answerWeather(message, question, query, 'command'),
        lookUp: async (message, query) => {
          const found = await this.lookUp(message, query);
          if (found.kind === 'weather') return { ...found, text: renderAnswer(found.facts) };
          const { code: _code, ...reply } = found;
          return reply;
        },
      },
      lessons: this.lessons,
      operations: options.operations,
      log: options.log,
    };
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

  /** What a user should know about how replies are written now (no model yet, say); null when all is as expected. */
  get notice(): string | null {
    return this.options.model?.models.notice() ?? null;
  }

  /** How the chat reads a message: the model's query as the rules and lessons let it through, or theirs. */
  async read(text: string): Promise<Understanding> {
    return this.withModel(async (model) => (await this.understandWith(model, safeText(text))).query);
  }

  /** A free-text chat message. A leading "/" makes it a command; nothing inside the text does. */
  async handle(message: IncomingMessage, options: ReplyOptions = {}): Promise<Reply> {
    const text = safeText(message.text).replace(LEADING_MENTIONS, '').trim();
    const guard = this.guard(message, text);
    if (guard) return guard;
    if (text.startsWith('/')) {
      const [, name = '', args = ''] = text.match(/^\/(\S*)\s*([\s\S]*)$/) ?? [];
      return this.runCommand(message, { name, text: args }, options);
    }
    return this.answer(message, text);
  }

  /** A command delivered by a platform: a slash command from its own UI, a reaction, a form. */
  async command(message: IncomingMessage, given: CommandInvocation, options: ReplyOptions = {}): Promise<Reply> {
    const invocation = safeInvocation(given);
    return this.guard(message, invocationText(invocation)) ?? this.runCommand(message, invocation, options);
  }

  /** Answers a free-text message as a weather question (or small talk) and captures it. */
  async answer(message: IncomingMessage, text: string): Promise<Reply> {
    const started = this.now();
    return this.withModel(async (model) => {
      const modelVersion = model?.version ?? null;
      let understood: { query: Understanding; by: 'model' | 'rules' };
      try {
        understood = await this.understandWith(model, text);
      } catch (error) {
        this.log.error('understanding failed', { error });
        const how: Provenance = {
          query: null,
          source: { understanding: 'rules', answer: 'error' },
          modelVersion,
          error: 'internal',
        };
        return this.record(message, text, { kind: 'error', text: replies.internalError }, how, started);
      }
      const { query, by } = understood;
      if (!query.weather) {
        const how: Provenance = {
          query,
          source: { understanding: by, answer: 'smalltalk' },
          modelVersion,
          error: null,
        };
        return this.record(message, text, { kind: 'smalltalk', text: smalltalk(text) }, how, started);
      }
      return this.respond(message, text, query, by, started, model);
    });
  }

  /** Looks up and answers a parsed weather query; every outcome is captured. */
  private async answerWeather(
    message: IncomingMessage,
    text: string,
    query: WeatherQuery,
    understoodBy: ReplySource['understanding'],
    started = this.now(),
  ): Promise<Reply> {
    return this.withModel((model) => this.respond(message, text, query, understoodBy, started, model));
  }

  /**
   * The day's forecast a subscription posts: today at its place, in the units it was made with (else the channel's,
   * else the place's country's). Nothing is captured: nobody asked.
   */
  async forecast(subscription: Subscription): Promise<Reply> {
    const message = {
      platform: subscription.platform,
      channelId: subscription.channelId,
      author: FORECASTER,
      text: '',
    };
    const units = subscription.units === null ? null : subscription.units === 'imperial' ? 'fahrenheit' : 'celsius';
    const query: WeatherQuery = {
      weather: true,
      ...splitPlace(subscription.place),
      when: 'today',
      aspect: 'general',
      units,
    };
    const found = await this.lookUp(message, query);
    if (found.kind !== 'weather') return { kind: found.kind, text: found.text };
    const note = `Daily forecast ${subscription.id} · /unsubscribe ${subscription.id} stops it`;
    return { kind: 'weather', text: renderAnswer(found.facts), note, report: found.report, facts: found.facts };
  }

  /** Alerts issued for a subscription's place now; none where the provider has no alerts service. */
  async alerts(subscription: Subscription): Promise<WeatherAlert[]> {
    const { location, region } = splitPlace(subscription.place);
    return this.weather.alerts(await this.weather.resolvePlace(location, region));
  }

  private withModel<T>(work: (model: HeldModel | null) => Promise<T>): Promise<T> {
    const option = this.options.model;
    if (!option) return work(null);
    return option.models.use((model) =>
      work(model && { version: model.version, generator: model.generator, limits: option.limits, say: model.say }),
    );
  }

  /** Step 1: the model's query as the rules let it through, or the rules' own. */
  private async understandWith(
    model: HeldModel | null,
    text: string,
  ): Promise<{ query: Understanding; by: 'model' | 'rules' }> {
    const rules = this.lessons.read(text);
    if (!model) return { query: rules, by: 'rules' };
    const step = await writeQuery(model.generator, text, rules, model.limits, model.say);
    const { generation } = step;
    this.log.debug('model query', {
      version: model.version,
      by: step.by,
      fallback: step.fallback,
      corrections: step.corrections,
      tokens: generation?.tokens,
      reusedTokens: generation?.reusedTokens,
      ms: generation?.ms,
      waitedMs: generation?.waitedMs,
    });
    return { query: step.query, by: step.by };
  }

  /** Step 2: the model's answer from the facts, or null when the template stands in. */
  private async answerWith(
    model: HeldModel,
    text: string,
    query: WeatherQuery,
    facts: WeatherFacts,
  ): Promise<string | null> {
    const step = await writeAnswer(model.generator, text, query, facts, model.limits);
    const { generation } = step;
    this.log.debug('model answer', {
      version: model.version,
      used: step.text !== null,
      fallback: step.fallback,
      tokens: generation?.tokens,
      reusedTokens: generation?.reusedTokens,
      ms: generation?.ms,
      waitedMs: generation?.waitedMs,
    });
    return step.text;
  }

  private async respond(
    message: IncomingMessage,
    text: string,
    query: WeatherQuery,
    understoodBy: ReplySource['understanding'],
    started: number,
    model: HeldModel | null,
  ): Promise<Reply> {
    const how = (answer: ReplySource['answer'], error: string | null = null): Provenance => ({
      query,
      source: { understanding: understoodBy, answer },
      modelVersion: model?.version ?? null,
      error,
    });
    const found = await this.lookUp(message, query);
    if (found.kind !== 'weather') {
      const { code, ...reply } = found;
      return this.record(message, text, reply, how(found.kind, code), started);
    }
    const { report, facts } = found;
    const written = model && (await this.answerWith(model, text, query, facts));
    // A range comes with its chart.
    const image = isRange(query.when) ? forecastImage(report, chartDays(query.when)) : null;
    const reply: Reply = {
      kind: 'weather',
      text: written ?? renderAnswer(facts),
      report,
      facts,
      ...(image && { image }),
    };
    // The query is stored as parsed (a saved place stays out of it): it is what the model learns to write.
    return this.record(message, text, reply, how(written ? 'model' : 'template'), started);
  }

  /**
   * The weather a query asks for, as this message's author would get it (a saved place when it names none, their
   * units): the report and facts, or the reply that says why not.
   */
  private async lookUp(message: IncomingMessage, query: WeatherQuery): Promise<LookUp> {
    const [user, channel] = await Promise.all([
      this.store.getPreferences('user', message.platform, message.author.id),
      this.store.getPreferences('channel', message.platform, message.channelId),
    ]);
    const saved = user.location ?? channel.location;
    const target = query.location
      ? { location: query.location, region: query.region }
      : saved
        ? splitPlace(saved)
        : null;
    if (!target) return { kind: 'clarify', text: replies.askPlace, code: null };
    try {
      const place = await this.weather.resolvePlace(target.location, target.region);
      const units = this.chooseUnits(query, user, channel, place);
      const report = await this.weather.forecast(place, units);
      return { kind: 'weather', report, facts: buildFacts(report, query) };
    } catch (error) {
      const place = target.region ? `${target.location}, ${target.region}` : target.location;
      return { kind: 'error', ...this.explain(error, place) };
    }
  }

  private guard(message: IncomingMessage, text: string): Reply | undefined {
    // Moderators clearing a backlog of reactions are trusted; everyone else is rate-limited.
    const trusted = hasRole(message.author, 'moderator');
    if (!trusted && !this.limiter.take(`${message.platform}:${message.author.id}`))
      return { kind: 'limited', text: replies.rateLimited };
    if (text.length > this.options.maxMessageLength)
      return { kind: 'error', text: replies.tooLong(this.options.maxMessageLength) };
    if (!text.trim()) return { kind: 'smalltalk', text: replies.empty };
    return undefined;
  }

  private runCommand(message: IncomingMessage, invocation: CommandInvocation, options: ReplyOptions): Promise<Reply> {
    return runCommand(this.services, message, invocation, options.onProgress ?? (() => undefined));
  }

  private chooseUnits(query: WeatherQuery, user: Preferences, channel: Preferences, place: Place): UnitSystem {
    return (
      unitsFromQuery(query.units) ??
      user.units ??
      channel.units ??
      this.options.defaultUnits ??
      (place.countryCode && IMPERIAL_COUNTRIES.has(place.countryCode) ? 'imperial' : 'metric')
    );
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
  private async record(
    message: IncomingMessage,
    question: string,
    reply: Reply,
    how: Provenance,
    started: number,
  ): Promise<Reply> {
    if (this.options.capture === false) return reply;
    try {
      const exchange = await this.store.capture({
        platform: message.platform,
        channelId: message.channelId,
        userId: message.author.id,
        question,
        facts: reply.facts ?? null,
        answer: reply.text,
        ...how,
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

/** A platform's invocation with its name, text and string options made safe to store and echo (see safeText). */
function safeInvocation(given: CommandInvocation): CommandInvocation {
  const name = safeText(given.name);
  if ('text' in given) return { name, text: safeText(given.text) };
  const options = Object.entries(given.options).map(([key, value]) => [
    key,
    typeof value === 'string' ? safeText(value) : value,
  ]);
  return { name, options: Object.fromEntries(options) };
}
