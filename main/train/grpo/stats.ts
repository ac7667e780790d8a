// Small statistics over a step's numbers, shared by rollout, step log and evaluation (one file, so the
// rollout does not import the step log that reads its result).

/** Mean of `xs`, NaN when empty (a metric with nothing to average is left out of metrics.jsonl). */
export const mean = (xs: readonly number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);
