import { datasetStats, formatStats } from '../../training/dataset/stats';
import { echo } from '../core/text';
import { defineCommand } from './command';
import { describeLesson } from './moderation';
import { learnedSinceRetrain, operationsOf } from './operations';

/** Lessons listed at most; the newest are the ones shown. */
const LESSONS_SHOWN = 20;

/** `/dataset stats|lessons` (moderators): what the bot has captured, what it would train on, what it was taught. */
export const dataset = defineCommand({
  name: 'dataset',
  usage: '/dataset stats|lessons',
  summary: 'counts of captured and moderated answers, or the lessons taught by corrections',
  description: 'Facts about the captured conversations and the lessons taught (moderators)',
  permission: 'moderator',
  replyPrivately: true,
  options: [
    {
      name: 'action',
      type: 'choice',
      description: 'what to show',
      choices: [{ value: 'stats' }, { value: 'lessons' }],
    },
  ],
  hint: 'Use /dataset stats or /dataset lessons.',
  async run({ options, services }) {
    if (options.action === 'lessons') {
      const lessons = services.lessons.list();
      if (lessons.length === 0)
        return { kind: 'command', text: 'No lessons yet: correct what I misread with /correct.' };
      const lines = lessons
        .slice(-LESSONS_SHOWN)
        .map((lesson) => `${lesson.id} “${echo(lesson.message)}” — ${describeLesson(lesson)}`);
      const more = lessons.length > LESSONS_SHOWN ? ` (the newest ${LESSONS_SHOWN} shown)` : '';
      return {
        kind: 'command',
        text: `${lessons.length} lesson${lessons.length === 1 ? '' : 's'}${more}; /forget <id> drops one:\n${lines.join('\n')}`,
      };
    }
    const { seedDir } = operationsOf(services);
    const stats = await datasetStats({ store: services.exchanges, seedDir }, { prepare: false });
    return { kind: 'command', text: `${formatStats(stats).trimEnd()}\n${await learnedSinceRetrain(services)}` };
  },
});
