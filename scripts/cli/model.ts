/** `model <subcommand>`: pull a base model from the hub; list, activate and roll back the registry's versions. */
const SUBCOMMANDS: Record<string, () => Promise<{ run(args: string[]): Promise<number> }>> = {
  pull: () => import('./model-pull'),
  list: () => import('./model-versions'),
  activate: () => import('./model-versions'),
  rollback: () => import('./model-versions'),
};

export async function run([sub, ...args]: string[]): Promise<number> {
  const load = sub !== undefined && Object.hasOwn(SUBCOMMANDS, sub) ? SUBCOMMANDS[sub] : undefined;
  if (!load) return 2;
  return (await load()).run(sub === 'pull' ? args : [sub, ...args]);
}
