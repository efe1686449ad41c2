/**
 * What must hold for any message the assistant gets, checked on the real Assistant (the app's
 * wiring: lowdb store in a temp folder, weather service, a local Open-Meteo): the properties of a
 * reply alone (`replyViolations`, a pure function, so a test can show each check fails on a bad
 * reply), those of one case against the running world (`checkCase`), and a whole run that counts
 * failures and crashes and shrinks a counterexample (`runFuzz`). `npm test`
 * (test/fuzz/assistant.fuzz.test.ts) and `bench -- fuzz` (scripts/bench/fuzz.ts) both run `runFuzz`.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import type { Reply, ReplyKind } from '../../bot/chat/message';
import { replies } from '../../bot/chat/replies';
import type { ModerationStatus } from '../../bot/core/domain';
import { unsupportedNumbers } from '../../bot/core/fact-guard';
import { message, startTestBot, type TestBot } from '../helpers/bot';
import { fuzzCase, type FuzzCase } from './arbitraries';

/** The longest reply a chat platform takes in one message (Discord's content limit; Slack's is larger). */
export const REPLY_MAX_LENGTH = 2000;
/** MAX_MESSAGE_LENGTH of the fuzz world (the default): the one number the "too long" reply may state. */
export const MAX_MESSAGE_LENGTH = 500;
/** The most days ahead the "beyond the horizon" reply may state: Open-Meteo's 16 days, today first. */
const HORIZON_DAYS = 15;

export const PROPERTIES = [
  /** handle() resolves, nothing inside it failed (no "went wrong on my side" reply, no error logged). */
  'no-exception',
  /** The reply has text, no longer than REPLY_MAX_LENGTH. */
  'reply-length',
  /** No @everyone, @here, <!channel>, <!here> or <!everyone> in a reply. */
  'no-mass-mention',
  /** No control character (line feed and tab aside) in the reply, nor in what the store keeps. */
  'no-control-character',
  /** Text that is not a leading command runs none: no moderation, no preference change, no command reply. */
  'no-hidden-command',
  /**
   * Every number in a weather reply is one of its facts' (bot/core/fact-guard.ts); every number in
   * any other reply to free text is the user's own (echoed) or a limit the reply explains.
   */
  'grounded-numbers',
] as const;
export type Property = (typeof PROPERTIES)[number];

export interface Violation {
  property: Property;
  observed: string;
}

/** C0 and C1 controls and DEL, except line feed and tab (a multi-line message keeps its lines). */
// eslint-disable-next-line no-control-regex -- the control characters are what this finds
export const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/u;
export const MASS_MENTION = /@everyone|@here|<!channel>|<!here>|<!everyone>/i;
const DIGITS = /\d+(?:\.\d+)?/g;
const UNKNOWN_COMMAND = replies.unknownCommand('\u0000').split('\u0000')[0];

const show = (text: string, max = 160) =>
  JSON.stringify(text.length > max ? `${text.slice(0, max)}…(${text.length} chars)` : text);

/** Every string inside a stored value, with where it is. */
function* strings(value: unknown, path: string): Generator<[string, string]> {
  if (typeof value === 'string') yield [path, value];
  else if (Array.isArray(value)) for (const [i, item] of value.entries()) yield* strings(item, `${path}[${i}]`);
  else if (value && typeof value === 'object')
    for (const [key, item] of Object.entries(value)) {
      yield [`${path} key`, key];
      yield* strings(item, `${path}.${key}`);
    }
}

/** The control characters in a stored value, as violations. */
function storedControls(what: string, value: unknown): Violation[] {
  const found: Violation[] = [];
  for (const [path, string] of strings(value, what))
    if (CONTROL.test(string))
      found.push({ property: 'no-control-character', observed: `store: ${path} = ${show(string)}` });
  return found;
}

/**
 * The properties a reply must have by itself, for the case that asked it. Pure: the tests feed it
 * broken replies to show every check can fail.
 */
export function replyViolations(c: Pick<FuzzCase, 'text' | 'leading'>, reply: Reply): Violation[] {
  const violations: Violation[] = [];
  const text = typeof reply?.text === 'string' ? reply.text : '';
  if (text.length === 0 || text.length > REPLY_MAX_LENGTH)
    violations.push({ property: 'reply-length', observed: `${text.length} characters: ${show(text)}` });
  const mass = MASS_MENTION.exec(text);
  if (mass) violations.push({ property: 'no-mass-mention', observed: `reply has ${mass[0]}: ${show(text)}` });
  if (CONTROL.test(text)) violations.push({ property: 'no-control-character', observed: `reply ${show(text)}` });
  if (text === replies.internalError)
    violations.push({ property: 'no-exception', observed: `the assistant failed inside: ${show(text)}` });

  if (!c.leading && (reply.kind === 'command' || reply.kind === 'refused' || text.startsWith(UNKNOWN_COMMAND)))
    violations.push({ property: 'no-hidden-command', observed: `a ${reply.kind} reply to free text: ${show(text)}` });

  if (reply.kind === 'weather') {
    if (!reply.facts) violations.push({ property: 'grounded-numbers', observed: `a weather reply without facts` });
    else {
      const unsupported = unsupportedNumbers(text, reply.facts);
      if (unsupported.length)
        violations.push({
          property: 'grounded-numbers',
          observed: `${unsupported.join(', ')} not in the facts: ${show(text, 400)}`,
        });
    }
  } else if (!c.leading) {
    // Not weather, not a command's report: numbers come from the user's words or the limit the reply explains.
    const said = [c.text, c.text.normalize('NFKC')];
    const explained = new Set([replies.tooLong(MAX_MESSAGE_LENGTH)]);
    for (let days = 0; days <= HORIZON_DAYS; days++) explained.add(replies.horizon(days));
    const invented = explained.has(text)
      ? []
      : (text.match(DIGITS) ?? []).filter((digits) => !said.some((input) => input.includes(digits)));
    if (invented.length)
      violations.push({
        property: 'grounded-numbers',
        observed: `${invented.join(', ')} in a ${reply.kind} reply, not in the message: ${show(text)}`,
      });
  }
  return violations;
}

const CHAT_CHANNEL = 'fuzz-chat';
const COMMAND_CHANNEL = 'fuzz-commands';
const MODERATOR = 'fuzz-moderator';

/** What the cases covered: how often each kind of reply came, and each kind of input went in. */
export interface FuzzCoverage {
  replies: Partial<Record<ReplyKind, number>>;
  inputs: {
    leading: number;
    controlCharacter: number;
    massMention: number;
    tooLong: number;
    blank: number;
    moderator: number;
  };
}

/**
 * The app on a temp folder and a local Open-Meteo. Free text goes to one channel, leading
 * commands to another, so the chat channel's last exchange stays pending: a command that ran from
 * inside a message would moderate it.
 */
export interface FuzzWorld {
  bot: TestBot;
  /** The last exchange captured in the chat channel. */
  lastChatExchange: string;
  cases: number;
  coverage: FuzzCoverage;
  close(): Promise<void>;
}

export async function startFuzzWorld(): Promise<FuzzWorld> {
  const bot = await startTestBot({
    RATE_LIMIT_PER_MINUTE: '10000',
    MAX_MESSAGE_LENGTH: String(MAX_MESSAGE_LENGTH),
    WEATHER_TIMEOUT_MS: '2000',
    LOG_LEVEL: 'warn',
    MODEL: 'off',
  });
  const first = await bot.assistant.handle(
    message('weather in Tokyo', { channel: CHAT_CHANNEL, user: MODERATOR, roles: ['moderator'] }),
  );
  if (!first.exchangeId) throw new Error(`the fuzz world's first question was not captured: ${first.text}`);
  return {
    bot,
    lastChatExchange: first.exchangeId,
    cases: 0,
    coverage: {
      replies: {},
      inputs: { leading: 0, controlCharacter: 0, massMention: 0, tooLong: 0, blank: 0, moderator: 0 },
    },
    close: () => bot.stop(),
  };
}

const moderated = (counts: Record<ModerationStatus, number>) =>
  `${counts.approved}/${counts.rejected}/${counts.corrected}`;

function count(world: FuzzWorld, c: FuzzCase, reply: Reply | null): void {
  const { inputs } = world.coverage;
  if (c.leading) inputs.leading += 1;
  if (CONTROL.test(c.text)) inputs.controlCharacter += 1;
  if (MASS_MENTION.test(c.text)) inputs.massMention += 1;
  if (c.text.length > MAX_MESSAGE_LENGTH) inputs.tooLong += 1;
  if (!c.text.trim()) inputs.blank += 1;
  if (c.sender === 'moderator') inputs.moderator += 1;
  if (reply) world.coverage.replies[reply.kind] = (world.coverage.replies[reply.kind] ?? 0) + 1;
}

/**
 * Sends one case and checks every property; returns the violations (empty: all hold). An
 * exception from the assistant, an error it logged, or one from the checks' own reads of the
 * store is a violation of 'no-exception' (a crash).
 */
export async function checkCase(world: FuzzWorld, c: FuzzCase): Promise<Violation[]> {
  const { bot } = world;
  world.cases += 1;
  // Leading mentions are the user's own business; the sender decides the rights.
  const user = c.sender === 'moderator' ? MODERATOR : `fuzz-member-${c.member}`;
  const incoming = message(c.text, {
    user,
    roles: c.sender === 'moderator' ? ['moderator'] : [],
    channel: c.leading ? COMMAND_CHANNEL : CHAT_CHANNEL,
  });
  const preferencesOf = async () =>
    JSON.stringify([
      await bot.store.getPreferences('user', incoming.platform, user),
      await bot.store.getPreferences('channel', incoming.platform, incoming.channelId),
    ]);
  const before = c.leading
    ? null
    : {
        counts: await bot.store.countByStatus(),
        last: (await bot.store.get(world.lastChatExchange))?.moderation.status,
        preferences: await preferencesOf(),
      };
  // Only this case's log lines (and the emulator's requests) are kept: a long run must not grow them.
  bot.logs.length = 0;
  bot.emulator.requests.length = 0;
  let reply: Reply;
  try {
    reply = await bot.assistant.handle(incoming);
  } catch (error) {
    count(world, c, null);
    return [
      { property: 'no-exception', observed: error instanceof Error ? (error.stack ?? error.message) : String(error) },
    ];
  }
  count(world, c, reply);
  const violations = replyViolations(c, reply);
  for (const line of bot.logs.filter((line) => / ERROR /.test(line)))
    violations.push({ property: 'no-exception', observed: `logged: ${show(line, 400)}` });

  try {
    violations.push(
      ...storedControls('user preferences', await bot.store.getPreferences('user', incoming.platform, user)),
      ...storedControls(
        'channel preferences',
        await bot.store.getPreferences('channel', incoming.platform, incoming.channelId),
      ),
    );
    if (reply.exchangeId)
      violations.push(...storedControls(`exchange ${reply.exchangeId}`, await bot.store.get(reply.exchangeId)));

    if (before) {
      const after = await bot.store.countByStatus();
      if (moderated(after) !== moderated(before.counts))
        violations.push({
          property: 'no-hidden-command',
          observed: `approved/rejected/corrected went from ${moderated(before.counts)} to ${moderated(after)}`,
        });
      const last = (await bot.store.get(world.lastChatExchange))?.moderation.status;
      if (last !== before.last)
        violations.push({
          property: 'no-hidden-command',
          observed: `exchange ${world.lastChatExchange} went from ${before.last} to ${last ?? 'gone'}`,
        });
      const preferences = await preferencesOf();
      if (preferences !== before.preferences)
        violations.push({
          property: 'no-hidden-command',
          observed: `preferences went from ${before.preferences} to ${preferences}`,
        });
      if (reply.exchangeId) world.lastChatExchange = reply.exchangeId;
    }
  } catch (error) {
    violations.push({ property: 'no-exception', observed: `reading the store: ${String(error)}` });
  }
  return violations;
}

/**
 * Everything the world's store keeps (every exchange, every preference, as on disk), checked for
 * control characters: what a command wrote besides the case's own exchange (a /correct) included.
 */
export async function sweepStore(world: FuzzWorld): Promise<Violation[]> {
  const violations: Violation[] = [];
  for await (const exchange of world.bot.store.exchanges())
    violations.push(...storedControls(`exchange ${exchange.id}`, exchange));
  const file = join(world.bot.dataDir, 'store', 'preferences.json');
  const preferences: unknown = JSON.parse(await readFile(file, 'utf8').catch(() => '{}'));
  violations.push(...storedControls('preferences.json', preferences));
  return violations;
}

/** A violation as one line, with the case that caused it. */
export function describeViolation(c: FuzzCase, v: Violation): string {
  const text = c.text.length > 400 ? `${c.text.slice(0, 400)}…(${c.text.length} chars in all)` : c.text;
  return `${v.property}: ${v.observed}\n  input: ${JSON.stringify({ ...c, text })}`;
}

export interface FuzzProgress {
  cases: number;
  failures: number;
  crashes: number;
  elapsedMs: number;
}

export interface FuzzFailure {
  /** The first failing case as generated, and its violations. */
  first: { index: number; case: FuzzCase; violations: Violation[] };
  /** The same property's counterexample shrunk by fast-check, and the path to replay it. */
  shrunk?: { case: FuzzCase; violations: Violation[]; path: string };
}

export interface FuzzResult extends FuzzProgress {
  seed: number;
  /** Cases that failed, by property (a case may fail several). */
  byProperty: Partial<Record<Property, number>>;
  /** One example per property that failed, shrunk. */
  examples: Partial<Record<Property, FuzzFailure>>;
  /** What the store held at the end that it should not (counted among the failures). */
  sweep: Violation[];
  coverage: FuzzCoverage;
}

export interface FuzzOptions {
  cases: number;
  seed: number;
  /** Called every `progressEvery` cases. */
  onProgress?: (progress: FuzzProgress) => void;
  progressEvery?: number;
  /** Shrink at most this many properties' first failures (each shrink replays cases). */
  shrink?: number;
}

/**
 * Runs `cases` generated cases from `seed` on one world, counting cases that violate a property
 * (`failures`) and those where the assistant threw or failed inside (`crashes`, counted among the
 * failures too); sweeps the store; then shrinks the first failure of each failing property by
 * replaying it (fast-check's `path`).
 */
export async function runFuzz(options: FuzzOptions): Promise<FuzzResult> {
  const world = await startFuzzWorld();
  const started = Date.now();
  const progress: FuzzProgress = { cases: 0, failures: 0, crashes: 0, elapsedMs: 0 };
  const byProperty: Partial<Record<Property, number>> = {};
  const firsts: Partial<Record<Property, FuzzFailure['first']>> = {};
  const every = options.progressEvery ?? 1000;
  try {
    await fc.check(
      fc.asyncProperty(fuzzCase, async (c) => {
        const index = progress.cases;
        const violations = await checkCase(world, c);
        progress.cases += 1;
        if (violations.length) {
          progress.failures += 1;
          if (violations.some((v) => v.property === 'no-exception')) progress.crashes += 1;
          for (const property of new Set(violations.map((v) => v.property))) {
            byProperty[property] = (byProperty[property] ?? 0) + 1;
            firsts[property] ??= { index, case: c, violations };
          }
        }
        if (progress.cases % every === 0) options.onProgress?.({ ...progress, elapsedMs: Date.now() - started });
        return true;
      }),
      { seed: options.seed, numRuns: options.cases },
    );
    progress.elapsedMs = Date.now() - started;
    const sweep = await sweepStore(world);
    progress.failures += sweep.length;
    const coverage = structuredClone(world.coverage);
    const examples: Partial<Record<Property, FuzzFailure>> = {};
    let shrinks = options.shrink ?? PROPERTIES.length;
    for (const property of PROPERTIES) {
      const first = firsts[property];
      if (!first) continue;
      examples[property] = { first };
      if (shrinks-- <= 0) continue;
      const shrunk = await shrinkFailure(world, property, options.seed, first.index);
      if (shrunk) examples[property].shrunk = shrunk;
    }
    return { ...progress, seed: options.seed, byProperty, examples, sweep, coverage };
  } finally {
    await world.close();
  }
}

/** Replays case `index` of the run from `seed` and lets fast-check shrink it while `property` still fails. */
async function shrinkFailure(
  world: FuzzWorld,
  property: Property,
  seed: number,
  index: number,
): Promise<FuzzFailure['shrunk']> {
  const last: { violations: Violation[] } = { violations: [] };
  const result = await fc.check(
    fc.asyncProperty(fuzzCase, async (c) => {
      const violations = (await checkCase(world, c)).filter((v) => v.property === property);
      if (violations.length) last.violations = violations;
      return violations.length === 0;
    }),
    { seed, path: String(index), numRuns: index + 1, maxSkipsPerRun: 0 },
  );
  if (!result.failed || !result.counterexample) return undefined;
  // The last failing run is the smallest: fast-check stops shrinking at a case whose shrinks all pass.
  const [c] = result.counterexample;
  const violations = (await checkCase(world, c)).filter((v) => v.property === property);
  return {
    case: c,
    violations: violations.length ? violations : last.violations,
    path: result.counterexamplePath ?? '',
  };
}
