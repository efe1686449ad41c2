import type { Command } from './command';
import { who } from '../operations';
import { formatMetrics, operationsOf } from './operations';

/** `/model status|history|rollback [version]` (admins). */
export const model: Command = {
  name: 'model',
  usage: '/model status | history | rollback [version]',
  summary: 'the active model, its history, or a rollback',
  permission: 'admin',
  async run({ assistant, message, args }) {
    const { registry, audit } = operationsOf(assistant);
    const [action = 'status', version] = args.split(/\s+/).filter(Boolean);
    if (action === 'status') {
      const active = await registry.active();
      if (!active) return { kind: 'command', text: 'No model is active: answers come from rules and templates. An admin can run /retrain.' };
      const { manifest } = active;
      return { kind: 'command', text: `Active model ${active.id}, fine-tuned from ${manifest.baseModel} on ${manifest.createdAt.slice(0, 16).replace('T', ' ')} UTC. Metrics: ${formatMetrics(manifest.metrics)}.` };
    }
    if (action === 'history') {
      const versions = (await registry.history()).slice(0, 10);
      if (versions.length === 0) return { kind: 'command', text: 'No model versions yet.' };
      const lines = versions.map((v) => `${v.id} — ${v.manifest.status}${v.manifest.note ? ` (${v.manifest.note})` : ''}: ${formatMetrics(v.manifest.metrics)}`);
      return { kind: 'command', text: lines.join('\n') };
    }
    if (action === 'rollback') {
      try {
        const active = await registry.rollback(version);
        await audit.record({ who: who(message), action: 'model rollback', target: active.id, outcome: 'done' });
        return { kind: 'command', text: `Rolled back: ${active.id} is active again. The bot switches to it within seconds.` };
      } catch (error) {
        await audit.record({ who: who(message), action: 'model rollback', target: version, outcome: 'failed', detail: String(error) });
        return { kind: 'error', text: `Could not roll back: ${error instanceof Error ? error.message : String(error)}` };
      }
    }
    return { kind: 'command', text: 'Use /model status, /model history or /model rollback [version].' };
  },
};
