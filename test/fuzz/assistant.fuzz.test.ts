/**
 * The fuzzing harness in `npm test`: a few hundred generated messages through the real Assistant,
 * every property (test/fuzz/properties.ts) checked on every one; then what the run covered, and
 * the store it left. The seed is fixed so a run is repeatable; set FUZZ_SEED to try others, and run
 * `npm run --silent bench -- fuzz --cases 100000` for the long run.
 */
import type { Reply } from '../../bot/chat/message';
import type { WeatherFacts } from '../../bot/core/domain';
import { replies } from '../../bot/chat/replies';
import { message } from '../helpers/bot';
import {
  MAX_MESSAGE_LENGTH,
  PROPERTIES,
  REPLY_MAX_LENGTH,
  describeViolation,
  replyViolations,
  runFuzz,
  startFuzzWorld,
  sweepStore,
  type FuzzResult,
  type FuzzWorld,
  type Property,
} from './properties';

const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : 20261125;
const CASES = 600;

/** A failing property's report: how many cases broke it, the first, and fast-check's shrunk case with its replay. */
function report(result: FuzzResult, property: Property): string | null {
  const example = result.examples[property];
  if (!example) return null;
  const lines = [`${result.byProperty[property]} of ${result.cases} cases (seed ${result.seed}) broke ${property}`];
  lines.push(
    `first, case #${example.first.index}:`,
    ...example.first.violations.map((v) => describeViolation(example.first.case, v)),
  );
  if (example.shrunk)
    lines.push(
      `shrunk (replay: FUZZ_SEED=${result.seed}, fast-check path "${example.shrunk.path}"):`,
      ...example.shrunk.violations.map((v) => describeViolation(example.shrunk!.case, v)),
    );
  return lines.join('\n');
}

describe(`${CASES} generated messages through the assistant (fast-check), every property checked on each`, () => {
  // One run checks every case against every property and goes on past failures, so each property below reports
  // on all the cases (with a shrunk counterexample), not only on those before the first failure of another.
  let result: FuzzResult;
  beforeAll(async () => {
    result = await runFuzz({ cases: CASES, seed: SEED, progressEvery: CASES });
  }, 90_000);

  test.each(PROPERTIES.map((property) => [property]))('%s holds for every case', (property) => {
    expect(report(result, property)).toBeNull();
  });

  test('the store the run leaves holds no control character anywhere', () => {
    expect(result.sweep).toEqual([]);
  });

  test('the generated messages reached every kind of reply, with every kind of hostile input', () => {
    expect(result.cases).toBe(CASES);
    const { replies: kinds, inputs } = result.coverage;
    // Shares of CASES well below what the generator gives (see test/fuzz/arbitraries.ts), so that a generator that
    // stopped making one kind of message, or a world that stopped answering weather, shows here.
    expect({
      weather: (kinds.weather ?? 0) >= CASES * 0.1,
      error: (kinds.error ?? 0) >= CASES * 0.05,
      smalltalk: (kinds.smalltalk ?? 0) >= CASES * 0.05,
      clarify: (kinds.clarify ?? 0) >= 10,
      command: (kinds.command ?? 0) >= 10,
      refused: (kinds.refused ?? 0) >= 5,
      leading: inputs.leading >= CASES * 0.1,
      controlCharacter: inputs.controlCharacter >= CASES * 0.1,
      massMention: inputs.massMention >= CASES * 0.05,
      tooLong: inputs.tooLong >= 5,
      blank: inputs.blank >= 5,
      moderator: inputs.moderator >= CASES * 0.2,
    }).toEqual({
      weather: true,
      error: true,
      smalltalk: true,
      clarify: true,
      command: true,
      refused: true,
      leading: true,
      controlCharacter: true,
      massMention: true,
      tooLong: true,
      blank: true,
      moderator: true,
    });
  });
});

describe('the checks catch what they are for', () => {
  // A real weather reply to break: its facts are what its numbers must come from.
  let weather: Reply;
  let world: FuzzWorld;
  beforeAll(async () => {
    world = await startFuzzWorld();
    weather = await world.bot.assistant.handle(message('weather in Paris tomorrow'));
  });
  afterAll(() => world.close());

  const free = { text: 'weather in Paris tomorrow', leading: false };
  const broken = (c: { text: string; leading: boolean }, reply: Reply): Property[] =>
    replyViolations(c, reply).map((v) => v.property);

  test('a good reply passes', () => {
    expect(weather.kind).toBe('weather');
    expect(broken(free, weather)).toEqual([]);
    expect(broken({ text: 'x'.repeat(600), leading: false }, { kind: 'error', text: replies.tooLong(500) })).toEqual(
      [],
    );
    expect(
      broken(
        { text: 'weather in Xyzzy 42', leading: false },
        { kind: 'error', text: replies.placeNotFound('Xyzzy 42') },
      ),
    ).toEqual([]);
    expect(
      broken({ text: '/units f', leading: true }, { kind: 'command', text: 'Got it — 3 things, 2 ways.' }),
    ).toEqual([]);
  });

  test.each<[string, (reply: Reply) => Reply, Property]>([
    ['an empty reply', (r) => ({ ...r, text: '' }), 'reply-length'],
    ['a reply over the cap', (r) => ({ ...r, text: `${r.text} ${'x'.repeat(REPLY_MAX_LENGTH)}` }), 'reply-length'],
    ['@everyone in a reply', (r) => ({ ...r, text: `${r.text} @everyone` }), 'no-mass-mention'],
    ['<!channel> in a reply', (r) => ({ ...r, text: `<!channel> ${r.text}` }), 'no-mass-mention'],
    ['an escape character in a reply', (r) => ({ ...r, text: `\u001b[31m${r.text}` }), 'no-control-character'],
    ['a C1 control in a reply', (r) => ({ ...r, text: `${r.text}\u0085` }), 'no-control-character'],
    ['an invented temperature', (r) => ({ ...r, text: `${r.text} It will be 1234°C.` }), 'grounded-numbers'],
    ['a weather reply without facts', (r) => ({ ...r, facts: undefined }), 'grounded-numbers'],
    ['a command reply to free text', () => ({ kind: 'command', text: 'Approved ✅' }), 'no-hidden-command'],
    [
      'a refusal to free text',
      () => ({ kind: 'refused', text: replies.refused('approve', 'moderator') }),
      'no-hidden-command',
    ],
    [
      'an unknown command to free text',
      () => ({ kind: 'error', text: replies.unknownCommand('frob') }),
      'no-hidden-command',
    ],
    ['an internal error', () => ({ kind: 'error', text: replies.internalError }), 'no-exception'],
    ['an invented number in an error', () => ({ kind: 'error', text: 'Try again in 7 minutes.' }), 'grounded-numbers'],
  ])('%s', (_what, breakIt, property) => {
    expect(broken(free, breakIt(weather))).toContain(property);
  });

  test('a number moved out of the facts is caught', () => {
    const facts = weather.facts as WeatherFacts;
    const hotter = structuredClone(facts);
    // Every number in the facts one higher: the reply's numbers no longer all come from them.
    const bump = (value: unknown): unknown =>
      typeof value === 'number'
        ? value + 1000
        : Array.isArray(value)
          ? value.map(bump)
          : value && typeof value === 'object'
            ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, bump(v)]))
            : value;
    expect(broken(free, { ...weather, facts: bump(hotter) as WeatherFacts })).toContain('grounded-numbers');
  });

  test('a control character the store kept is caught by the sweep', async () => {
    await world.bot.store.setPreferences('user', 'test', 'sweep-user', { location: 'Paris\u0007' });
    expect((await sweepStore(world)).map((v) => v.property)).toEqual(['no-control-character']);
  });

  test("MAX_MESSAGE_LENGTH is the world's", async () => {
    const reply = await world.bot.assistant.handle(message('x'.repeat(MAX_MESSAGE_LENGTH + 1)));
    expect(reply.text).toBe(replies.tooLong(MAX_MESSAGE_LENGTH));
  });
});
