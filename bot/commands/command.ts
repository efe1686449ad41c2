import { hasRole, type Author, type IncomingMessage, type Reply, type Role } from '../chat/message';
import type { Place, Understanding, WeatherQuery } from '../core/domain';
import type { Logger } from '../core/log';
import type { Store } from '../core/store';
import type { Operations } from '../operations';
import type { Correction, Lesson } from '../understanding/lessons';
import type { GivenOptions, OptionSpec, OptionValues } from './options';

export type Permission = 'everyone' | Role;

/** The assistant's weather answers, for /weather; each is captured like any other answer. */
export interface WeatherAnswers {
  /** Whether the weather provider issues severe-weather alerts (OpenWeather; Open-Meteo has none). */
  hasAlerts: boolean;
  /** Answers text as a chat message is answered. */
  ask(message: IncomingMessage, text: string): Promise<Reply>;
  /** The rules' reading of a text. */
  understand(text: string): Understanding;
  /** Answers a query the command made; the exchange records `question` as understood by the command. */
  answer(message: IncomingMessage, question: string, query: WeatherQuery): Promise<Reply>;
  /** The weather for a query as the message's author would get it, with the template answer; nothing is captured. */
  lookUp(message: IncomingMessage, query: WeatherQuery): Promise<Reply>;
}

/** What commands act on, each service as narrow as they use it. */
export interface CommandServices {
  /** Where /units and /setlocation save a user's or a channel's choice; /subscribe reads them. */
  preferences: Pick<Store, 'getPreferences' | 'setPreferences'>;
  /** The forecasts /subscribe asks to be posted every day. */
  subscriptions: Pick<Store, 'subscriptions' | 'subscribe' | 'unsubscribe' | 'setSubscriptionAlerts'>;
  /** Finds a place as someone typed it, for /setlocation to check before saving. */
  places: { resolvePlace(location: string, region: string | null): Promise<Place> };
  /** The captured exchanges: moderated by /approve, /reject and /correct, counted by /dataset. */
  exchanges: Pick<Store, 'get' | 'moderate' | 'undoModeration' | 'forgetLesson' | 'exchanges'>;
  /** What moderators taught by correcting readings, read into every message from then on. */
  lessons: {
    /** Learns what a correction teaches (replacing what that exchange taught before); null when nothing. */
    learn(correction: Correction): Lesson | null;
    /** Stops reading messages by the lesson of that exchange; false when there was none. */
    forget(id: string): boolean;
    list(): Lesson[];
  };
  /** The exchange of the last answer in a channel: what a moderation command without an id acts on. */
  lastExchange(platform: string, channelId: string): string | undefined;
  weather: WeatherAnswers;
  /** Training jobs, the model registry, the seed and the audit; absent in a process without them. */
  operations?: Operations;
  log: Logger;
  /** Every command, for /help. */
  commands: readonly Command[];
}

/** Reports progress of a long-running command to whoever started it. */
export type Progress = (text: string) => void | Promise<void>;

export interface CommandContext<V> {
  options: V;
  message: IncomingMessage;
  services: CommandServices;
  progress: Progress;
}

/**
 * One platform-neutral command: its name, who may run it, its options and its handler. Adapters
 * only deliver it; where it runs (./index.ts), the permission is checked and the options are read.
 */
export interface Command<S extends readonly OptionSpec[] = readonly OptionSpec[]> {
  name: string;
  /** How it is typed, for /help and Slack's hint. */
  usage: string;
  /** Its line in /help. */
  summary: string;
  /** Its line in the platforms' command menus (Discord, Slack). */
  description: string;
  permission: Permission;
  options: S;
  /** What to say when its options do not read; the reader's own words naming the option otherwise. */
  hint?: string;
  /** Typed in chat only: on the platforms, moderators use reactions and the Correct answer action instead. */
  chatOnly?: boolean;
  /** The reply is shown only to whoever ran it, where the platform can (settings, help). */
  replyPrivately?: boolean;
  run(context: CommandContext<OptionValues<S>>): Promise<Reply>;
}

/** Declares a command; its handler gets the options typed as they are declared. */
export const defineCommand = <const S extends readonly OptionSpec[]>(command: Command<S>): Command<S> => command;

/** A command as delivered: the text after its name (chat, Slack), or its options by name (Discord, reactions). */
export type CommandInvocation = { name: string; text: string } | { name: string; options: GivenOptions };

/** The invocation as someone would have typed it: "/units channel f". */
export const invocationText = (invocation: CommandInvocation): string =>
  `/${invocation.name} ${'text' in invocation ? invocation.text : Object.values(invocation.options).join(' ')}`.trim();

export const mayRun = (author: Author, command: Command): boolean =>
  command.permission === 'everyone' || hasRole(author, command.permission);
