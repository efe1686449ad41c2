import type { Assistant } from '../assistant/assistant';
import type { IncomingMessage, Reply, Role } from '../assistant/message';

export interface CommandContext {
  assistant: Assistant;
  message: IncomingMessage;
  /** Everything after the command name, trimmed. */
  args: string;
  /** Reports progress of a long-running command to whoever started it. */
  progress: (text: string) => void | Promise<void>;
}

/** One platform-neutral command: adapters only deliver it; the assistant checks `permission` before `run`. */
export interface Command {
  name: string;
  aliases?: string[];
  usage: string;
  summary: string;
  permission: 'everyone' | Role;
  run(context: CommandContext): Promise<Reply>;
}
