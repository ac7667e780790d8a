// A step's rollouts: the prompts the samplers pick (difficulty filter, variance-aware sampling or the
// curriculum) are generated G times each on a KV-cache session of the current policy, scored (score.ts),
// and kept, dropped (dynamic sampling: a group that teaches nothing) or sampled again for up to
// dynamicSampling.maxRounds extra rounds. Successful responses go to the replay buffer. The samplers learn
// each group's pass rate here; the curriculum learns the advantages later (update.ts).
import type { Rng } from '../../engine/index.ts';
import type { ModelConfig } from '../../models/config.ts';
import { generate } from '../../models/generate.ts';
import type { RewardDeps } from '../../rewards/compose.ts';
import type { DifficultyFilter, ReplayBuffer } from './batch-shaping.ts';
import type { PolicyGenerator } from './generator.ts';
import type { GrpoConfig } from './config.ts';
import type { Policy } from './policy.ts';
import type { PromptSelector } from './prompt-selector.ts';
import type { GrpoPrompt } from './prompts.ts';
import { scoreGroups, teachesNothing, type ScoredGroup } from './score.ts';
import { mean } from './stats.ts';

/** What the rollouts read and the sampler state they advance (the run's RNG seeds every generation). */
export interface RolloutContext {
  config: GrpoConfig;
  model: ModelConfig;
  /** The training prompts (the difficulty filter gives up after one pass over them). */
  prompts: readonly GrpoPrompt[];
  promptIds: ReadonlyMap<string, number[]>;
  decode: (ids: readonly number[]) => string;
  rewardDeps: RewardDeps;
  rng: Rng;
  selector: PromptSelector;
  difficulty: DifficultyFilter;
  replay: ReplayBuffer;
  checkSignal: () => void;
  /** The run's one generator session, refreshed with the policy's weights before each step's rollouts. */
  generator: PolicyGenerator;
  /** Gets the line saying which decode path generated (the decode loop, or the per-token fallback). */
  decodeLog?: (line: string) => void;
}

/** The groups that reach the update, and what it took to get them. */
export interface Rollout {
  groups: ScoredGroup[];
  /** Tokens generated (all rounds, dropped groups included). */
  generated: number;
  /** Seconds of generation (reward time excluded) and of scoring. */
  rolloutSeconds: number;
  rewardSeconds: number;
  /** Groups sampled and scored, of which dynamic sampling dropped `dropped`. */
  sampledGroups: number;
  dropped: number;
  /** Prompts the difficulty filter skipped. */
  filtered: number;
  /** Responses taken from the replay buffer. */
  replayed: number;
}

/** Rollouts of one step with `policy` as it is now; at most rollout.promptsPerStep groups. */
export async function collectGroups(policy: Policy, ctx: RolloutContext): Promise<Rollout> {
  const { config, prompts, promptIds, selector, difficulty, replay, checkSignal } = ctx;
  const t0 = performance.now();
  // The decode loop (#20): each round's generation is one onnxruntime run, on the run's one session (#30).
  const generator = await ctx.generator.current(policy);
  const groups: ScoredGroup[] = [];
  let generated = 0;
  let rewardSeconds = 0;
  let sampledGroups = 0;
  let dropped = 0;
  let filtered = 0;
  let replayed = 0;
  selector.beginStep();
  const picked = new Set<string>();
  const rounds = config.dynamicSampling.enabled ? 1 + config.dynamicSampling.maxRounds : 1;
  for (let round = 0; round < rounds && groups.length < config.rollout.promptsPerStep; round++) {
    checkSignal();
    const want = config.rollout.promptsPerStep - groups.length;
    const batch: GrpoPrompt[] = [];
    // The difficulty filter may skip prompts; give up after one pass over the data.
    for (let tries = 0; batch.length < want && tries < prompts.length; tries++) {
      const p = selector.pick(picked);
      if (config.difficultyFilter.enabled && !difficulty.admits(p.id)) {
        filtered++;
        continue;
      }
      batch.push(p);
      picked.add(p.id);
    }
    if (batch.length === 0) break;
    const outs = await generate(generator, batch.map((p) => promptIds.get(p.id)!), {
      maxNewTokens: config.rollout.maxNewTokens,
      n: config.rollout.groupSize,
      sampling: { temperature: config.rollout.temperature, topP: config.rollout.topP < 1 ? config.rollout.topP : undefined, seed: ctx.rng.nextUint32() },
      stopStrings: config.rollout.stopStrings.length ? config.rollout.stopStrings : undefined,
      decode: ctx.decode,
    });
    generated += outs.reduce((s, o) => s + o.tokens.length, 0);
    const tr = performance.now();
    const scored = await scoreGroups(batch, outs, config, ctx.rewardDeps, promptIds, replay);
    rewardSeconds += (performance.now() - tr) / 1000;
    sampledGroups += scored.length;
    for (const g of scored) {
      const passRate = mean(g.accuracy.map((a) => a ?? 0));
      if (config.difficultyFilter.enabled) difficulty.record(g.prompt.id, passRate);
      selector.observe(g.prompt.id, passRate, g.responses.map((r) => r.tokens));
      if (config.replay.enabled) {
        g.responses.forEach((r, i) => {
          if (g.accuracy[i] === 1 && !r.replayed) replay.add({ promptId: g.prompt.id, tokens: r.tokens, text: r.text, finishReason: r.finishReason });
        });
      }
      replayed += g.responses.filter((r) => r.replayed).length;
      const flat = config.dynamicSampling.enabled && teachesNothing(g, config.dynamicSampling.by);
      if (flat) dropped++;
      else if (groups.length < config.rollout.promptsPerStep) groups.push(g);
    }
  }
  const rolloutSeconds = (performance.now() - t0) / 1000 - rewardSeconds;
  return { groups, generated, rolloutSeconds, rewardSeconds, sampledGroups, dropped, filtered, replayed };
}
