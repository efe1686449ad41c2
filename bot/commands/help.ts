import { EXAMPLE } from '../chat/replies';
import { defineCommand, mayRun } from './command';

export const help = defineCommand({
  name: 'help',
  usage: '/help',
  summary: 'what I can do',
  description: 'What I can do',
  permission: 'everyone',
  replyPrivately: true,
  options: [],
  async run({ message, services }) {
    const lines = services.commands
      .filter((command) => mayRun(message.author, command))
      .map((c) => `  ${c.usage} — ${c.summary}`);
    const intro = `Ask me about the weather in plain words, e.g. ${EXAMPLE}, “is it windy in Chicago tonight?”, “sunset in Tokyo on Saturday”.`;
    return { kind: 'command', text: [intro, 'Commands:', ...lines].join('\n') };
  },
});
