import { datasetStats, formatStats } from '../../training/dataset/stats';
import type { Command } from './command';
import { operationsOf } from './operations';

/** `/dataset stats` (moderators): what the bot has captured and what it would train on. */
export const dataset: Command = {
  name: 'dataset',
  usage: '/dataset stats',
  summary: 'counts of captured and moderated answers',
  permission: 'moderator',
  async run({ assistant, args }) {
    if (args && args !== 'stats') return { kind: 'command', text: 'Use /dataset stats.' };
    const { seedDir } = operationsOf(assistant);
    const stats = await datasetStats({ store: assistant.store, seedDir }, { prepare: false });
    return { kind: 'command', text: formatStats(stats).trimEnd() };
  },
};
