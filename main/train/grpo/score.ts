// Scoring a step's rollouts: each prompt's G responses become one ScoredGroup (reward breakdowns, the
// shaped reward the advantages use, accuracy and thinking-language share), with the replay substitution
// for all-wrong groups; and dynamic sampling's rule for a group that teaches nothing.
import type { GeneratedSequence } from '../../models/generate.ts';
import { computeRewards, thinkingLanguage, type RewardBreakdown } from '../../rewards/index.ts';
import type { RewardDeps } from '../../rewards/compose.ts';
import { overlongPenalty, zeroVarianceGroups } from './advantages.ts';
import type { ReplayBuffer } from './batch-shaping.ts';
import type { DynamicSamplingBy, GrpoConfig } from './config.ts';
import type { GrpoPrompt } from './prompts.ts';

/** One prompt with its G responses, scored. */
export interface ScoredGroup {
  prompt: GrpoPrompt;
  promptIds: number[];
  responses: { tokens: number[]; text: string; finishReason: string; replayed: boolean }[];
  rewards: RewardBreakdown[];
  /** Reward used for the advantage (total, plus the soft over-long penalty). */
  shaped: number[];
  accuracy: (number | null)[];
  /** Target-language share of the thinking per response. */
  lang: number[];
}

/**
 * Dynamic sampling's rule: a group teaches nothing when its chosen score is the same for every response
 * (`accuracy`: all right or all wrong, DAPO). `total` compares the shaped reward the advantages use. A group
 * whose chosen component does not apply to some response (no gold answer) is kept.
 */
export function teachesNothing(g: Pick<ScoredGroup, 'rewards' | 'shaped'>, by: DynamicSamplingBy): boolean {
  if (by === 'total') return zeroVarianceGroups(g.shaped, g.shaped.length)[0];
  const scores = g.rewards.map((r) => r.components[by]?.score);
  if (scores.some((s) => typeof s !== 'number')) return false;
  return zeroVarianceGroups(scores as number[], scores.length)[0];
}

/** Rewards for each group's responses (one computeRewards call), plus the replay substitution. */
export async function scoreGroups(
  prompts: readonly GrpoPrompt[],
  outs: readonly GeneratedSequence[],
  config: GrpoConfig,
  deps: RewardDeps,
  promptIds: ReadonlyMap<string, number[]>,
  replay: ReplayBuffer | null,
): Promise<ScoredGroup[]> {
  const G = config.rollout.groupSize;
  const groups = prompts.map((p, i) => ({
    prompt: p,
    promptIds: promptIds.get(p.id)!,
    responses: outs.slice(i * G, (i + 1) * G).map((o) => ({ tokens: o.tokens, text: o.text ?? '', finishReason: o.finishReason as string, replayed: false })),
  }));
  const score = async (gs: typeof groups) => {
    const samples = gs.flatMap((g) => g.responses.map((r) => ({ prompt: g.prompt.prompt, response: r.text, gold: g.prompt.answer, target: g.prompt.lang ?? undefined })));
    return computeRewards(samples, config.rewards, deps);
  };
  let rewards = await score(groups);
  // Replay: an all-wrong group gets a stored success of the same prompt in place of its last sample.
  if (replay && config.replay.enabled) {
    let changed = false;
    groups.forEach((g, gi) => {
      const accs = rewards.slice(gi * G, (gi + 1) * G).map((r) => r.components.accuracy?.score);
      if (!accs.every((a) => a === 0)) return;
      const entry = replay.latest(g.prompt.id);
      if (!entry) return;
      g.responses[G - 1] = { tokens: [...entry.tokens], text: entry.text, finishReason: entry.finishReason, replayed: true };
      changed = true;
    });
    if (changed) rewards = await score(groups);
  }
  const overlong = config.objective.overlong;
  return groups.map((g, gi) => {
    const rs = rewards.slice(gi * G, (gi + 1) * G);
    const shaped = rs.map((r, i) =>
      overlong.mode === 'soft' ? r.total + overlongPenalty(g.responses[i].tokens.length, { length: overlong.length ?? config.rollout.maxNewTokens, buffer: overlong.buffer, penalty: overlong.penalty }) : r.total,
    );
    return {
      ...g,
      rewards: rs,
      shaped,
      accuracy: rs.map((r) => r.components.accuracy?.score ?? null),
      lang: g.responses.map((r) => thinkingLanguage(r.text, g.prompt.prompt, g.prompt.lang ?? undefined).score ?? 0),
    };
  });
}
