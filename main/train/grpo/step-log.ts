// What a trained GRPO step leaves behind: the train record of metrics.jsonl (reward and its components,
// accuracy, language, the batch-shaping counters, lengths, the update's loss/kl/clip numbers, timings and
// throughput), samples/step-N.jsonl for the rollout viewer, TensorBoard's Text tab, and the log line.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Traffic } from '../../engine/index.ts';
import { splitThinking } from '../../rewards/index.ts';
import type { MetricsLog } from '../run/index.ts';
import { zeroVarianceGroups } from './advantages.ts';
import type { GrpoConfig } from './config.ts';
import type { PromptSelector } from './prompt-selector.ts';
import type { Rollout } from './rollout.ts';
import { mean } from './stats.ts';
import type { ScoredGroup } from './score.ts';
import type { UpdateOutcome } from './update.ts';

// `mean` (stats.ts) stays exported here for existing importers.
export { mean };

/** The step's train metrics (NaN where a metric does not apply: left out when written). */
export function trainMetrics(config: GrpoConfig, rollout: Rollout, update: UpdateOutcome, selector: PromptSelector): Record<string, number> {
  const { groups, generated, rolloutSeconds, rewardSeconds, sampledGroups, dropped, filtered, replayed } = rollout;
  const { lr, stepMetrics, updateTokens, updateSeconds } = update;
  const G = config.rollout.groupSize;
  const shaped = groups.flatMap((g) => g.shaped);
  const responses = groups.flatMap((g) => g.responses);
  const thinkLengths = responses.map((r) => {
    const s = splitThinking(r.text);
    return s.thinking === null ? 0 : [...s.thinking].length;
  });
  const componentMeans: Record<string, number> = {};
  for (const c of ['accuracy', 'format', 'language', 'rewardModel', 'judge'] as const) {
    const scores = groups.flatMap((g) => g.rewards.map((r) => r.components[c]?.score)).filter((s): s is number => typeof s === 'number');
    if (scores.length) componentMeans[`rewards/${c}/mean`] = mean(scores);
  }
  const acc = groups.flatMap((g) => g.accuracy).filter((a): a is number => a !== null);
  return {
    loss: mean(stepMetrics.loss),
    lr,
    grad_norm: mean(stepMetrics.grad_norm),
    reward: mean(groups.flatMap((g) => g.rewards.map((r) => r.total))),
    'reward/std': Math.sqrt(mean(shaped.map((r) => (r - mean(shaped)) ** 2))),
    ...componentMeans,
    accuracy: acc.length ? mean(acc) : NaN,
    lang: mean(groups.flatMap((g) => g.lang)),
    zero_variance_share: sampledGroups ? groups.filter((g) => zeroVarianceGroups(g.shaped, G)[0]).length / groups.length : 0,
    dropped_share: sampledGroups ? dropped / sampledGroups : 0,
    filtered_prompts: filtered,
    replayed,
    groups: groups.length,
    response_length: mean(responses.map((r) => r.tokens.length)),
    thinking_length: mean(thinkLengths),
    truncated_share: responses.filter((r) => r.finishReason === 'length').length / responses.length,
    kl: mean(stepMetrics.kl),
    clip_fraction: mean(stepMetrics.clip_fraction),
    ratio_mean: mean(stepMetrics.ratio_mean),
    entropy: mean(stepMetrics.entropy),
    rollout_s: rolloutSeconds,
    reward_s: rewardSeconds,
    update_s: updateSeconds,
    rollout_tokens_per_s: generated / Math.max(rolloutSeconds, 1e-9),
    update_tokens_per_s: updateTokens / Math.max(updateSeconds, 1e-9),
    tokens_per_s: (generated + updateTokens) / Math.max(rolloutSeconds + updateSeconds, 1e-9),
    ...curriculumMetrics(selector),
  };
}

/** Writes a trained step's record, samples and rollout text, and logs its headline; returns the train metrics. */
export function logStep(
  step: number,
  config: GrpoConfig,
  rollout: Rollout,
  update: UpdateOutcome,
  advantages: Float64Array,
  out: { metrics: MetricsLog; samplesDir: string; selector: PromptSelector; log: (line: string) => void; traffic: Traffic },
): Record<string, number> {
  const { groups } = rollout;
  const train = trainMetrics(config, rollout, update, out.selector);
  out.metrics.append({ step, split: 'train', ...Object.fromEntries(Object.entries(train).filter(([, v]) => Number.isFinite(v))), ...trafficFields(out.traffic) });
  writeSamples(join(out.samplesDir, `step-${step}.jsonl`), groups, advantages, (id) => out.selector.score(id));
  // TensorBoard's Text tab: the first response to the first two prompts of the step (markdown).
  out.metrics.appendText(step, 'rollouts', groups.slice(0, 2).map((g) => `**${g.prompt.prompt}** (reward ${g.rewards[0]?.total.toFixed(3)})\n\n${g.responses[0]?.text ?? ''}`).join('\n\n---\n\n'));
  out.log(`step ${step}/${config.steps}: reward ${train.reward.toFixed(3)}, accuracy ${(train.accuracy ?? NaN).toFixed(3)}, lang ${train.lang.toFixed(3)}, kl ${train.kl.toExponential(2)}, dropped ${rollout.dropped}/${rollout.sampledGroups}`);
  return train;
}

/** The record of a step whose every sampled group taught nothing (no update ran). */
export function logSkippedStep(step: number, config: GrpoConfig, rollout: Rollout, out: { metrics: MetricsLog; log: (line: string) => void; traffic: Traffic }): void {
  const { sampledGroups, dropped, filtered, rolloutSeconds, rewardSeconds } = rollout;
  out.log(`step ${step}: no group left to train on (${dropped} of ${sampledGroups} sampled groups had all-equal ${config.dynamicSampling.by} scores after ${config.dynamicSampling.maxRounds} extra rounds); update skipped — raise dynamicSampling.maxRounds or rollout.groupSize if this repeats`);
  out.metrics.append({ step, split: 'train', skipped_update: 1, groups: 0, dropped_share: 1, filtered_prompts: filtered, rollout_s: rolloutSeconds, reward_s: rewardSeconds, ...trafficFields(out.traffic) });
}

/** The step's host↔device bytes (rollouts, log-probs, reward model, update: every engine counter). */
function trafficFields(traffic: Traffic): { traffic_h2d: number; traffic_d2h: number } {
  return { traffic_h2d: traffic.hostToDevice, traffic_d2h: traffic.deviceToHost };
}

/** `curriculum/<category>/value` (the bandit's Q) for curriculum runs: which categories the run favours. */
function curriculumMetrics(selector: PromptSelector): Record<string, number> {
  const state = selector.curriculumValues();
  if (!state) return {};
  return Object.fromEntries(Object.entries(state.values).map(([arm, q]) => [`curriculum/${arm}/value`, q]));
}

/** samples/step-N.jsonl: one line per group, for the rollout viewer. */
function writeSamples(path: string, groups: readonly ScoredGroup[], advantages: Float64Array, vps: (promptId: string) => number | null): void {
  const G = groups[0]?.responses.length ?? 0;
  const lines = groups.map((g, gi) =>
    JSON.stringify({
      id: g.prompt.id,
      prompt: g.prompt.prompt,
      answer: g.prompt.answer,
      lang: g.prompt.lang,
      // Variance-aware sampling: the prompt's Variance Promotion Score after this visit.
      vps: vps(g.prompt.id) ?? undefined,
      category: g.prompt.category,
      responses: g.responses.map((r, i) => {
        const rw = g.rewards[i];
        const language = rw.components.language?.detail as { spans?: unknown } | undefined;
        return {
          text: r.text,
          tokens: r.tokens.length,
          finishReason: r.finishReason,
          replayed: r.replayed || undefined,
          reward: rw.total,
          shapedReward: g.shaped[i],
          components: Object.fromEntries(Object.entries(rw.components).map(([k, c]) => [k, c!.score])),
          reasons: rw.reasons,
          advantage: advantages[gi * G + i],
          lang: g.lang[i],
          stripped: language?.spans ?? [],
        };
      }),
    }),
  );
  writeFileSync(path, lines.join('\n') + '\n');
}
