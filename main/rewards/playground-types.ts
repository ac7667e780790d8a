// What the Reward playground (rewards.evaluate, playground.ts) returns: every component's score and reason,
// the thinking/summary split, the final answer and the spans stripped before language counting. The app
// contract re-exports these; run samples reuse TextSpan for their highlighted spans.

import type { ReasonCode } from './reason-codes.ts';

export type RewardComponentName = 'accuracy' | 'format' | 'language';

/** Kinds of text removed before language counting (see main/rewards/language/scan.ts). */
export type StrippedSpanKind = 'code' | 'math' | 'url' | 'markdown' | 'html' | 'number';

/** [start, end) in UTF-16 offsets of the evaluated response. */
export type TextSpan = { start: number; end: number; kind: StrippedSpanKind };

export type RewardComponentResult = {
  name: RewardComponentName;
  /** null when the component does not apply (e.g. accuracy without a gold answer). */
  score: number | null;
  weight: number;
  reason: string;
  /** The reason as stable codes with parameters (reason-codes.ts), which the UI translates. */
  codes: ReasonCode[];
  /** The component's own result (math verdict, format checks, language analysis). */
  details: unknown;
};

export type RewardEvaluation = {
  components: RewardComponentResult[];
  /** Weighted total over the components that applied, divided by their weights when `normalize`. */
  total: number;
  normalized: boolean;
  split: {
    status: 'ok' | 'no_thinking' | 'implicit_open' | 'unclosed' | 'repeated' | 'nested' | 'stray_close';
    blocks: number;
    /** Where the (first) thinking block's content lies in the response, or null without thinking. */
    thinking: { start: number; end: number } | null;
    /** Where the summary starts in the response. */
    summaryStart: number;
    thinkingEmpty: boolean;
    summaryEmpty: boolean;
  };
  answer: {
    /** The raw final answer found in the summary (or the whole response without thinking). */
    extracted: string | null;
    normalized: string | null;
    /** With a gold answer: the verdict and its reason ('equal_rational', 'not_equal', ...). */
    gold: string | null;
    correct: boolean | null;
    reason: string;
    /** Without a gold answer: how the answer was found ('boxed', ...), for the UI's sentence. */
    method?: string | null;
  };
  language: {
    target: string;
    targetSource: 'explicit' | 'prompt' | 'default';
    /** Language detected in the thinking itself. */
    detected: string | null;
    score: number;
    ratio: number;
    lengthFactor: number;
    proseFactor: number;
    proseShare: number;
    /** Share of the thinking's prose letters per Unicode script, largest first. */
    scripts: { script: string; letters: number; share: number }[];
  };
  /** Spans of the thinking that were removed before language counting, relative to the response. */
  spans: TextSpan[];
  /** Model-backed components (LLM judge, reward model) are not run by the playground. */
  notRun: ('judge' | 'rewardModel')[];
};
