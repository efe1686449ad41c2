/**
 * `cli teach`, `cli parse` and `cli model`, run as an operator runs them, on a temp data folder and a local
 * Open-Meteo: lessons taught through the chat's correction path, read by `parse` afterwards, not by `parse --rules`.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startOpenMeteoEmulator, type OpenMeteoEmulator } from '../emulators/openmeteo';
import { untrainedModel } from '../helpers/model-fixtures';
import { runScript } from '../helpers/run-script';

let emulator: OpenMeteoEmulator;
let dataDir: string;
let env: Record<string, string>;

beforeAll(async () => {
  emulator = await startOpenMeteoEmulator();
  dataDir = await mkdtemp(join(tmpdir(), 'teach-cli-'));
  env = {
    DATA_DIR: dataDir,
    OPEN_METEO_GEOCODING_URL: emulator.geocodingUrl,
    OPEN_METEO_FORECAST_URL: emulator.forecastUrl,
    MODEL: 'off',
    LOG_LEVEL: 'warn',
  };
});
afterAll(async () => {
  await emulator.close();
  await rm(dataDir, { recursive: true, force: true });
});

const cli = (args: string[], input = '') => runScript('scripts/cli.ts', args, { env, input });
const jsonLines = (stdout: string) =>
  stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line));
const query = (location: string | null, when: string, aspect: string, region: string | null = null) => ({
  weather: true,
  location,
  region,
  when,
  aspect,
  units: null,
});

test('teach: each lesson asked and corrected like a chat correction; parse reads what was taught', async () => {
  const lessons = [
    { message: 'rain in Cowtown tomorrow?', reading: query('Fort Worth', 'tomorrow', 'rain') },
    { message: 'wird es morgen in Paris regnen?', reading: query('Paris', 'tomorrow', 'rain') },
    { message: 'how is the jazz tonight', reading: { weather: false } },
    { message: 'weather in Xyzzyville', reading: query('Xyzzyville', 'now', 'general') },
    { message: 'no reading here' },
  ];
  const taught = await cli(['teach'], lessons.map((lesson) => JSON.stringify(lesson)).join('\n') + '\nnot json\n');
  expect(taught.code).toBe(1);
  const results = jsonLines(taught.stdout);
  expect(results).toHaveLength(6);
  expect(results[0]).toMatchObject({
    message: 'rain in Cowtown tomorrow?',
    exchange: '000001-0000',
    saved: true,
    confirmation: expect.stringContaining('Learned: “cowtown” means Fort Worth'),
    answer: expect.stringMatching(/Fort Worth, Texas, US/),
  });
  expect(results[1]).toMatchObject({ saved: true, confirmation: expect.stringContaining('regnen') });
  expect(results[2]).toMatchObject({ saved: true, answer: '' });
  expect(results[3]).toMatchObject({ saved: false, error: expect.stringMatching(/^Not saved: I couldn't find/) });
  expect(results[4]).toMatchObject({ saved: false, error: 'reading must be a query as parse prints it' });
  expect(results[5]).toEqual({ saved: false, error: 'not JSON' });

  const input = 'snow in cowtown on friday\nregnet es morgen in Tokyo?\n';
  const learned = jsonLines((await cli(['parse'], input)).stdout);
  expect(learned).toEqual([query('Fort Worth', 'friday', 'snow'), query('Tokyo', 'tomorrow', 'rain')]);
  const rules = jsonLines((await cli(['parse', '--rules'], input)).stdout);
  expect(rules).toEqual([query('Cowtown', 'friday', 'snow'), { weather: false }]);
}, 60_000);

test('evaluate scores the rules with what was taught, as users get them', async () => {
  const seedDir = join(dataDir, 'seed');
  await mkdir(seedDir, { recursive: true });
  const example = (id: string, message: string, q: ReturnType<typeof query>) =>
    JSON.stringify({ id, message, query: q, facts: null, answer: null, source: 'seed' });
  await writeFile(
    join(seedDir, 'test.jsonl'),
    [
      example('seed-1', '¿lloverá mañana en Oslo?', query('Oslo', 'tomorrow', 'rain')),
      example('seed-2', 'snow in Oslo tomorrow', query('Oslo', 'tomorrow', 'snow')),
    ].join('\n') + '\n',
  );
  const model = join(await untrainedModel(join(dataDir, 'untrained')), 'model');
  const rulesMean = async () => {
    const { stdout } = await cli(['evaluate', '--model', model, '--seed-dir', seedDir]);
    return Number(/rules_parse_mean=([\d.]+)/.exec(stdout)?.[1]);
  };
  const before = await rulesMean();
  const lesson = { message: '¿lloverá mañana en Paris?', reading: query('Paris', 'tomorrow', 'rain') };
  expect((await cli(['teach'], JSON.stringify(lesson))).code).toBe(0);
  expect(before).toBeLessThan(1);
  expect(await rulesMean()).toBe(1);
}, 60_000);

test('parse --model without a model, and model list/activate/rollback on an empty registry, say so', async () => {
  const model = await cli(['parse', '--model'], 'hi\n');
  expect(model.code).toBe(1);
  expect(model.stderr).toMatch(/MODEL is off/);
  expect((await cli(['model', 'list'])).stdout.trim()).toBe('no model versions yet');
  const latest = await cli(['model', 'activate', 'latest']);
  expect([latest.code, latest.stderr.trim()]).toEqual([1, 'model activate: there is no model version to activate']);
  expect((await cli(['model', 'activate'])).code).toBe(2);
  expect((await cli(['model', 'rollback'])).code).toBe(1);
}, 60_000);
