import type { WeatherFacts, WeatherReport } from '../core/domain';

export type Role = 'moderator' | 'admin';

/** Who sent a message; adapters map platform roles and permissions onto these two roles. */
export interface Author {
  id: string;
  name?: string;
  roles: readonly Role[];
}

/** A chat message as every adapter hands it to the assistant. */
export interface IncomingMessage {
  platform: string;
  channelId: string;
  author: Author;
  text: string;
}

/** A slash command as a platform delivers it (Discord/Slack), already split from its arguments. */
export interface CommandInvocation {
  name: string;
  args: string;
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
}
