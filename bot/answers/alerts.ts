/** A severe-weather alert as a chat post: what, who says so, when in the place's time, and its description cut. */
import type { Reply } from '../chat/message';
import type { WeatherAlert } from '../core/domain';
import type { Subscription } from '../core/store';
import { echo, safeText } from '../core/text';
import { wallClock } from '../weather/time';
import { dayLabel } from './facts';

/** Enough for the what and where of a warning; the issuer's full text is longer than a chat post should be. */
const MAX_DESCRIPTION = 600;

const localTime = (iso: string, timezone: string) => {
  const local = wallClock(timezone, new Date(iso));
  return `${dayLabel(local.slice(0, 10))} ${local.slice(11, 16)}`;
};

export function alertReply(alert: WeatherAlert, subscription: Subscription): Reply {
  const said = (text: string, max: number) => echo(safeText(text).replace(/\s+/g, ' ').trim(), max);
  const lines = [
    `⚠️ ${said(alert.event, 100)} for ${subscription.placeLabel} — ${said(alert.sender, 100)}`,
    `From ${localTime(alert.start, subscription.timezone)} to ${localTime(alert.end, subscription.timezone)} ` +
      `(${subscription.timezone})`,
    ...(alert.description ? [said(alert.description, MAX_DESCRIPTION)] : []),
  ];
  return {
    kind: 'weather',
    text: lines.join('\n'),
    note: `Alerts for ${subscription.placeLabel} · /alerts off ${subscription.place} stops them`,
  };
}
