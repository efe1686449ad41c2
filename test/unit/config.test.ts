import { ConfigError, loadConfig } from '../../bot/config';
import { createLogger } from '../../bot/core/log';

const errorOf = (env: Record<string, string>) => {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected a ConfigError');
};

describe('config', () => {
  test('defaults work on a fresh clone: Open-Meteo, no platforms', () => {
    const config = loadConfig({});
    expect(config.weather.provider).toBe('openmeteo');
    expect(config.discord).toBeNull();
    expect(config.slack).toBeNull();
    expect(config.defaultUnits).toBeNull();
    expect(config.secrets).toEqual([]);
    expect(config.retrain.everydayTolerance).toBe(0.005);
    expect(config.model.dtype).toBe('q8');
  });

  test('the gate tolerance for everyday messages is a number from 0 to 1', () => {
    expect(loadConfig({ RETRAIN_EVERYDAY_TOLERANCE: '0.02' }).retrain.everydayTolerance).toBe(0.02);
    expect(loadConfig({ RETRAIN_EVERYDAY_TOLERANCE: '0' }).retrain.everydayTolerance).toBe(0);
    for (const bad of ['-0.1', '1.5', 'a lot'])
      expect(errorOf({ RETRAIN_EVERYDAY_TOLERANCE: bad })).toMatch(
        new RegExp(`^RETRAIN_EVERYDAY_TOLERANCE must be a number from 0 to 1: .* \\(got "${bad}"\\)$`),
      );
  });

  test('a wrong value names the variable and what it expects', () => {
    expect(errorOf({ WEATHER_PROVIDER: 'foo' })).toBe(
      'WEATHER_PROVIDER must be one of auto, openmeteo, openweather (got "foo")',
    );
    expect(errorOf({ WEATHER_TIMEOUT_MS: '12.5' })).toBe(
      'WEATHER_TIMEOUT_MS must be a whole number of milliseconds from 100 to 120000 (got "12.5")',
    );
    expect(errorOf({ OPEN_METEO_FORECAST_URL: 'nope' })).toMatch(/^OPEN_METEO_FORECAST_URL must be an http\(s\) URL/);
    expect(errorOf({ RETRAIN_CRON: 'every night' })).toBe(
      'RETRAIN_CRON must be a cron expression (minute hour day month weekday), e.g. 0 3 * * * for 03:00 nightly (got "every night")',
    );
    expect(loadConfig({ MODEL_DTYPE: 'fp32' }).model.dtype).toBe('fp32');
    expect(errorOf({ MODEL_DTYPE: 'int4' })).toBe(
      'MODEL_DTYPE must be one of q8 (int8 weights: faster, less memory), fp32 (the weights as trained) (got "int4")',
    );
    expect(errorOf({ SLACK_MODERATORS: 'U1, bad id!' })).toMatch(
      /^SLACK_MODERATORS must be a comma-separated list of Slack user ids/,
    );
  });

  test('dependent variables are checked together', () => {
    expect(errorOf({ WEATHER_PROVIDER: 'openweather' })).toMatch(
      /^OPENWEATHER_API_KEY is required when WEATHER_PROVIDER=openweather/,
    );
    expect(errorOf({ SLACK_BOT_TOKEN: 'xoxb-1' })).toMatch(/^SLACK_APP_TOKEN is required when SLACK_MODE=socket/);
    expect(errorOf({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_MODE: 'http' })).toMatch(
      /^SLACK_SIGNING_SECRET is required when SLACK_MODE=http/,
    );
    expect(errorOf({ SLACK_BOT_TOKEN: 'xoxp-user-token' })).toMatch(
      /^SLACK_BOT_TOKEN must be a Slack bot token starting with xoxb-/,
    );
    expect(loadConfig({ OPENWEATHER_API_KEY: 'k' }).weather.provider).toBe('openweather');
  });

  test('secrets are never echoed, and the logger scrubs them wherever they appear', () => {
    expect(errorOf({ STORE_SALT: 'short-secret' })).not.toContain('short-secret');
    const config = loadConfig({
      OPENWEATHER_API_KEY: 'ow-key-123',
      DISCORD_TOKEN: 'discord.token.xyz',
      SLACK_BOT_TOKEN: 'xoxb-777',
      SLACK_APP_TOKEN: 'xapp-888',
    });
    const lines: string[] = [];
    const log = createLogger('debug', config.secrets, (line) => void lines.push(line));
    log.warn('request failed https://api.example/?appid=ow-key-123', {
      error: new Error('bad token discord.token.xyz'),
      headers: { auth: 'Bearer xoxb-777 xapp-888' },
    });
    expect(lines).toHaveLength(1);
    for (const secret of ['ow-key-123', 'discord.token.xyz', 'xoxb-777', 'xapp-888'])
      expect(lines[0]).not.toContain(secret);
    expect(lines[0]).toContain('appid=***');
  });

  test('log levels filter', () => {
    const lines: string[] = [];
    const log = createLogger('warn', [], (line) => void lines.push(line));
    log.info('hidden');
    log.error('shown');
    expect(lines).toEqual([expect.stringMatching(/ERROR shown$/)]);
  });
});
