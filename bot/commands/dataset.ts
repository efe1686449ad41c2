import { datasetStats, formatStats } from '../../training/dataset/stats';
import { defineCommand } from './command';
import { operationsOf } from './operations';

/** `/dataset stats` (moderators): what the bot has captured and what it would train on. */
export const dataset = defineCommand({
  name: 'dataset',
  usage: '/dataset stats',
  summary: 'counts of captured and moderated answers',
  description: 'Facts about the captured conversations (moderators)',
  permission: 'moderator',
  replyPrivately: true,
  options: [{ name: 'action', type: 'choice', description: 'what to show', choices: [{ value: 'stats' }] }],
  hint: 'Use /dataset stats.',
  async run({ services }) {
    const { seedDir } = operationsOf(services);
    const stats = await datasetStats({ store: services.exchanges, seedDir }, { prepare: false });
    return { kind: 'command', text: formatStats(stats).trimEnd() };
  },
});
