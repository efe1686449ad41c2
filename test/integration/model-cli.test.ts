/**
 * @jest-environment ./test/env/typed-arrays.js
 *
 * The offline default and the CLIs, run as a user runs them: without a model the bot works on
 * rules and templates and says once how to get one; with one, `parse` and `ask` use it.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NO_MODEL_NOTICE } from '../../bot/model/runtime';
import { understandByRules } from '../../bot/understanding/rules';
import { createModelWorld, scriptedCases, scriptedExamples, type ModelWorld } from '../helpers/model-bot';
import { taughtModel } from '../helpers/model-fixtures';
import { runScript } from '../helpers/run-script';

const cases = scriptedCases();

let world: ModelWorld;
let work: string;

beforeAll(async () => {
  world = await createModelWorld();
  work = await mkdtemp(join(tmpdir(), 'model-cli-'));
});
afterAll(async () => {
  await world?.close();
  await rm(work, { recursive: true, force: true });
});

const run = (script: string, args: string[], input = '') =>
  runScript(script, args, { env: { ...world.env, LOG_LEVEL: 'warn' }, input });

const parseLines = (stdout: string) =>
  stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line));
const LINES = [cases.used.message, '', cases.junk.message, 'thanks!'];

describe('no model yet', () => {
  test('npm start answers on rules and templates and says once, briefly, how to get a model', async () => {
    const { code, stdout } = await run('bot/main.ts', [], `${cases.used.message}\n/quit\n`);
    expect(code).toBe(0);
    expect(stdout.split(NO_MODEL_NOTICE)).toHaveLength(2);
    expect(stdout).toMatch(/bot › Tomorrow \(Thu 26 Nov\) in Paris, Île-de-France, FR: /);
  }, 30_000);

  test('cli parse reads with the rules, one line out per line in', async () => {
    const { code, stdout } = await run('scripts/cli.ts', ['parse'], LINES.join('\n') + '\n');
    expect(code).toBe(0);
    expect(parseLines(stdout)).toEqual(LINES.map(understandByRules));
  }, 30_000);

  test('cli evaluate has no model to score, and says how to get one', async () => {
    const { code, stderr } = await run('scripts/cli.ts', ['evaluate']);
    expect(code).toBe(2);
    expect(stderr).toMatch(
      /^evaluate: no model version is active in .*models: train one \(cli train --base tiny\) or pass --model\n/,
    );
  }, 30_000);
});

describe('with an active model', () => {
  beforeAll(async () => {
    const source = await taughtModel(join(work, 'model'), await scriptedExamples(world, Object.values(cases)));
    const version = await world.registry.register(source, { baseModel: 'tiny' });
    await world.registry.activate(version.id);
  }, 60_000);

  test('cli parse writes each query with the model, guarded by the rules, line for line; --rules reads with the rules', async () => {
    const [model, rules] = await Promise.all([
      run('scripts/cli.ts', ['parse'], LINES.join('\n') + '\n'),
      run('scripts/cli.ts', ['parse', '--rules'], LINES.join('\n') + '\n'),
    ]);
    expect(model.code).toBe(0);
    // The model's query for the first line (aspect rain), the rules' where its text is junk or the line blank.
    expect(parseLines(model.stdout)).toEqual([
      cases.used.query,
      { weather: false },
      understandByRules(cases.junk.message),
      { weather: false },
    ]);
    expect(parseLines(rules.stdout)).toEqual(LINES.map(understandByRules));
  }, 30_000);

  test('cli ask replies with the model; --rules with the template', async () => {
    const [model, rules] = await Promise.all([
      run('scripts/cli.ts', ['ask', cases.used.message]),
      run('scripts/cli.ts', ['ask', '--rules', cases.used.message]),
    ]);
    expect(model.stdout).toBe('Take a coat in Paris.\n');
    expect(rules.stdout).toMatch(/^Tomorrow \(Thu 26 Nov\) in Paris, Île-de-France, FR: /);
  }, 30_000);

  test('cli evaluate scores the model on the held-out split beside the rules: per field, and its answers', async () => {
    // The model reads `used` right (aspect rain, where the rules say general), writes junk for `junk`,
    // and answers `ungrounded` with a number the facts do not hold.
    const seedDir = join(work, 'seed');
    await mkdir(seedDir, { recursive: true });
    const lines = await Promise.all(
      Object.values(cases).map(async (c, i) => {
        const facts = await world.factsFor(c.query);
        return JSON.stringify({
          id: `seed-${i}`,
          message: c.message,
          query: c.query,
          facts,
          answer: c.answer,
          source: 'seed',
        });
      }),
    );
    await writeFile(join(seedDir, 'test.jsonl'), lines.join('\n') + '\n');
    const active = (await world.registry.active())!;
    const [byActive, byFolder] = await Promise.all([
      run('scripts/cli.ts', ['evaluate', '--seed-dir', seedDir]),
      run('scripts/cli.ts', ['evaluate', '--seed-dir', seedDir, '--model', active.modelDir, '--samples', '2']),
    ]);
    expect(byActive.code).toBe(0);
    expect(byActive.stdout).toMatch(new RegExp(`^${active.id} on 3 held-out seed conversations\n`));
    expect(byActive.stdout).toMatch(/\n {2}aspect +67% +67%\n/);
    expect(byActive.stdout).toMatch(/\n {2}location +67% +100%\n/);
    expect(byActive.stdout.trim().split('\n').at(-1)).toBe(
      // Three examples earn the model no say (say.ts): the bot reads as the rules do, its aspect too.
      'model_parse_mean=0.667 bot_parse_mean=0.944 rules_parse_mean=0.944 fact_consistency=0.667 samples=3',
    );
    // Two samples spread over three: the first and the second.
    expect(byFolder.stdout.trim().split('\n').at(-1)).toBe(
      'model_parse_mean=1.000 bot_parse_mean=0.917 rules_parse_mean=0.917 fact_consistency=0.500 samples=2',
    );
  }, 60_000);

  test('cli evaluate names a wrong option and what it expects', async () => {
    const [samples, model] = await Promise.all([
      run('scripts/cli.ts', ['evaluate', '--samples', '0']),
      run('scripts/cli.ts', ['evaluate', '--model', 'v9999']),
    ]);
    expect(samples.code).toBe(2);
    expect(samples.stderr).toMatch(/^evaluate: --samples must be a whole number of at least 1, got "0"\nusage: /);
    expect(model.code).toBe(2);
    expect(model.stderr).toMatch(
      /^evaluate: --model v9999 is neither a model folder \(no config.json\) nor a version in /,
    );
  }, 30_000);
});
