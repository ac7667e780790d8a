// Dedup filters compare "units": for prompt-level fields every prompt is one unit (all of its responses
// stand or fall together: N samples of one prompt are not duplicates of each other); for response-level
// fields every sample is its own unit.
import { fieldText, type BuildSample, type SampleField } from '../sample.ts';

export type Units = {
  /** Text of each unit, in first-seen order. */
  texts: string[];
  /** Unit index of each sample. */
  unitOf: number[];
};

export function groupUnits(samples: readonly BuildSample[], field: SampleField): Units {
  const texts: string[] = [];
  const unitOf: number[] = [];
  if (field === 'prompt') {
    const byPrompt = new Map<string, number>();
    for (const sample of samples) {
      let unit = byPrompt.get(sample.promptId);
      if (unit === undefined) {
        unit = texts.length;
        byPrompt.set(sample.promptId, unit);
        texts.push(sample.prompt);
      }
      unitOf.push(unit);
    }
  } else {
    for (const sample of samples) {
      unitOf.push(texts.length);
      texts.push(fieldText(sample, field));
    }
  }
  return { texts, unitOf };
}
