import {
  NothingToRollBackError,
  RegistryBusyError,
  UnknownVersionError,
  VersionIntegrityError,
  type ActiveModel,
  type ModelRegistry,
} from '../../training/registry';
import { who } from '../operations';
import { defineCommand } from './command';
import { formatMetrics, learnedSinceRetrain, operationsOf, plainMessage } from './operations';

/** `/model status|history|rollback [version]|activate <version>` (admins). */
export const model = defineCommand({
  name: 'model',
  usage: '/model status | history | rollback [version] | activate <version>',
  summary: 'the active model, its history, a rollback, or a version put in charge by hand',
  description: 'Show or change the active language model (admins)',
  permission: 'admin',
  options: [
    {
      name: 'action',
      type: 'choice',
      description: 'what to do',
      choices: [{ value: 'status' }, { value: 'history' }, { value: 'rollback' }, { value: 'activate' }],
    },
    {
      name: 'version',
      type: 'string',
      description: 'the version to roll back to (default: the previous one) or to activate',
      maxLength: 64,
    },
  ],
  hint: 'Use /model status, /model history, /model rollback [version] or /model activate <version>.',
  async run({ options: { action = 'status', version }, message, services }) {
    const { registry, audit } = operationsOf(services);
    if (action === 'status') {
      const active = await registry.active();
      if (!active)
        return {
          kind: 'command',
          text: `No model is active: answers come from rules and templates. An admin can run /retrain. ${await learnedSinceRetrain(services)}`,
        };
      const { manifest } = active;
      return {
        kind: 'command',
        text:
          `Active model ${active.id}, fine-tuned from ${manifest.baseModel} on ` +
          `${manifest.createdAt.slice(0, 16).replace('T', ' ')} UTC. Metrics: ${formatMetrics(manifest.metrics)}.\n` +
          (await learnedSinceRetrain(services)),
      };
    }
    if (action === 'history') {
      const versions = (await registry.history()).slice(0, 10);
      if (versions.length === 0) return { kind: 'command', text: 'No model versions yet.' };
      const lines = versions.map(
        (v) =>
          `${v.id} — ${v.manifest.status}${v.manifest.note ? ` (${v.manifest.note})` : ''}: ${formatMetrics(v.manifest.metrics)}`,
      );
      return { kind: 'command', text: lines.join('\n') };
    }
    const change = CHANGES[action];
    if (change.needsVersion && !version)
      return { kind: 'command', text: `Name the version: /model ${action} <version> (see /model history).` };
    try {
      const active = await change.run(registry, version);
      await audit.record({ who: who(message), action: `model ${action}`, target: active.id, outcome: 'done' });
      return { kind: 'command', text: `${change.done(active.id)} The bot switches to it within seconds.` };
    } catch (error) {
      services.log.warn('model change failed', { action, version, error });
      await audit.record({
        who: who(message),
        action: `model ${action}`,
        target: version,
        outcome: 'failed',
        detail: String(error),
      });
      return {
        kind: 'error',
        text: `Could not ${change.verb}: ${plainReason(error)}`,
      };
    }
  },
});

/**
 * Why a change was refused, in words for the admin in chat: the registry's own messages name folders and functions,
 * which stay in the log and the audit.
 */
function plainReason(error: unknown): string {
  if (error instanceof UnknownVersionError) return 'there is no model version of that name (see /model history).';
  if (error instanceof VersionIntegrityError)
    return `the files of ${error.id} have changed since it was saved, so it cannot be used. Pick another version.`;
  if (error instanceof NothingToRollBackError) return 'there is no other kept version to go back to.';
  if (error instanceof RegistryBusyError) return 'a training job is changing the models right now. Try again shortly.';
  // The registry's refusals that name no folder or function ("v3 is marked failed …") are already plain.
  return plainMessage(error) ?? 'something is wrong with the saved models; the details are in the bot’s log.';
}

/** The ways an admin switches the active version. */
const CHANGES: Record<
  'rollback' | 'activate',
  {
    verb: string;
    needsVersion: boolean;
    run: (registry: ModelRegistry, version?: string) => Promise<ActiveModel>;
    done: (id: string) => string;
  }
> = {
  rollback: {
    verb: 'roll back',
    needsVersion: false,
    run: (registry, version) => registry.rollback(version),
    done: (id) => `Rolled back: ${id} is active again.`,
  },
  // A candidate the gate kept back (or the first version, when none is active yet) is put in charge by hand.
  activate: {
    verb: 'activate',
    needsVersion: true,
    run: (registry, version) => registry.activate(version as string),
    done: (id) => `${id} is now the active model.`,
  },
};
