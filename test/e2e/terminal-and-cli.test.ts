import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startOpenMeteoEmulator, type OpenMeteoEmulator } from '../emulators/openmeteo';
import { runCommand, runScript } from '../helpers/run-script';

/** Runs a project entry point with only the given variables. */
const run = (script: string, args: string[], env: Record<string, string>, input = '') =>
  runScript(script, args, { env, input });

let emulator: OpenMeteoEmulator;
let dataDir: string;
let env: Record<string, string>;
beforeAll(async () => {
  emulator = await startOpenMeteoEmulator();
  dataDir = await mkdtemp(join(tmpdir(), 'weatherbot-e2e-'));
  env = {
    DATA_DIR: dataDir,
    OPEN_METEO_GEOCODING_URL: emulator.geocodingUrl,
    OPEN_METEO_FORECAST_URL: emulator.forecastUrl,
    LOG_LEVEL: 'warn',
  };
});
afterAll(async () => {
  await emulator.close();
  await rm(dataDir, { recursive: true, force: true });
});

test('npm start builds the bot and opens a terminal chat: answers, moderates, and keeps the approval', async () => {
  const chat = ['will it rain in philly tomorrow?', '/approve', '/quit'].join('\n');
  const { code, stdout, stderr } = await runCommand('npm', ['start', '--silent'], { env, input: chat });
  expect(stderr).not.toMatch(/error/i);
  expect(code).toBe(0);
  expect(stdout).toContain('WeatherBot — terminal chat');
  expect(stdout).toMatch(/bot › .*tomorrow \(.*\) in Philadelphia, Pennsylvania, US.*% chance of rain/);
  expect(stdout).toMatch(/bot › Approved ✅ — exchange \d{6}-\d{4}\./);
});

test('with no network the chat still starts and says so politely', async () => {
  const offline = {
    ...env,
    OPEN_METEO_GEOCODING_URL: 'http://127.0.0.1:9/v1/search',
    OPEN_METEO_FORECAST_URL: 'http://127.0.0.1:9/v1/forecast',
    WEATHER_RETRIES: '0',
  };
  const { code, stdout, stderr } = await run('bot/main.ts', [], offline, 'weather in Tokyo\n');
  expect(code).toBe(0);
  expect(stdout).toMatch(/bot › The weather service isn't answering right now/);
  expect(stderr).not.toMatch(/at .*\.ts:\d+/);
});

test('a wrong variable stops start-up with one line naming it', async () => {
  const { code, stdout, stderr } = await run('bot/main.ts', [], { ...env, WEATHER_RETRIES: 'lots' }, '');
  expect(code).toBe(1);
  expect(stdout).toBe('');
  expect(stderr.trim()).toBe('Configuration error: WEATHER_RETRIES must be a whole number from 0 to 5 (got "lots")');
});

test('the OpenWeather key never shows in a config error', async () => {
  const { stderr } = await run(
    'bot/main.ts',
    [],
    { ...env, OPENWEATHER_API_KEY: 'sekret-key-123', WEATHER_PROVIDER: 'nope' },
    '',
  );
  expect(stderr).toContain('WEATHER_PROVIDER must be one of');
  expect(stderr).not.toContain('sekret-key-123');
});

test('cli parse: one JSON object per input line', async () => {
  const input =
    ['will it rain in philly tmrw?', 'hello there', '', 'wind in Paris, TX this weekend in fahrenheit'].join('\n') +
    '\n';
  const { code, stdout } = await run('scripts/cli.ts', ['parse'], env, input);
  expect(code).toBe(0);
  expect(
    stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line)),
  ).toEqual([
    { weather: true, location: 'Philadelphia', region: null, when: 'tomorrow', aspect: 'rain', units: null },
    { weather: false },
    { weather: false },
    { weather: true, location: 'Paris', region: 'TX', when: 'weekend', aspect: 'wind', units: 'fahrenheit' },
  ]);
});

test('cli ask: the reply through the same pipeline, capturing nothing', async () => {
  const { code, stdout } = await run('scripts/cli.ts', ['ask', 'sunset in Tokyo tomorrow'], env);
  expect(code).toBe(0);
  expect(stdout).toMatch(/^Tomorrow \(.*\) in Tokyo, JP: the sun rises at \d\d:\d\d and sets at \d\d:\d\d/);
  const usage = await run('scripts/cli.ts', ['frobnicate'], env);
  expect(usage.code).toBe(2);
  expect(usage.stderr).toContain('usage: npm run --silent cli -- <command>');
});

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

test('the terminal saves a reply’s picture and says where', async () => {
  const { code, stdout } = await run('bot/main.ts', [], env, '/chart Denver 2\n');
  expect(code).toBe(0);
  const saved = /bot › Forecast for Denver, Colorado, US, the next 2 days:\n\s+\(picture: (\S+forecast\.png)\)/.exec(
    stdout,
  );
  expect(saved?.[1].startsWith(join(dataDir, 'pictures'))).toBe(true);
  expect((await readFile(saved![1])).subarray(0, 8)).toEqual(PNG_SIGNATURE);
});

test('cli chart: the forecast chart as a PNG file; a clear line and exit code when it cannot', async () => {
  const out = join(dataDir, 'denver.png');
  const made = await run('scripts/cli.ts', ['chart', 'Denver', '--days', '3', '--out', out], env);
  expect(made.code).toBe(0);
  expect(made.stdout).toMatch(/^.*denver\.png: Forecast chart for Denver, Colorado, US: temperature by hour/);
  expect((await readFile(out)).subarray(0, 8)).toEqual(PNG_SIGNATURE);

  const unknown = await run('scripts/cli.ts', ['chart', 'Atlantisville', '--out', out], env);
  expect(unknown).toMatchObject({ code: 1, stdout: '' });
  expect(unknown.stderr).toContain('Atlantisville');
  const wrong = await run('scripts/cli.ts', ['chart', 'Denver', '--days', 'lots', '--out', out], env);
  expect(wrong.code).toBe(2);
  expect(wrong.stderr).toContain('--days must be a whole number (got "lots")');
  const tooFar = await run('scripts/cli.ts', ['chart', 'Denver', '--days', '30', '--out', out], env);
  expect(tooFar).toMatchObject({ code: 1 });
  expect(tooFar.stderr).toContain('A chart reaches 1 to 7 days ahead (you asked for 30).');
});
