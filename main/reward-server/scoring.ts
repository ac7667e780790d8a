// The reward server's wire format and the scoring of one item. This is the only place that turns a request
// item into a RewardSample, so the server, its workers and the tests all agree on the mapping:
//
//   {prompt, response, ground_truth, lang, data_source}  →  {prompt, response, gold, target}
//
// and a RewardBreakdown into `{score, components: {name: {score, weight, reason}}, reasons}` (the component
// details, e.g. language spans, stay on the server: they are large and verl has no use for them).
import { z } from 'zod';
import { computeRewards, type RewardConfig, type RewardSample } from '../rewards/index.ts';
import type { RewardBreakdown } from '../rewards/index.ts';

export const rewardItemSchema = z
  .object({
    prompt: z.string().default(''),
    response: z.string(),
    /** Numbers are accepted (verl datasets often store them so) and read as their decimal text. */
    ground_truth: z.union([z.string(), z.number().finite()]).nullable().optional(),
    lang: z.string().nullable().optional(),
    data_source: z.string().nullable().optional(),
  })
  .strict();

export type RewardItem = z.input<typeof rewardItemSchema>;

export type ComponentResult = { score: number | null; weight: number; reason: string };

export type RewardResult = {
  score: number;
  components: Record<string, ComponentResult>;
  reasons: string[];
  /** Present when the item was not scored normally: 'timeout' or 'failed' (then score is 0). */
  error?: 'timeout' | 'failed';
};

export function sampleFromItem(item: z.output<typeof rewardItemSchema>): RewardSample {
  const gold = item.ground_truth === null || item.ground_truth === undefined ? null : String(item.ground_truth);
  const target = item.lang ? item.lang : undefined;
  return { prompt: item.prompt, response: item.response, gold, target };
}

export function resultFromBreakdown(breakdown: RewardBreakdown): RewardResult {
  const components: Record<string, ComponentResult> = {};
  for (const [name, c] of Object.entries(breakdown.components)) {
    if (c) components[name] = { score: c.score, weight: c.weight, reason: c.reason };
  }
  return { score: breakdown.total, components, reasons: breakdown.reasons };
}

/** An item that could not be scored: 0, with the reason. */
export function failedResult(error: 'timeout' | 'failed', reason: string): RewardResult {
  return { score: 0, components: {}, reasons: [reason], error };
}

/** Scores one sample exactly as computeRewards does in process (it is computeRewards, on one sample). */
export async function scoreSample(sample: RewardSample, config: RewardConfig): Promise<RewardResult> {
  const [breakdown] = await computeRewards([sample], config);
  return resultFromBreakdown(breakdown);
}

/**
 * Scores several samples with one computeRewards call: the same results as scoreSample on each (the
 * components score each sample on its own), without computeRewards' per-call cost for every sample.
 */
export async function scoreSamples(samples: readonly RewardSample[], config: RewardConfig): Promise<RewardResult[]> {
  return (await computeRewards(samples, config)).map(resultFromBreakdown);
}

/**
 * What a worker imports to score samples; tests swap in a module with the same exports. `scoreSamples` is
 * optional: without it every sample gets its own `scoreSample` call.
 */
export type SampleScorer = {
  scoreSample: (sample: RewardSample, config: RewardConfig) => Promise<RewardResult>;
  scoreSamples?: (samples: readonly RewardSample[], config: RewardConfig) => Promise<RewardResult[]>;
};

/** A request item's problems, as the 400 reply names them (`items.3.response: expected string`). */
export type ItemIssue = { path: (string | number)[]; message: string };

/**
 * What a worker returns for an item it received as raw bytes (main/reward-server/request-split.ts): the
 * RewardResult already serialised (so the server's thread only joins strings), or why the item is bad.
 */
export type EncodedItemOutcome = { json: string; error?: RewardResult['error'] } | { badJson: true } | { issues: ItemIssue[] };

/** Formats issues under `prefix`, at most five: `items.3.response: Invalid input: expected string`. */
export function describeIssues(issues: readonly ItemIssue[], prefix: string): string {
  return issues
    .slice(0, 5)
    .map((i) => `${[prefix, ...i.path].join('.')}: ${i.message}`)
    .join('; ');
}

/** Decodes and validates one item's JSON text: the sample to score, or the outcome that rejects it. */
export function sampleFromJson(text: string): { sample: RewardSample } | { badJson: true } | { issues: ItemIssue[] } {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { badJson: true };
  }
  const item = rewardItemSchema.safeParse(raw);
  if (!item.success) return { issues: item.error.issues.map((i) => ({ path: i.path.map((p) => (typeof p === 'number' ? p : String(p))), message: i.message })) };
  return { sample: sampleFromItem(item.data) };
}

/** The encoded outcome of a scored (or failed) item. */
export function encodedOutcome(result: RewardResult): EncodedItemOutcome {
  return result.error ? { json: JSON.stringify(result), error: result.error } : { json: JSON.stringify(result) };
}
