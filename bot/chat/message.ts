/**
 * A conversation in platform-neutral words: who wrote what, and the reply. The adapters, the
 * assistant and the commands all speak them.
 */
import type { WeatherFacts, WeatherReport } from '../core/domain';
import type { ChatImage } from '../core/png';

export type Role = 'moderator' | 'admin';

/** Who sent a message; adapters map platform roles and permissions onto these two roles. */
export interface Author {
  id: string;
  name?: string;
  roles: readonly Role[];
}

/** Whether the author holds the role; admins can do everything moderators can. */
export const hasRole = (author: Author, role: Role): boolean =>
  author.roles.includes(role) || author.roles.includes('admin');

/** A chat message as every adapter hands it to the assistant. */
export interface IncomingMessage {
  platform: string;
  channelId: string;
  author: Author;
  text: string;
  /** A direct-message conversation with the bot, not a channel others read. */
  direct?: boolean;
}

export type ReplyKind = 'weather' | 'smalltalk' | 'clarify' | 'error' | 'command' | 'refused' | 'limited';

/** The assistant's answer; adapters render `text`, and may render `report` richly (embeds, blocks). */
export interface Reply {
  kind: ReplyKind;
  text: string;
  /** The captured exchange, for moderation. */
  exchangeId?: string;
  report?: WeatherReport;
  facts?: WeatherFacts;
  /**
   * A saved correction's answer, for the asker: platforms post it where the question was asked (with `report` and
   * `facts` when the weather was looked up again), while `text` tells the moderator what was saved. Empty when the
   * correction leaves nothing new to say.
   */
  corrected?: string;
  /** A picture posted with the text (a retrain's loss chart). */
  image?: ChatImage;
  /** A line about the reply itself, shown beside it (a subscribed forecast: which one, and how to stop it). */
  note?: string;
}
