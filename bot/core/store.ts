import type { Exchange, ModerationStatus, NewExchange, Understanding, UnitSystem, WeatherFacts } from './domain';

export interface Preferences {
  units?: UnitSystem;
  /** The place to use when a message names none, as the user typed it ("Paris, TX"). */
  location?: string;
}

export type PreferenceScope = 'user' | 'channel';

export interface ModerationChange {
  status: Exclude<ModerationStatus, 'pending'>;
  /** Raw platform id of the moderator; stored hashed. */
  moderatorId: string;
  platform: string;
  correction?: string;
  /** With status 'corrected': what the message meant, and the facts looked up for it. */
  reading?: Understanding;
  facts?: WeatherFacts | null;
}

export interface ExchangeFilter {
  status?: ModerationStatus[];
}

export type ForecastDays = 'daily' | 'weekdays';

/** A forecast posted unasked, every day (or weekday) at a local time of its place. */
export interface Subscription {
  /** "f1", "f2" …: short, to type in /unsubscribe. */
  id: string;
  platform: string;
  /** Where it is posted (a channel or a direct-message conversation), as the platform names it. */
  channelId: string;
  direct: boolean;
  /** The subscriber's hashed user id. */
  owner: string;
  /** As the subscriber typed it ("Paris, TX"), looked up again for each post. */
  place: string;
  /** As it was found: "Paris, Texas, US". */
  placeLabel: string;
  /** The place's time zone, whose wall clock `time` is read on. */
  timezone: string;
  /** "07:30". */
  time: string;
  days: ForecastDays;
  /** The subscriber's units when they subscribed; null: the place's country's. */
  units: UnitSystem | null;
  createdAt: string;
  /** The place's local date last handled (posted, or skipped as too late); null before the first. */
  lastDay: string | null;
  /** Whether severe-weather alerts for the place are posted too (/alerts on). */
  alerts: boolean;
  /** Ids of the alerts already posted, newest last (the last ALERTS_KEPT). */
  alertsSeen: string[];
}

/** How many posted alerts' ids a subscription keeps: alerts last days, and a place gets a few at once. */
export const ALERTS_KEPT = 50;

export type NewSubscription = Omit<Subscription, 'id' | 'owner' | 'createdAt' | 'lastDay' | 'alerts' | 'alertsSeen'> & {
  /** Raw platform id of the subscriber; stored hashed. */
  ownerId: string;
};

export interface SubscriptionFilter {
  platform?: string;
  channelId?: string;
  /** Raw platform id of the subscriber. */
  ownerId?: string;
}

/** How many subscriptions one channel, and one subscriber, may hold. */
export interface SubscriptionLimits {
  perChannel: number;
  perOwner: number;
}

export class SubscriptionLimitError extends Error {
  override name = 'SubscriptionLimitError';
  constructor(readonly limit: keyof SubscriptionLimits) {
    super(`too many subscriptions ${limit === 'perChannel' ? 'in this channel' : 'for this subscriber'}`);
  }
}

/**
 * Where exchanges and preferences live. `capture` resolves only once the record is durable:
 * an acknowledged record survives a crash of the process.
 */
export interface Store {
  /** Stores the exchange as 'pending', with its id, `createdAt` and hashed channel and user ids. */
  capture(exchange: NewExchange): Promise<Exchange>;
  get(id: string): Promise<Exchange | undefined>;
  /** Sets the moderation (again, if already moderated); throws for an unknown id. */
  moderate(id: string, change: ModerationChange): Promise<Exchange>;
  /** Puts back the moderation the last change replaced (pending after the first); throws for an unknown id. */
  undoModeration(id: string): Promise<Exchange>;
  /** Marks a corrected reading as no lesson for other messages (it stays training data); throws for an unknown id. */
  forgetLesson(id: string): Promise<Exchange>;
  /** Every stored exchange matching the filter, oldest first, read a file at a time. */
  exchanges(filter?: ExchangeFilter): AsyncIterable<Exchange>;
  countByStatus(): Promise<Record<ModerationStatus, number>>;
  /** `{}` when nothing is set. */
  getPreferences(scope: PreferenceScope, platform: string, id: string): Promise<Preferences>;
  /** Merges the patch (a field set to undefined is removed) and returns the result. */
  setPreferences(scope: PreferenceScope, platform: string, id: string, patch: Preferences): Promise<Preferences>;
  /** Every subscription matching the filter, oldest first. */
  subscriptions(filter?: SubscriptionFilter): Promise<Subscription[]>;
  /** Stores a subscription once it is durable; SubscriptionLimitError past a limit. */
  subscribe(subscription: NewSubscription, limits: SubscriptionLimits): Promise<Subscription>;
  /** Removes it; undefined when there was none. */
  unsubscribe(id: string): Promise<Subscription | undefined>;
  /** Records the local date a subscription's forecast was handled, durably, before it is posted. */
  markForecastDay(id: string, day: string): Promise<void>;
  /** Turns a subscription's alerts on or off; undefined when there is none. */
  setSubscriptionAlerts(id: string, on: boolean): Promise<Subscription | undefined>;
  /** Records an alert as posted for a subscription, durably, before it is posted. */
  markAlertSeen(id: string, alertId: string): Promise<void>;
  /** Waits for pending writes, then lets another process open the data folder. */
  close(): Promise<void>;
}

/** What training reads of the store: the exchanges, and nothing it could change. */
export type ExchangeSource = Pick<Store, 'exchanges' | 'close'>;
