/**
 * @jest-environment ./test/env/typed-arrays.js
 *
 * The offline default and the CLIs, run as a user runs them: without a model the bot works on
 * rules and templates and says once how to get one; with one, `parse` and `ask` use it.
 */
import { mkdtemp, rm } from 'node:fs/promises';
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

const run = (script: string, args: string[], input = '') => runScript(script, args, { env: { ...world.env, LOG_LEVEL: 'warn' }, input });

const parseLines = (stdout: string) => stdout.trim().split('\n').map((line) => JSON.parse(line));
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
    expect(parseLines(model.stdout)).toEqual([cases.used.query, { weather: false }, understandByRules(cases.junk.message), { weather: false }]);
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
});
