/**
 * The forecasts /subscribe asked for, each posted at its time on its place's wall clock, and the severe-weather alerts
 * of the places whose alerts are on. A tick every minute (node-cron) finds the forecasts due; alerts are asked for
 * every ALERTS_EVERY_MINUTES, once per place. A day (an alert) is marked in the store before it is posted, so none is
 * posted twice, a crash between the two included (that post is then lost, not doubled); a forecast missed while the
 * bot was down is posted late within LATE_WINDOW_MINUTES, and skipped after that.
 */
import cron, { type ScheduledTask } from 'node-cron';
import { alertReply } from './answers/alerts';
import type { Reply } from './chat/message';
import type { WeatherAlert } from './core/domain';
import type { Logger } from './core/log';
import type { Store, Subscription } from './core/store';
import { wallClock } from './weather/time';

export const LATE_WINDOW_MINUTES = 120;
/** Warnings are issued hours ahead; asking every few minutes would spend a metered API for nothing. */
export const ALERTS_EVERY_MINUTES = 10;

/** Posts a reply where a subscription asked; each platform's adapter has one. */
export type PostForecast = (subscription: Subscription, reply: Reply) => Promise<void>;

export interface ForecastScheduleOptions {
  store: Pick<Store, 'subscriptions' | 'markForecastDay' | 'markAlertSeen'>;
  /** The reply a subscription posts (Assistant.forecast). */
  forecast: (subscription: Subscription) => Promise<Reply>;
  /** The alerts issued now at a subscription's place (Assistant.alerts); none are looked for without it. */
  alerts?: (subscription: Subscription) => Promise<WeatherAlert[]>;
  /** By platform; a subscription of a platform not running now waits until it is (within the late window). */
  posters: Partial<Record<string, PostForecast>>;
  log: Logger;
  now?: () => Date;
}

export interface ForecastTick {
  posted: string[];
  /** Missed by more than the late window. */
  skipped: string[];
  /** "<subscription id> <alert id>" of each alert posted. */
  alerts: string[];
}

/**
 * The local day a subscription is due on at `at`, and how late it is; null when not due: before its time, done
 * already, a weekend day of a weekday one, or a day whose time had passed when it was made.
 */
export function dueDay(subscription: Subscription, at: Date): { day: string; lateMinutes: number } | null {
  const local = wallClock(subscription.timezone, at);
  const day = local.slice(0, 10);
  if (subscription.lastDay !== null && subscription.lastDay >= day) return null;
  const weekday = new Date(`${day}T00:00Z`).getUTCDay();
  if (subscription.days === 'weekdays' && (weekday === 0 || weekday === 6)) return null;
  const minutes = (text: string) => Number(text.slice(0, 2)) * 60 + Number(text.slice(3, 5));
  const lateMinutes = minutes(local.slice(11, 16)) - minutes(subscription.time);
  if (lateMinutes < 0) return null;
  // Made after today's time: its first forecast is tomorrow's, not a missed one.
  if (Date.parse(subscription.createdAt) > at.getTime() - lateMinutes * 60_000) return null;
  return { day, lateMinutes };
}

export class ForecastSchedule {
  readonly #options: ForecastScheduleOptions;
  #task: ScheduledTask | null = null;
  #ticking: Promise<ForecastTick> | null = null;
  /** When alerts were last asked for (ms); they are asked for at the first tick. */
  #alertsAskedAt = Number.NEGATIVE_INFINITY;

  constructor(options: ForecastScheduleOptions) {
    this.#options = options;
  }

  /** Ticks now (forecasts missed while the bot was down), then at the start of every minute. */
  start(): void {
    void this.tick();
    this.#task = cron.schedule('* * * * *', () => void this.tick(), { name: 'forecasts' });
  }

  async stop(): Promise<void> {
    await this.#task?.stop();
    this.#task = null;
    await this.#ticking;
  }

  /** Posts every forecast due now; a tick called while one runs waits for it instead of starting another. */
  tick(): Promise<ForecastTick> {
    this.#ticking ??= this.#tick().finally(() => (this.#ticking = null));
    return this.#ticking;
  }

  async #tick(): Promise<ForecastTick> {
    const { store, forecast, posters, log } = this.#options;
    const at = this.#options.now?.() ?? new Date();
    const result: ForecastTick = { posted: [], skipped: [], alerts: [] };
    const subscriptions = await store.subscriptions();
    for (const subscription of subscriptions) {
      const post = posters[subscription.platform];
      const due = dueDay(subscription, at);
      if (!post || !due) continue;
      try {
        await store.markForecastDay(subscription.id, due.day);
        if (due.lateMinutes > LATE_WINDOW_MINUTES) {
          log.info('forecast skipped: missed by more than the late window', { id: subscription.id, day: due.day });
          result.skipped.push(subscription.id);
          continue;
        }
        await post(subscription, await forecast(subscription));
        result.posted.push(subscription.id);
      } catch (error) {
        log.warn('a forecast could not be posted', { id: subscription.id, day: due.day, error });
      }
    }
    if (at.getTime() - this.#alertsAskedAt >= ALERTS_EVERY_MINUTES * 60_000) {
      this.#alertsAskedAt = at.getTime();
      result.alerts = await this.#postAlerts(
        subscriptions.filter((s) => s.alerts),
        at,
      );
    }
    return result;
  }

  /** Posts each alert in force at a subscribed place that its subscription has not posted yet. */
  async #postAlerts(subscriptions: Subscription[], at: Date): Promise<string[]> {
    const { store, alerts, posters, log } = this.#options;
    if (!alerts) return [];
    const posted: string[] = [];
    const byPlace = new Map<string, Promise<WeatherAlert[]>>();
    for (const subscription of subscriptions) {
      const post = posters[subscription.platform];
      if (!post) continue;
      const place = subscription.place.trim().toLowerCase();
      if (!byPlace.has(place)) byPlace.set(place, alerts(subscription));
      try {
        const fresh = (await byPlace.get(place)!).filter(
          (alert) => Date.parse(alert.end) > at.getTime() && !subscription.alertsSeen.includes(alert.id),
        );
        for (const alert of fresh) {
          await store.markAlertSeen(subscription.id, alert.id);
          await post(subscription, alertReply(alert, subscription));
          posted.push(`${subscription.id} ${alert.id}`);
        }
      } catch (error) {
        log.warn('alerts could not be looked up or posted', { id: subscription.id, error });
      }
    }
    return posted;
  }
}
