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
  /** Waits for pending writes, then lets another process open the data folder. */
  close(): Promise<void>;
}

/** What training reads of the store: the exchanges, and nothing it could change. */
export type ExchangeSource = Pick<Store, 'exchanges' | 'close'>;
