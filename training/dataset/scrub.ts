/**
 * Personal data out of training text: links, email addresses, Discord and Slack mentions of users
 * and channels, @handles, phone numbers and the names of people the caller knows, each replaced
 * by a placeholder so the sentence still reads as a sentence.
 */

export const PII_KINDS = ['url', 'email', 'mention', 'channel', 'handle', 'phone', 'name'] as const;
export type PiiKind = (typeof PII_KINDS)[number];

export const PLACEHOLDERS: Record<PiiKind, string> = {
  url: '[url]',
  email: '[email]',
  mention: '@user',
  channel: '#channel',
  handle: '@user',
  phone: '[phone]',
  name: '[name]',
};

/** Each kind in the order it is replaced: a link may hold an email address, an email an @. */
const PATTERNS: [PiiKind, RegExp][] = [
  ['url', /<https?:[^>\s]*>|\b(?:https?:\/\/|www\.)[^\s<>"]+[^\s<>".,;:!?)\]]/gi],
  ['email', /<mailto:[^>\s]*>|[\p{L}\p{N}._%+-]+@[\p{L}\p{N}-]+(?:\.[\p{L}\p{N}-]+)*\.\p{L}{2,}/giu],
  // Discord <@123>, <@!123>, roles <@&123>; Slack <@U123> and <@U123|name>.
  ['mention', /<@[!&]?[\w-]+(?:\|[^>]*)?>/g],
  // Discord <#123>, Slack <#C123|general>.
  ['channel', /<#[\w-]+(?:\|[^>]*)?>/g],
  ['handle', /(?<![\p{L}\p{N}_@.])@[\p{L}\p{N}_-]+(?:\.[\p{L}\p{N}_-]+)*/gu],
  [
    'phone',
    /(?<![\p{L}\p{N}+.])(?:\+\d{1,3}[\s.-]?)?(?:\(\d{1,4}\)[\s.-]?)?(?:\d{7,15}|\d{2,6}(?:[\s.-]\d{2,6}){1,4})(?![\p{L}\p{N}])/gu,
  ],
];

/** A phone number has 7 to 15 digits; a date, a time or a single figure is not one. */
function isPhoneNumber(candidate: string): boolean {
  const digits = candidate.replace(/\D/g, '').length;
  return digits >= 7 && digits <= 15 && !/^\d{4}-\d{2}-\d{2}$/.test(candidate);
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export interface Scrubbed {
  text: string;
  /** How many of each kind were replaced. */
  found: Record<PiiKind, number>;
}

export const noneFound = (): Record<PiiKind, number> =>
  Object.fromEntries(PII_KINDS.map((kind) => [kind, 0])) as Record<PiiKind, number>;

/** The text with personal data replaced; `names` are people's names to remove as whole words, in any case. */
export function scrubPersonalData(text: string, names: readonly string[] = []): Scrubbed {
  const found = noneFound();
  let scrubbed = text;
  for (const [kind, pattern] of PATTERNS) {
    scrubbed = scrubbed.replace(pattern, (match) => {
      if (kind === 'phone' && !isPhoneNumber(match)) return match;
      // A mention already replaced reads like a handle.
      if (kind === 'handle' && match === PLACEHOLDERS.handle) return match;
      found[kind] += 1;
      return PLACEHOLDERS[kind];
    });
  }
  const wanted = names
    .map((n) => n.trim())
    .filter((n) => n.length >= 2)
    .sort((a, b) => b.length - a.length);
  if (wanted.length > 0) {
    const pattern = new RegExp(`(?<![\\p{L}\\p{N}])(?:${wanted.map(escape).join('|')})(?![\\p{L}\\p{N}])`, 'giu');
    scrubbed = scrubbed.replace(pattern, () => {
      found.name += 1;
      return PLACEHOLDERS.name;
    });
  }
  return { text: scrubbed, found };
}
