import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Reply } from '../../bot/chat/message';
import type { Subscription } from '../../bot/core/store';
import { ForecastSchedule, LATE_WINDOW_MINUTES } from '../../bot/forecasts';
import { openStore } from '../../bot/store/lowdb-store';
import { zoneOffsetSeconds } from '../../bot/weather/time';
import { startOpenWeatherEmulator, type OneCallAlert, type OpenWeatherEmulator } from '../emulators/openweather';
import { message, startTestBot, type TestBot } from '../helpers/bot';

let bot: TestBot;
beforeAll(async () => {
  bot = await startTestBot();
});
afterAll(() => bot.stop());

const moderator = { roles: ['moderator' as const], user: 'mod-1' };
const ask = (text: string, options: Parameters<typeof message>[1] = {}) =>
  bot.assistant.handle({ ...message(text, options), direct: options.channel?.startsWith('dm-') ?? false });

/** The date `days` after today (UTC), "YYYY-MM-DD"; subscriptions made now start the day after today at the latest. */
const dayAhead = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
/** The first Monday at least two days ahead. */
const nextMonday = () => {
  for (let days = 2; ; days++) if (new Date(`${dayAhead(days)}T00:00Z`).getUTCDay() === 1) return days;
};
/** The instant a place's wall clock shows `time` on `date`. */
const atLocal = (date: string, time: string, zone: string) => {
  const guess = new Date(`${date}T${time}:00Z`);
  return new Date(guess.getTime() - (zoneOffsetSeconds(zone, guess) ?? 0) * 1000).toISOString();
};

/** A schedule on the bot's store and assistant at a clock the test sets; what it posted, by subscription. */
function scheduleAt() {
  const clock = { now: new Date() };
  const posts: Array<{ id: string; reply: Reply }> = [];
  const schedule = new ForecastSchedule({
    store: bot.store,
    forecast: (subscription) => bot.assistant.forecast(subscription),
    posters: {
      test: async (subscription: Subscription, reply: Reply) => void posts.push({ id: subscription.id, reply }),
    },
    log: { debug() {}, info() {}, warn() {}, error() {} },
    now: () => clock.now,
  });
  return {
    posts,
    at: (iso: string) => {
      clock.now = new Date(iso);
      return schedule.tick();
    },
  };
}

describe('/subscribe, /subscriptions, /unsubscribe', () => {
  test('a channel is subscribed by moderators; anyone subscribes in a direct message', async () => {
    const refused = await ask('/subscribe Berlin', { channel: 'team', user: 'member-1' });
    expect(refused).toMatchObject({ kind: 'refused' });
    expect(refused.text).toMatch(/^Only moderators can subscribe a channel/);
    const channel = await ask('/subscribe Berlin at 7:30 weekdays', { ...moderator, channel: 'team' });
    expect(channel.text).toMatch(
      /^Subscribed — (f\d+): Berlin, DE at 07:30 Europe\/Berlin time, on weekdays\. \/unsubscribe \1 stops it\.$/,
    );
    const mine = await ask('/subscribe Denver, CO at 6pm', { channel: 'dm-member-1', user: 'member-1' });
    expect(mine.text).toMatch(/: Denver, Colorado, US at 18:00 America\/Denver time, every day\./);
    expect((await ask('/subscriptions', { channel: 'team' })).text).toMatch(
      /^Forecasts posted here:\n• f\d+: Berlin, DE at 07:30/,
    );
    expect((await ask('/subscriptions', { channel: 'elsewhere' })).text).toMatch(/^No forecasts are posted here/);
  });

  test('a clear answer for a wrong time or place, and past the limit of a channel', async () => {
    expect((await ask('/subscribe Berlin at 25:00', { ...moderator, channel: 'errors' })).text).toBe(
      '“25:00” is not a time of day: try 07:30 or 7am.',
    );
    expect((await ask('/subscribe Atlantisville', { ...moderator, channel: 'errors' })).text).toMatch(/Atlantisville/);
    for (const place of ['Hamburg', 'Dresden', 'Bremen', 'Graz', 'Bern']) {
      expect(
        (await ask(`/subscribe ${place}`, { roles: ['moderator'], user: `mod-${place}`, channel: 'full' })).text,
      ).toMatch(/^Subscribed/);
    }
    expect((await ask('/subscribe Davos', { ...moderator, channel: 'full' })).text).toBe(
      'This channel already has 5 forecasts: /unsubscribe one first.',
    );
  });

  test('only whoever subscribed, or a moderator, stops a forecast', async () => {
    const made = await ask('/subscribe Delft', { channel: 'dm-member-2', user: 'member-2' });
    const id = /— (f\d+):/.exec(made.text)![1];
    expect((await ask(`/unsubscribe ${id}`, { channel: 'team', user: 'member-2' })).text).toMatch(/^No forecast/);
    expect((await ask(`/unsubscribe ${id}`, { channel: 'dm-member-2', user: 'someone-else' })).kind).toBe('refused');
    expect((await ask(`/unsubscribe ${id}`, { channel: 'dm-member-2', user: 'member-2' })).text).toMatch(
      new RegExp(`^Stopped ${id}: Delft`),
    );
    expect((await ask('/subscriptions', { channel: 'dm-member-2' })).text).toMatch(/^No forecasts/);
  });
});

describe('the forecasts, posted on the place’s wall clock', () => {
  test("posted at the time in the place's zone, once a day, weekdays only when asked; nothing from the grave", async () => {
    const made = await ask('/subscribe Berlin at 07:00 weekdays', { ...moderator, channel: 'mornings' });
    const id = /— (f\d+):/.exec(made.text)![1];
    const { posts, at } = scheduleAt();
    const mine = () => posts.filter((p) => p.id === id);
    const monday = nextMonday();
    const berlin = (days: number, time: string) => at(atLocal(dayAhead(monday + days), time, 'Europe/Berlin'));
    // Tuesday.
    expect((await berlin(1, '06:59')).posted).not.toContain(id);
    expect((await berlin(1, '07:00')).posted).toContain(id);
    expect((await berlin(1, '07:01')).posted).not.toContain(id);
    expect(mine()).toHaveLength(1);
    const { reply } = mine()[0];
    expect(reply.kind).toBe('weather');
    expect(reply.facts?.place).toBe('Berlin, DE');
    expect(reply.note).toBe(`Daily forecast ${id} · /unsubscribe ${id} stops it`);
    // Wednesday again; Saturday and Sunday not.
    expect((await berlin(2, '07:00')).posted).toContain(id);
    expect((await berlin(5, '07:00')).posted).not.toContain(id);
    expect((await berlin(6, '07:30')).posted).not.toContain(id);
    expect(mine()).toHaveLength(2);
  });

  test('a forecast whose time has passed when it is made starts the next day, not late', async () => {
    const { at } = scheduleAt();
    const now = new Date();
    const zone = 'America/Denver';
    const earlier = new Date(now.getTime() + (zoneOffsetSeconds(zone, now) ?? 0) * 1000 - 60 * 60_000);
    const time = earlier.toISOString().slice(11, 16);
    const made = await ask(`/subscribe Denver at ${time}`, { ...moderator, channel: 'just-made' });
    const id = /— (f\d+):/.exec(made.text)![1];
    // An hour after its time today (inside the late window): nothing; tomorrow at its time: posted.
    expect((await at(now.toISOString())).posted).not.toContain(id);
    const tomorrow = new Date(now.getTime() + 86_400_000 - 60 * 60_000).toISOString();
    expect((await at(tomorrow)).posted).toContain(id);
  });

  test('a post missed while the bot was down goes out late within the window, else it is skipped; never twice', async () => {
    const early = /— (f\d+):/.exec(
      (await ask('/subscribe Denver at 06:00', { ...moderator, channel: 'late' })).text,
    )![1];
    const earlier = /— (f\d+):/.exec(
      (await ask('/subscribe Austin at 05:00', { ...moderator, channel: 'late' })).text,
    )![1];
    // 07:30 in Denver: 90 minutes late for one; 08:30 in Austin, 210 minutes late for the other.
    expect(LATE_WINDOW_MINUTES).toBe(120);
    const first = scheduleAt();
    const morning = atLocal(dayAhead(2), '07:30', 'America/Denver');
    const ticked = await first.at(morning);
    expect(ticked.posted).toContain(early);
    expect(ticked.skipped).not.toContain(early);
    expect(ticked.skipped).toContain(earlier);
    // A restart: the same store read again by a new schedule posts nothing more that day.
    const second = scheduleAt();
    const again = await second.at(new Date(Date.parse(morning) + 60_000).toISOString());
    expect([...again.posted, ...again.skipped]).not.toContain(early);
    expect([...again.posted, ...again.skipped]).not.toContain(earlier);
  });
});

test('subscriptions are durable: another store opened on the folder reads them, with the days handled', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'subscriptions-'));
  try {
    const limits = { perChannel: 5, perOwner: 5 };
    const first = await openStore({ dir, fsync: true });
    const made = await first.subscribe(
      {
        platform: 'discord',
        channelId: '123',
        direct: false,
        ownerId: 'user-1',
        place: 'Berlin',
        placeLabel: 'Berlin, DE',
        timezone: 'Europe/Berlin',
        time: '07:00',
        days: 'daily',
        units: null,
      },
      limits,
    );
    await first.markForecastDay(made.id, '2026-12-08');
    await first.close();
    const second = await openStore({ dir, fsync: true });
    expect(await second.subscriptions({ platform: 'discord', ownerId: 'user-1' })).toEqual([
      { ...made, lastDay: '2026-12-08' },
    ]);
    expect(made.owner).not.toContain('user-1');
    expect(await second.subscriptions({ platform: 'discord', ownerId: 'user-2' })).toEqual([]);
    expect((await second.unsubscribe(made.id))?.id).toBe(made.id);
    expect(await second.unsubscribe(made.id)).toBeUndefined();
    // Ids are never reused.
    const next = await second.subscribe({ ...made, ownerId: 'user-1' }, limits);
    expect(next.id).not.toBe(made.id);
    await second.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

describe('severe-weather alerts (OpenWeather One Call 3.0)', () => {
  let openweather: OpenWeatherEmulator;
  let owBot: TestBot;
  beforeAll(async () => {
    openweather = await startOpenWeatherEmulator();
    owBot = await startTestBot({
      WEATHER_PROVIDER: 'openweather',
      OPENWEATHER_API_KEY: openweather.apiKey,
      OPENWEATHER_BASE_URL: openweather.url,
    });
  });
  afterAll(async () => {
    await owBot.stop();
    await openweather.close();
  });

  const storm = (start: number, event = 'Severe thunderstorm warning'): OneCallAlert => ({
    sender_name: 'Japan Meteorological Agency',
    event,
    start,
    end: start + 6 * 3600,
    description: 'Severe thunderstorms with gusts up to 30 m/s @everyone are expected. '.repeat(20),
    tags: ['Thunderstorm'],
  });

  test('each alert reaches a subscribed channel with alerts on exactly once; none reach one with them off', async () => {
    const owAsk = (text: string, channel: string) =>
      owBot.assistant.handle({ ...message(text, { ...moderator, channel }), direct: false });
    expect((await owAsk('/alerts on Tokyo', 'storms')).text).toMatch(/^No forecast for Tokyo is posted here/);
    const withAlerts = /— (f\d+):/.exec((await owAsk('/subscribe Tokyo at 07:00', 'storms')).text)![1];
    const quiet = /— (f\d+):/.exec((await owAsk('/subscribe Tokyo at 08:00', 'quiet')).text)![1];
    expect((await owAsk('/alerts on Tokyo', 'storms')).text).toBe(
      'Alerts for Tokyo, JP are on here: each severe-weather alert is posted once, as it is issued.',
    );
    expect((await owAsk('/subscriptions', 'storms')).text).toContain(', with alerts');
    const now = Date.now();
    openweather.setAlerts('Tokyo', [storm(Math.floor(now / 1000) - 600)]);

    const posts: Array<{ id: string; reply: Reply }> = [];
    const schedule = (at: number) =>
      new ForecastSchedule({
        store: owBot.store,
        forecast: (subscription) => owBot.assistant.forecast(subscription),
        alerts: (subscription) => owBot.assistant.alerts(subscription),
        posters: { test: async (subscription, reply) => void posts.push({ id: subscription.id, reply }) },
        log: { debug() {}, info() {}, warn() {}, error() {} },
        now: () => new Date(at),
      });
    const first = await schedule(now).tick();
    expect(first.alerts).toEqual([expect.stringMatching(new RegExp(`^${withAlerts} Japan Meteorological Agency\\|`))]);
    const alert = posts.find((p) => p.id === withAlerts && p.reply.text.startsWith('⚠️'))!.reply;
    expect(alert.text).toMatch(
      /^⚠️ Severe thunderstorm warning for Tokyo, JP — Japan Meteorological Agency\nFrom \w{3} \d+ \w{3} \d\d:\d\d to /,
    );
    expect(alert.text).toContain('(UTC+09:00)');
    expect(alert.text).not.toContain('@everyone');
    expect(alert.text.length).toBeLessThan(900);
    expect(alert.note).toBe('Alerts for Tokyo, JP · /alerts off Tokyo stops them');
    expect(posts.some((p) => p.id === quiet && p.reply.text.startsWith('⚠️'))).toBe(false);

    // Later, and after a restart: the same alert is not posted again; a new one is.
    expect((await schedule(now + 11 * 60_000).tick()).alerts).toEqual([]);
    openweather.setAlerts('Tokyo', [storm(Math.floor(now / 1000) - 600), storm(Math.floor(now / 1000), 'Heavy rain')]);
    const later = await schedule(now + 22 * 60_000).tick();
    expect(later.alerts).toEqual([expect.stringContaining('|Heavy rain|')]);
    expect((await owAsk('/alerts off Tokyo', 'storms')).text).toBe('Alerts for Tokyo, JP are off here.');
  });

  test('with Open-Meteo, /alerts says plainly that there are none and how to have them', async () => {
    expect((await ask('/alerts on Berlin', { ...moderator, channel: 'team' })).text).toMatch(
      /^Severe-weather alerts come from OpenWeather, and this bot reads Open-Meteo, which has no alerts service\./,
    );
  });
});
