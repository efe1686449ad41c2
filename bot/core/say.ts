/**
 * Where the model has earned its say over the rules: the fields of the query it read better than the rules did when
 * its version was evaluated. The evaluation (training/jobs/evaluate.ts) records, for each field F of the query, on the
 * validation conversations and the taught slice together:
 *   model<F>    the share the candidate's own queries read right (parseAccuracy's scoring)
 *   rules<F>    the same for the rules, with the lessons, as the bot reads with no model
 *   <f>Samples  how many examples scored the field (`weather`: all of them; the rest: the weather questions)
 * e.g. modelWeather, rulesWeather, weatherSamples; modelLocation, rulesLocation, locationSamples.
 * The guard (guard.ts) reads the set: an unearned field is guarded as if the model had no say at all.
 */
export const SAY_FIELDS = ['weather', 'location', 'region', 'when', 'aspect', 'units'] as const;
export type SayField = (typeof SAY_FIELDS)[number];

/** The fields where the model's reading stands against the rules' (within the guard's safety rules). */
export type EarnedSay = ReadonlySet<SayField>;

export const NO_SAY: EarnedSay = new Set();

/**
 * The say of a version evaluated before the say was measured: `when` and `aspect`, which the guard always left to the
 * model, and nothing more.
 */
export const UNMEASURED_SAY: EarnedSay = new Set(['when', 'aspect']);

/**
 * The model must beat the rules by more than two points: below that the two read alike, and ties stay with the rules,
 * which every earlier version was measured against.
 */
export const SAY_MARGIN = 0.02;
/**
 * And on at least 30 examples: about what a default evaluation scores (32 everyday conversations, plus the taught
 * ones); on fewer, one message moves the accuracy by more than three points and the margin means nothing.
 */
export const SAY_MIN_SAMPLES = 30;

const capitalised = (field: SayField) => field[0].toUpperCase() + field.slice(1);

/** The metric names of one field's readings (see above). */
export function sayMetrics(field: SayField): { model: string; rules: string; samples: string } {
  return { model: `model${capitalised(field)}`, rules: `rules${capitalised(field)}`, samples: `${field}Samples` };
}

/**
 * The fields where a version's metrics show the model reading better than the rules; UNMEASURED_SAY for versions
 * evaluated before they were measured.
 */
export function earnedSay(metrics: Readonly<Record<string, number>>): EarnedSay {
  if (!SAY_FIELDS.some((field) => Number.isFinite(metrics[sayMetrics(field).samples]))) return UNMEASURED_SAY;
  return new Set(
    SAY_FIELDS.filter((field) => {
      const names = sayMetrics(field);
      const [model, rules, samples] = [metrics[names.model], metrics[names.rules], metrics[names.samples]];
      if (![model, rules, samples].every(Number.isFinite)) return false;
      return samples >= SAY_MIN_SAMPLES && model - rules > SAY_MARGIN;
    }),
  );
}
