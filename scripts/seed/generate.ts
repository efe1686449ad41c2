/**
 * The seed dataset: curated examples of message -> query JSON -> weather facts -> answer.
 * `npx tsx scripts/seed/generate.ts [--seed N] [--count N] [--out dir]` rewrites data/seed/.
 *
 * The generator knows what it put in each message (place, time, aspect, units), so that is the
 * query label. The weather comes from a small synthetic model (weather-model.ts); the facts are
 * the bot's own `buildFacts` of that report and the answer its own `renderAnswer`, or another
 * wording whose every number is checked against the facts. Held-out cities and question frames
 * go to the test split only, so the test split asks in ways and about places training never saw.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildFacts } from '../../bot/answers/facts';
import {
  ASPECTS,
  NAMED_WHENS,
  type Aspect,
  type TemperatureUnit,
  type Understanding,
  type UnitSystem,
  type WeatherQuery,
} from '../../bot/core/domain';
import { understandByRules } from '../../bot/understanding/rules';
import { unsupportedNumbers } from '../../bot/core/fact-guard';
import { questionKey } from '../../training/dataset/question-key';
import type { SeedExample } from '../../training/dataset/seed';
import { seededRandom } from '../../training/random';
import { CITIES, type PlaceForm, type SeedCity } from './cities';
import { answerFor } from './paraphrase';
import {
  decorate,
  FRAMES,
  frameTakesNoPlace,
  misspell,
  NOT_WEATHER_FRAMES,
  pick,
  recase,
  timePhrase,
  UNIT_REQUESTS,
  type Frame,
} from './phrasings';
import { simulateReport, type Random } from './weather-model';

export const DEFAULT_SEED = 20_261_125;
export const DEFAULT_COUNT = 4000;
/** Messages with their readings for pretraining the offline base (training/jobs/pretrain.ts), from their own seed. */
export const PRETRAIN_COUNT = 20_000;
const PRETRAIN_SEED_OFFSET = 1;
const NOT_WEATHER_SHARE = 0.15;
const PARAPHRASE_RATE = 0.35;

/** Cities that appear in the test split only. */
export const HELD_OUT_CITIES = ['Nashville', 'Ottawa', 'Porto', 'Hobart', 'Ho Chi Minh City', 'Addis Ababa', 'Cologne'];
/** Every 12th frame of each aspect (and of the small talk) appears in the test split only. */
const isHeldOutFrame = (id: string) => Number(id.slice(id.lastIndexOf('-') + 1)) % 12 === 5;

/** Countries whose people expect °F and mph (as the assistant chooses units by country). */
const IMPERIAL_COUNTRIES = new Set(['US', 'LR', 'MM', 'PR', 'GU', 'VI', 'AS', 'MP', 'BS', 'KY', 'PW', 'FM', 'MH']);

type TimeKind = Parameters<typeof timePhrase>[1];
const ASPECT_WEIGHTS: Record<Aspect, number> = {
  general: 24,
  temperature: 16,
  rain: 17,
  snow: 9,
  wind: 11,
  humidity: 10,
  sun: 13,
};
const TIME_WEIGHTS: Record<TimeKind, number> = {
  now: 20,
  today: 12,
  tonight: 9,
  tomorrow: 18,
  weekend: 9,
  weekday: 20,
  'days-ahead': 12,
};

function weighted<K extends string>(random: Random, weights: Record<K, number>): K {
  const entries = Object.entries(weights) as [K, number][];
  let draw = random() * entries.reduce((sum, [, w]) => sum + w, 0);
  for (const [key, weight] of entries) {
    draw -= weight;
    if (draw < 0) return key;
  }
  return entries[entries.length - 1][0];
}

interface Draft {
  example: Omit<SeedExample, 'id'>;
  heldOut: boolean;
  paraphrased: boolean;
}

/** "Paris, TX" -> the text and the region label. */
function placeText(city: SeedCity, form: PlaceForm, random: Random): { text: string; region: string | null } {
  const ownName = form.typed === form.label;
  const qualify = ownName && city.qualifiers.length > 0 && (city.needsQualifier || random() < 0.12);
  if (!qualify) return { text: form.typed, region: null };
  const region = pick(random, city.qualifiers);
  return { text: `${form.typed}${random() < 0.7 ? ', ' : ' '}${region}`, region };
}

function formOf(city: SeedCity, random: Random): PlaceForm {
  return city.forms.length === 1 || random() < 0.6 ? city.forms[0] : pick(random, city.forms.slice(1));
}

/** Fills a frame: the place (or none), the time phrase, spacing and punctuation tidied. */
function fill(frame: Frame, place: string | null, time: string, random: Random): string {
  let text = random() < 0.15 ? misspell(frame.text, random) : frame.text;
  const placeLast = place !== null && text.includes('[') && random() < 0.12;
  text = text.replace(/\[([^\]]*)\]/, (_, part: string) => (place !== null && !placeLast ? part : ''));
  text = text.replace('{P}', place ?? '').replace('{W}', time);
  if (placeLast) text = `${text} in ${place}`;
  return text
    .replace(/\s+/g, ' ')
    .replace(/\s+([,?])/g, '$1')
    .replace(/,$/, '')
    .trim();
}

function unitsFor(city: SeedCity, requested: TemperatureUnit | null): UnitSystem {
  if (requested) return requested === 'fahrenheit' ? 'imperial' : 'metric';
  return IMPERIAL_COUNTRIES.has(city.countryCode) ? 'imperial' : 'metric';
}

/** A local date from 2025-01-01 to 2026-12-31 and a waking hour, so every season shows. */
function momentOf(random: Random): { today: string; hour: number; minute: number } {
  const today = new Date(Date.UTC(2025, 0, 1) + Math.floor(random() * 730) * 86_400_000).toISOString().slice(0, 10);
  const hour = random() < 0.9 ? 6 + Math.floor(random() * 18) : Math.floor(random() * 6);
  return { today, hour, minute: pick(random, [0, 15, 30, 45]) };
}

function weatherDraft(random: Random): Draft {
  const aspect = weighted(random, ASPECT_WEIGHTS);
  const timeKind = weighted(random, TIME_WEIGHTS);
  const time = timePhrase(random, timeKind);
  const named = random() >= 0.06;
  const frames = FRAMES.filter(
    (f) =>
      f.aspect === aspect &&
      (timeKind === 'now' ? f.tense !== 'later' : f.tense !== 'now') &&
      (named || frameTakesNoPlace(f)),
  );
  const frame = pick(random, frames);
  // With no place named, the bot answers for the user's saved place: a city that is not held out stands for it.
  const city = pick(random, named ? CITIES : CITIES.filter((c) => !HELD_OUT_CITIES.includes(c.name)));
  const form = formOf(city, random);
  const place = named ? placeText(city, form, random) : null;

  const units: TemperatureUnit | null =
    random() < 0.07 ? (random() < 0.7 === IMPERIAL_COUNTRIES.has(city.countryCode) ? 'celsius' : 'fahrenheit') : null;
  let question = fill(frame, place?.text ?? null, time.text, random);
  if (units) question += pick(random, UNIT_REQUESTS[units]);
  const message = recase(decorate(question, aspect, random), random);

  const query: WeatherQuery = {
    weather: true,
    location: named ? form.label : null,
    region: place?.region ?? null,
    when: time.when,
    aspect,
    units,
  };
  const report = simulateReport(city, { ...momentOf(random), units: unitsFor(city, units) }, random);
  const facts = buildFacts(report, query);
  const { answer, paraphrased } = answerFor(facts, random, PARAPHRASE_RATE);
  const strays = unsupportedNumbers(answer, facts);
  if (strays.length > 0) throw new Error(`answer numbers ${strays.join(', ')} are not in the facts: ${answer}`);
  return {
    example: { message, query, facts, answer, source: 'seed' },
    heldOut: isHeldOutFrame(frame.id) || (named && HELD_OUT_CITIES.includes(city.name)),
    paraphrased,
  };
}

function chatDraft(random: Random): Draft {
  const frame = pick(random, NOT_WEATHER_FRAMES);
  const city = pick(random, CITIES);
  const text = frame.text.replace('{P}', formOf(city, random).typed);
  const message = recase(random() < 0.4 ? decorate(text, null, random) : text, random);
  return {
    example: { message, query: { weather: false }, facts: null, answer: null, source: 'seed' },
    heldOut: isHeldOutFrame(frame.id) || (frame.text.includes('{P}') && HELD_OUT_CITIES.includes(city.name)),
    paraphrased: false,
  };
}

export interface GeneratedSeed {
  train: SeedExample[];
  test: SeedExample[];
  /** Weather answers worded by a paraphrase rather than the template. */
  paraphrased: number;
}

/**
 * `count` examples (about 15% not about the weather), deterministic from `seed`. A message is kept
 * once (by its question key); a test message never has the key of a training one.
 */
export function generateSeed({
  seed = DEFAULT_SEED,
  count = DEFAULT_COUNT,
}: { seed?: number; count?: number } = {}): GeneratedSeed {
  const random = seededRandom(seed);
  const wanted = {
    chat: Math.round(count * NOT_WEATHER_SHARE),
    weather: count - Math.round(count * NOT_WEATHER_SHARE),
  };
  const made = { chat: 0, weather: 0 };
  const seen = new Set<string>();
  const drafts: Draft[] = [];
  for (let attempt = 0; made.chat + made.weather < count && attempt < count * 20; attempt++) {
    const kind =
      made.chat < wanted.chat && (made.weather >= wanted.weather || random() < NOT_WEATHER_SHARE) ? 'chat' : 'weather';
    const draft = kind === 'chat' ? chatDraft(random) : weatherDraft(random);
    const key = questionKey(draft.example.message);
    if (key === '' || seen.has(key)) continue;
    seen.add(key);
    drafts.push(draft);
    made[kind] += 1;
  }
  const width = String(drafts.length).length;
  const examples = drafts.map((draft, i) => ({
    ...draft,
    example: { id: `seed-${String(i + 1).padStart(width, '0')}`, ...draft.example },
  }));
  return {
    train: examples.filter((d) => !d.heldOut).map((d) => d.example),
    test: examples.filter((d) => d.heldOut).map((d) => d.example),
    paraphrased: examples.filter((d) => d.paraphrased).length,
  };
}

/**
 * More messages of the training split's kind, each with its reading only (no facts, no answer): the same frames and
 * cities, never a held-out one, and never a message with the key of a test one. The offline base learns to read from
 * them (training/jobs/pretrain.ts); the test split still asks in phrasings and about places it never saw.
 */
export function generatePretrainReadings({
  seed = DEFAULT_SEED,
  count = PRETRAIN_COUNT,
  test,
}: {
  seed?: number;
  count?: number;
  test: readonly SeedExample[];
}): SeedExample[] {
  const testKeys = new Set(test.map((e) => questionKey(e.message)));
  const { train } = generateSeed({ seed: seed + PRETRAIN_SEED_OFFSET, count });
  const kept = train.filter((e) => !testKeys.has(questionKey(e.message)));
  const width = String(kept.length).length;
  return kept.map((e, i) => ({
    id: `read-${String(i + 1).padStart(width, '0')}`,
    message: e.message,
    query: e.query,
    facts: null,
    answer: null,
    source: 'seed',
  }));
}

/** How often the rules read a message exactly as its label says, and field by field. */
export function rulesAgreement(examples: readonly SeedExample[]): {
  exact: number;
  weatherOrNot: number;
  fields: Record<string, number>;
  total: number;
} {
  const fields = ['location', 'region', 'when', 'aspect', 'units'] as const;
  let exact = 0;
  let weatherOrNot = 0;
  const fieldHits: Record<string, number> = Object.fromEntries(fields.map((f) => [f, 0]));
  let weatherBoth = 0;
  for (const example of examples) {
    const read: Understanding = understandByRules(example.message);
    if (JSON.stringify(read) === JSON.stringify(example.query)) exact += 1;
    if (read.weather === example.query.weather) weatherOrNot += 1;
    if (read.weather && example.query.weather) {
      weatherBoth += 1;
      for (const field of fields) if (read[field] === example.query[field]) fieldHits[field] += 1;
    }
  }
  const share = (n: number, of: number) => (of === 0 ? 0 : n / of);
  return {
    exact: share(exact, examples.length),
    weatherOrNot: share(weatherOrNot, examples.length),
    fields: Object.fromEntries(fields.map((f) => [f, share(fieldHits[f], weatherBoth)])),
    total: examples.length,
  };
}

function countBy(examples: readonly SeedExample[], keyOf: (e: SeedExample) => string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const e of examples) counts.set(keyOf(e), (counts.get(keyOf(e)) ?? 0) + 1);
  return counts;
}

const whenGroup = (e: SeedExample) =>
  e.query.weather ? (e.query.when.startsWith('+') ? '+Nd' : e.query.when) : '(not weather)';
const aspectGroup = (e: SeedExample) => (e.query.weather ? e.query.aspect : '(not weather)');
const percent = (x: number) => `${(100 * x).toFixed(1)}%`;

function countTable(title: string, order: string[], train: Map<string, number>, test: Map<string, number>): string {
  const rows = order
    .filter((k) => train.has(k) || test.has(k))
    .map((k) => `| ${k} | ${train.get(k) ?? 0} | ${test.get(k) ?? 0} |`);
  return [`| ${title} | train | test |`, '| --- | ---: | ---: |', ...rows].join('\n');
}

function readme(seed: number, { train, test, paraphrased }: GeneratedSeed, pretrain: number): string {
  const all = [...train, ...test];
  const agreement = rulesAgreement(all);
  const onTest = rulesAgreement(test);
  const weather = all.filter((e) => e.query.weather);
  const unitsAsked = weather.filter((e) => e.query.weather && e.query.units !== null).length;
  const noPlace = weather.filter((e) => e.query.weather && e.query.location === null).length;
  const qualified = weather.filter((e) => e.query.weather && e.query.region !== null).length;
  const whenOrder = [...NAMED_WHENS, '+Nd', '(not weather)'];
  const aspectOrder = [...ASPECTS, '(not weather)'];
  return `# Seed dataset

Curated examples of the model's two jobs in the tool-call protocol of \`bot/core/protocol.ts\`:
a chat message -> the JSON weather query, then the weather facts (the tool result) -> the answer.
They teach the model before any real conversation has been moderated, and the test split measures it.

Made by \`npx tsx scripts/seed/generate.ts\` (seed ${seed}); running it again gives the same files.

## Files

- \`train.jsonl\` — ${train.length} examples; training uses them beside approved and corrected exchanges.
- \`test.jsonl\` — ${test.length} held-out examples, never trained on: evaluation only.
- \`pretrain.jsonl\` — ${pretrain} more messages of the training split's kind with their readings only (\`facts\` and
  \`answer\` null), from seed ${seed + PRETRAIN_SEED_OFFSET}: the same frames and cities as \`train.jsonl\`, never a held-out
  one nor a test message's question key. The offline tiny base learns to read from them (\`training/jobs/pretrain.ts\`).

Each line is one JSON object:

| field | meaning |
| --- | --- |
| \`id\` | \`seed-NNNN\`, stable for a given generator seed |
| \`message\` | the chat message as a user would type it |
| \`query\` | the true parse (\`WeatherQuery\` of \`bot/core/domain.ts\`), or \`{"weather":false}\` for a message that is not a weather question |
| \`facts\` | the \`WeatherFacts\` the answer is written from (what the tool returns), or \`null\` when not weather |
| \`answer\` | the reply, written only from \`facts\`; \`null\` when not weather |
| \`source\` | always \`"seed"\` |

## How it was made

- **Messages** come from ${FRAMES.length} question frames over the seven aspects and ${NOT_WEATHER_FRAMES.length} small-talk
  frames, filled with one of ${CITIES.length} cities worldwide (nicknames such as "Philly" or "the Big Apple", spellings
  with and without diacritics, multi-word names, region qualifiers such as "Paris, TX" — required where a better-known
  namesake exists), every \`when\` (now, today, tonight, tomorrow, weekend, each weekday, \`+Nd\` from "in 3 days" to "in a
  fortnight") in many wordings, and unit requests ("in F", "celsius pls"). Around them: chatter, emoji, mentions
  (\`@weatherbot\`, \`<@…>\`), typos and misspellings, lower case, sentence case and ALL CAPS.
- **Labels** are the generator's own ground truth — it knows which place, time, aspect and units it wrote — not the
  output of the rules. The location is the place as the user named it (a nickname maps to its city), the region as typed.
  ${noPlace} questions name no place (the bot answers for the user's saved place; the facts are that place's).
- **Weather** comes from a small synthetic model (\`scripts/seed/weather-model.ts\`): each city's January and July means,
  wet-day share and wet season, humidity and wind give 16-day forecasts with day-to-day anomalies; precipitation is snow
  below freezing and rain above, thunderstorms come on warm wet afternoons, sunrise and sunset follow the sun's position
  for the latitude and date (none in polar day or night), UV the sun's height and the cloud; local times follow the
  city's time zone with daylight saving. Dates span 2025–2026 so every season appears. Units are the country's (°F and mph
  in the US) unless the message asks for others.
- **Facts and answers** are the bot's own: \`buildFacts(report, query)\` and \`renderAnswer(facts)\`; ${paraphrased} weather
  answers use another wording from \`scripts/seed/paraphrase.ts\`, and every number in every answer is checked to appear
  in its facts.
- **Split**: the test split holds every example that uses a held-out city (${HELD_OUT_CITIES.join(', ')}) or a held-out
  frame (every 12th frame of each aspect and of the small talk), so it asks in phrasings and about places the training
  split never has; no test message has the same normalized form (\`questionKey\` of \`training/dataset/question-key.ts\`)
  as a training one, and no message appears twice.

## Counts

${train.length + test.length} examples: ${weather.length} weather questions, ${all.length - weather.length} not about the weather
(${percent((all.length - weather.length) / all.length)}); ${unitsAsked} ask for units, ${qualified} carry a region qualifier.

${countTable('when', whenOrder, countBy(train, whenGroup), countBy(test, whenGroup))}

${countTable('aspect', aspectOrder, countBy(train, aspectGroup), countBy(test, aspectGroup))}

## Agreement of the rules

\`understandByRules\` (\`bot/understanding/rules.ts\`) gives exactly the label for ${percent(agreement.exact)} of the
${agreement.total} messages and tells weather from not weather for ${percent(agreement.weatherOrNot)}. Where both say weather,
it agrees on ${Object.entries(agreement.fields)
    .map(([field, share]) => `${field} ${percent(share)}`)
    .join(', ')}.
On the test split alone it gives exactly the label for ${percent(onTest.exact)}: the bar a trained model should clear there.
Messages it gets wrong are the ones a trained model should learn to get right.
`;
}

const toJsonl = (examples: readonly SeedExample[]) => examples.map((e) => JSON.stringify(e)).join('\n') + '\n';

async function main(args: string[]): Promise<void> {
  const option = (name: string) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const seed = Number(option('--seed') ?? DEFAULT_SEED);
  const count = Number(option('--count') ?? DEFAULT_COUNT);
  const out = option('--out') ?? join(import.meta.dirname, '..', '..', 'data', 'seed');
  const generated = generateSeed({ seed, count });
  const pretrain = generatePretrainReadings({ seed, test: generated.test });
  await mkdir(out, { recursive: true });
  await writeFile(join(out, 'train.jsonl'), toJsonl(generated.train));
  await writeFile(join(out, 'test.jsonl'), toJsonl(generated.test));
  await writeFile(join(out, 'pretrain.jsonl'), toJsonl(pretrain));
  await writeFile(join(out, 'README.md'), readme(seed, generated, pretrain.length));
  process.stdout.write(
    `wrote ${generated.train.length} train, ${generated.test.length} test and ${pretrain.length} pretraining examples to ${out}\n`,
  );
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main(process.argv.slice(2)).catch((error) => {
    process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  });
}
