// Held-out evaluation of the GRPO policy: greedy answers to the heldOut prompts, scored for accuracy
// (gold answer), target-language share of the thinking, and the run's own reward. The same prompts at
// every evaluation, so unlike the train reward (whose prompts and difficulty change each step) this one
// compares like with like.
import type { ModelConfig } from '../../models/config.ts';
import { generate } from '../../models/generate.ts';
import { computeRewards, thinkingLanguage, verifyResponse } from '../../rewards/index.ts';
import type { RewardDeps } from '../../rewards/compose.ts';
import type { GrpoConfig } from './config.ts';
import type { PolicyGenerator } from './generator.ts';
import type { Policy } from './policy.ts';
import type { GrpoPrompt } from './prompts.ts';
import { mean } from './step-log.ts';

export interface HeldOutContext {
  config: GrpoConfig;
  model: ModelConfig;
  heldOut: readonly GrpoPrompt[];
  encodePrompt: (p: GrpoPrompt) => number[];
  decode: (ids: readonly number[]) => string;
  rewardDeps: RewardDeps;
  /** The run's one generator session (shared with the rollouts). */
  generator: PolicyGenerator;
}

/** accuracy, lang and reward of `policy` on the held-out prompts; null when there are none. */
export async function evaluateHeldOut(policy: Policy, ctx: HeldOutContext): Promise<Record<string, number> | null> {
  const { config, heldOut } = ctx;
  if (!heldOut.length) return null;
  const session = await ctx.generator.current(policy);
  const outs = await generate(session, heldOut.map(ctx.encodePrompt), { maxNewTokens: config.heldOut!.maxNewTokens ?? config.rollout.maxNewTokens, decode: ctx.decode, stopStrings: config.rollout.stopStrings.length ? config.rollout.stopStrings : undefined });
  const acc = outs.map((o, i) => (heldOut[i].answer ? (verifyResponse(o.text!, heldOut[i].answer!).correct ? 1 : 0) : 0));
  const lang = outs.map((o, i) => thinkingLanguage(o.text!, heldOut[i].prompt, heldOut[i].lang ?? undefined).score ?? 0);
  const rewards = await computeRewards(
    outs.map((o, i) => ({ prompt: heldOut[i].prompt, response: o.text!, gold: heldOut[i].answer ?? undefined, target: heldOut[i].lang ?? undefined })),
    config.rewards,
    ctx.rewardDeps,
  );
  return { accuracy: mean(acc), lang: mean(lang), reward: mean(rewards.map((r) => r.total)) };
}
