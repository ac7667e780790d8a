// One reward computation for every stage: data filtering, GRPO and evaluation all call computeRewards with
// a RewardConfig, so a sample is scored the same way wherever it is scored.
//
// total = Σ weightᵢ · scoreᵢ over the components that apply to the sample (null scores are skipped, as
// TRL's nansum does). With `normalize`, the sum is divided by the applicable weights, keeping totals in the
// components' range even when some do not apply.
import type { ReasonCode } from './reason-codes.ts';
import { z } from 'zod';
import { verifyResponse } from './accuracy-reward.ts';
import { checkFormat } from './format-reward.ts';
import type { Judge } from './judge/types.ts';
import type { Rubric } from './judge/rubrics.ts';
import { thinkingLanguage } from './language-reward.ts';
import type { ChoiceOptions } from './math/verify.ts';
import type { SummaryScorer } from './reward-model-reward.ts';
import { mapLimited } from './reward-model-reward.ts';
import { DEFAULT_THINK_TAGS, splitThinking } from './think-split.ts';

const weight = z.number().finite().min(0);
const tagsSchema = z.object({ open: z.string().min(1), close: z.string().min(1) });

export const rewardConfigSchema = z
  .object({
    /** Thinking tags for every component. */
    tags: tagsSchema.optional(),
    /** Divide the total by the weights of the components that applied. */
    normalize: z.boolean().optional(),
    accuracy: z
      .object({
        weight,
        fallback: z.enum(['auto', 'math', 'short', 'last_number', 'none']).optional(),
        answerFrom: z.enum(['summary', 'all']).optional(),
        relTol: z.number().positive().optional(),
      })
      .optional(),
    format: z
      .object({
        weight,
        allowImplicitOpen: z.boolean().optional(),
        requireAnswer: z.union([z.literal('boxed'), z.literal('any'), z.literal(false)]).optional(),
        partialCredit: z.boolean().optional(),
      })
      .optional(),
    language: z
      .object({
        weight,
        /** Fixed target; default: each sample's `target`, else detected from its prompt. */
        target: z.string().optional(),
        minTargetMass: z.number().positive().optional(),
        minProseShare: z.number().positive().max(1).optional(),
      })
      .optional(),
    judge: z
      .object({
        weight,
        rubric: z.union([z.literal('ko'), z.literal('en')]).optional(),
        on: z.enum(['summary', 'full']).optional(),
      })
      .optional(),
    rewardModel: z.object({ weight, emptySummaryScore: z.number().nullable().optional() }).optional(),
  })
  .strict();

export type RewardConfig = z.infer<typeof rewardConfigSchema>;
export type ComponentName = 'accuracy' | 'format' | 'language' | 'judge' | 'rewardModel';

/** Validates an untrusted config (from a recipe file or the UI); errors name the offending field. */
export function parseRewardConfig(input: unknown): RewardConfig {
  const r = rewardConfigSchema.safeParse(input);
  if (!r.success) {
    const issues = r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new Error(`invalid reward config: ${issues}`);
  }
  return r.data;
}

export type RewardSample = {
  prompt: string;
  response: string;
  /** Gold answer for the accuracy component (null/absent: not applicable). */
  gold?: string | null;
  choices?: ChoiceOptions;
  /** Target language for this sample (overrides detection). */
  target?: string;
  /** Reference answer shown to the judge. */
  reference?: string;
};

export type ComponentScore = {
  score: number | null;
  weight: number;
  reason: string;
  /** The reason as codes with parameters, for the UI to translate (main/rewards/reason-codes.ts). */
  codes: ReasonCode[];
  /** The component's full result (verdict, format checks, language analysis with spans). */
  detail?: unknown;
};

export type RewardBreakdown = {
  total: number;
  components: Partial<Record<ComponentName, ComponentScore>>;
  /** One line per component, for logs and the UI. */
  reasons: string[];
};

export type RewardDeps = {
  judge?: Judge;
  judgeRubric?: Rubric;
  scorer?: SummaryScorer;
  /** Include the stripped spans in the language detail (for highlighting). */
  spans?: boolean;
  /** Reward-model / judge calls in flight (default 8). */
  concurrency?: number;
};

function ruleComponents(sample: RewardSample, config: RewardConfig, deps: RewardDeps): Partial<Record<ComponentName, ComponentScore>> {
  const tags = config.tags ?? DEFAULT_THINK_TAGS;
  const out: Partial<Record<ComponentName, ComponentScore>> = {};
  if (config.accuracy) {
    const { weight: w, ...opts } = config.accuracy;
    if (sample.gold === null || sample.gold === undefined || sample.gold.trim() === '') {
      out.accuracy = { score: null, weight: w, reason: 'no gold answer', codes: [{ code: 'accuracy.noGold' }] };
    } else {
      const v = verifyResponse(sample.response, sample.gold, sample.choices, { ...opts, tags });
      out.accuracy = { score: v.correct ? 1 : 0, weight: w, reason: `${v.reason}: ${v.pred ?? '(no answer)'} vs ${v.gold}`, codes: [{ code: 'accuracy.verdict', params: { verdict: v.reason, pred: v.pred ?? '—', gold: v.gold } }], detail: v };
    }
  }
  if (config.format) {
    const { weight: w, ...opts } = config.format;
    const f = checkFormat(sample.response, { ...opts, tags });
    out.format = { score: f.score, weight: w, reason: f.reasons.length ? f.reasons.join('; ') : 'well formed', codes: f.codes, detail: f.checks };
  }
  if (config.language) {
    const { weight: w, target, ...opts } = config.language;
    const r = thinkingLanguage(sample.response, sample.prompt, target ?? sample.target, { ...opts, tags, spans: deps.spans });
    out.language = { score: r.score, weight: w, reason: r.reasons.length ? r.reasons.join('; ') : `thinking is ${r.target}`, codes: r.codes, detail: r };
  }
  return out;
}

function total(components: Partial<Record<ComponentName, ComponentScore>>, normalize: boolean): number {
  let sum = 0;
  let weights = 0;
  for (const c of Object.values(components)) {
    if (!c || c.score === null || Number.isNaN(c.score)) continue;
    sum += c.weight * c.score;
    weights += c.weight;
  }
  return normalize ? (weights > 0 ? sum / weights : 0) : sum;
}

/** Per-component scores, the weighted total and reasons for each sample. */
export async function computeRewards(samples: readonly RewardSample[], config: RewardConfig, deps: RewardDeps = {}): Promise<RewardBreakdown[]> {
  const cfg = parseRewardConfig(config);
  if (cfg.judge && !deps.judge) throw new Error('reward config has a judge component but no judge client was given (deps.judge)');
  if (cfg.rewardModel && !deps.scorer) throw new Error('reward config has a rewardModel component but no scorer was given (deps.scorer)');
  const tags = cfg.tags ?? DEFAULT_THINK_TAGS;
  return mapLimited(samples, deps.concurrency ?? 8, async (sample) => {
    const components = ruleComponents(sample, cfg, deps);
    if (cfg.judge || cfg.rewardModel) {
      const split = splitThinking(sample.response, tags);
      const summary = split.status === 'unclosed' ? '' : split.summary;
      if (cfg.judge) {
        const shown = cfg.judge.on === 'full' ? sample.response : summary;
        if (!shown) components.judge = { score: null, weight: cfg.judge.weight, reason: 'empty summary', codes: [{ code: 'judge.emptySummary' }] };
        else {
          try {
            const r = await deps.judge!.score({ prompt: sample.prompt, response: shown, reference: sample.reference, rubric: deps.judgeRubric ?? cfg.judge.rubric });
            components.judge = { score: r.score, weight: cfg.judge.weight, reason: r.parsed ? `judge ${r.parsed.value}/${r.parsed.scale}` : 'judge reply had no score', codes: [r.parsed ? { code: 'judge.score', params: { value: r.parsed.value, scale: r.parsed.scale } } : { code: 'judge.noScore' }], detail: { text: r.text } };
          } catch (err) {
            components.judge = { score: null, weight: cfg.judge.weight, reason: `judge failed: ${(err as Error).message}`, codes: [{ code: 'judge.failed', params: { message: (err as Error).message } }] };
          }
        }
      }
      if (cfg.rewardModel) {
        if (!summary) {
          const s = cfg.rewardModel.emptySummaryScore ?? null;
          components.rewardModel = { score: s, weight: cfg.rewardModel.weight, reason: 'empty summary', codes: [{ code: 'rewardModel.emptySummary' }] };
        } else {
          const s = await deps.scorer!(sample.prompt, summary);
          if (!Number.isFinite(s)) throw new Error(`reward model returned a non-finite score (${s})`);
          components.rewardModel = { score: s, weight: cfg.rewardModel.weight, reason: `reward model ${s.toFixed(3)} on the summary`, codes: [{ code: 'rewardModel.score', params: { score: s.toFixed(3) } }] };
        }
      }
    }
    const reasons = Object.entries(components).map(([name, c]) => `${name}: ${c!.score === null ? 'n/a' : c!.score.toFixed(3)} (${c!.reason})`);
    return { total: total(components, cfg.normalize ?? false), components, reasons };
  });
}
