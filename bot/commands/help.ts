import { EXAMPLE } from '../assistant/replies';
import type { Command } from './command';
import { commands } from '.';

export const help: Command = {
  name: 'help',
  usage: '/help',
  summary: 'what I can do',
  permission: 'everyone',
  async run({ assistant, message }) {
    const visible = commands.filter((c) => c.permission === 'everyone' || assistant.hasRole(message, c.permission));
    const lines = visible.map((c) => `  ${c.usage} — ${c.summary}`);
    return {
      kind: 'command',
      text: [`Ask me about the weather in plain words, e.g. ${EXAMPLE}, “is it windy in Chicago tonight?”, “sunset in Tokyo on Saturday”.`, 'Commands:', ...lines].join('\n'),
    };
  },
};
