import { mkdtemp, rm } from 'node:fs/promises';
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
