import type { Reply } from '../chat/message';

/** A chat platform connection: platform I/O only; everything else is the assistant's. */
export interface Adapter {
  readonly name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Posts a reply nobody asked for just now (a subscribed forecast) in a channel or direct-message conversation. */
  post(channelId: string, reply: Reply): Promise<void>;
}
