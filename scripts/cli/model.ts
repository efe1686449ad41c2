/** `model <subcommand>`: pull a base model from the hub (more subcommands come with the registry). */
const SUBCOMMANDS: Record<string, () => Promise<{ run(args: string[]): Promise<number> }>> = {
  pull: () => import('./model-pull'),
};

export async function run([sub, ...args]: string[]): Promise<number> {
  const load = sub !== undefined && Object.hasOwn(SUBCOMMANDS, sub) ? SUBCOMMANDS[sub] : undefined;
  return load ? (await load()).run(args) : 2;
}
