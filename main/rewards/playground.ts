// The Reward playground (the app's rewards.evaluate): scores a single (prompt, response) with the same
// computeRewards every stage uses (so what the playground shows is what training would get) and adds what
// a person needs to see why: the thinking/summary split, the final answer, the per-script language shares
// and the spans stripped before language counting, all in offsets of the response text.
//
// Only the rule-based components run here. The LLM judge needs an endpoint and the reward model needs a
// loaded model; the playground has neither, and says so (`notRun`) rather than inventing a score.
import type {
  RewardComponentName,
  RewardComponentResult,
  RewardEvaluation,
  TextSpan,
} from './playground-types.ts';
import {
  computeRewards,
  DEFAULT_THINK_TAGS,
  extractAnswer,
  normalizeAnswer,
  splitThinking,
  type LanguageResult,
  type MathVerdict,
  type RewardConfig,
} from './index.ts';
import { targetScripts } from './language/scripts.ts';

/** Playground defaults: correctness counts most; the total is normalized so it reads as 0…1. */
export const PLAYGROUND_WEIGHTS = { accuracy: 1, format: 0.5, language: 0.5 } as const;

const COMPONENTS: readonly RewardComponentName[] = ['accuracy', 'format', 'language'];

/** One case as the playground sends it (rewards.evaluate's input). */
export type EvaluateInput = {
  prompt: string;
  response: string;
  gold?: string;
  /** AMC choices, read as A, B, C, ... */
  options?: string[];
  /** Target language code; default: detected from the prompt. */
  lang?: string;
  /** Weights per component (0 turns one off) and whether the total is divided by the weights. */
  config?: { accuracy?: number; format?: number; language?: number; normalize?: boolean };
};

function rewardConfig(input: EvaluateInput): RewardConfig {
  const weights = { ...PLAYGROUND_WEIGHTS, ...input.config };
  const expectsAnswer = Boolean(input.gold?.trim()) || (input.options?.length ?? 0) > 0;
  return {
    normalize: input.config?.normalize ?? true,
    // Weight 0 still runs a component (its score is shown) but it does not move the total.
    accuracy: { weight: weights.accuracy },
    format: { weight: weights.format, partialCredit: true, requireAnswer: expectsAnswer ? 'any' : false },
    language: { weight: weights.language, ...(input.lang ? { target: input.lang } : {}) },
  };
}

/** The thinking that the language scan saw is the block's content trimmed: its offset in the response. */
function thinkingTextOffset(response: string, span: [number, number] | null): number {
  if (!span) return 0;
  const raw = response.slice(span[0], span[1]);
  return span[0] + (raw.length - raw.trimStart().length);
}

function scriptShares(letters: Record<string, number>): RewardEvaluation['language']['scripts'] {
  const total = Object.values(letters).reduce((a, b) => a + b, 0);
  return Object.entries(letters)
    .map(([script, n]) => ({ script, letters: n, share: total > 0 ? n / total : 0 }))
    .sort((a, b) => b.letters - a.letters);
}

/** The final answer with or without a gold answer (without one, accuracy has no verdict to report it). */
function answerOf(response: string, input: EvaluateInput, verdict: MathVerdict | undefined): RewardEvaluation['answer'] {
  if (verdict) {
    return { extracted: verdict.extracted, normalized: verdict.pred, gold: verdict.gold, correct: verdict.correct, reason: verdict.reason };
  }
  const split = splitThinking(response, DEFAULT_THINK_TAGS);
  const region = split.status === 'no_thinking' ? response : split.status === 'unclosed' ? '' : split.summary;
  const found = extractAnswer(region);
  return {
    extracted: found.answer,
    normalized: found.answer === null ? null : normalizeAnswer(found.answer),
    gold: input.gold?.trim() ? input.gold : null,
    correct: null,
    reason: found.answer === null ? 'no_answer' : `found (${found.method}); no gold answer to compare`,
    method: found.answer === null ? null : found.method,
  };
}

export async function evaluateRewards(input: EvaluateInput): Promise<RewardEvaluation> {
  const config = rewardConfig(input);
  if (input.lang) {
    try {
      targetScripts(input.lang);
    } catch (error) {
      // A coded error: the API reports it as the caller's input, not an internal failure.
      throw Object.assign(new Error((error as Error).message), { code: 'invalid_input' });
    }
  }
  const [breakdown] = await computeRewards(
    [{ prompt: input.prompt, response: input.response, gold: input.gold ?? null, choices: input.options, target: input.lang }],
    config,
    { spans: true },
  );
  const split = splitThinking(input.response, DEFAULT_THINK_TAGS);
  const language = breakdown.components.language!.detail as LanguageResult;
  const offset = thinkingTextOffset(input.response, split.thinkingSpan);
  const spans: TextSpan[] = (language.spans ?? []).map((s) => ({ start: s.start + offset, end: s.end + offset, kind: s.kind }));

  const components: RewardComponentResult[] = COMPONENTS.map((name) => {
    const c = breakdown.components[name]!;
    // The language detail's spans are relative to the thinking; the response-relative copy is `spans`.
    const details = name === 'language' ? { ...language, spans: undefined } : (c.detail ?? null);
    return { name, score: c.score, weight: c.weight, reason: c.reason, codes: c.codes, details };
  });

  return {
    components,
    total: breakdown.total,
    normalized: config.normalize ?? false,
    split: {
      status: split.status,
      blocks: split.blocks,
      thinking: split.thinkingSpan ? { start: split.thinkingSpan[0], end: split.thinkingSpan[1] } : null,
      summaryStart: split.summaryStart,
      thinkingEmpty: split.thinkingEmpty,
      summaryEmpty: split.summaryEmpty,
    },
    answer: answerOf(input.response, input, breakdown.components.accuracy?.detail as MathVerdict | undefined),
    language: {
      target: language.target,
      targetSource: language.targetSource,
      detected: language.detected,
      score: language.score,
      ratio: language.ratio,
      lengthFactor: language.lengthFactor,
      proseFactor: language.proseFactor,
      proseShare: language.proseShare,
      scripts: scriptShares(language.letters),
    },
    spans,
    notRun: ['judge', 'rewardModel'],
  };
}
