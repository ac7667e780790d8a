// Format reward: is the response shaped the way training expects? Exactly one thinking block, something in
// it, a non-empty summary after it, and (when the task has one) a final answer in the summary. Each check
// reports its own reason so a low score is explainable.
import { extractAnswer } from './math/extract.ts';
import type { ReasonCode, ReasonCodeName } from './reason-codes.ts';
import { DEFAULT_THINK_TAGS, splitThinking, type ThinkSplit, type ThinkTags } from './think-split.ts';

export type FormatConfig = {
  tags?: ThinkTags;
  /**
   * Accept a response with only a close tag (the chat template put the open tag in the prompt, as
   * Qwen3 and DeepSeek-R1 templates do). Default true.
   */
  allowImplicitOpen?: boolean;
  /** Require a final answer in the summary: 'boxed' (a \boxed{}), 'any' (boxed or an answer phrase), or false. Default false. */
  requireAnswer?: 'boxed' | 'any' | false;
  /** Score is the share of passed checks instead of all-or-nothing. Default false. */
  partialCredit?: boolean;
};

/** `code` (with `params`) says why the check failed, for the UI to translate; `reason` is the English. */
export type FormatCheck = { name: string; pass: boolean; reason: string; code?: ReasonCodeName; params?: ReasonCode['params'] };

export type FormatResult = {
  score: number;
  checks: FormatCheck[];
  /** Reasons of the failed checks (empty when the score is 1). */
  reasons: string[];
  /** The same as codes: `format.wellFormed` alone when every check passed. */
  codes: ReasonCode[];
  split: ThinkSplit;
};

export function checkFormat(text: string, config: FormatConfig = {}): FormatResult {
  const split = splitThinking(text, config.tags ?? DEFAULT_THINK_TAGS);
  const allowImplicit = config.allowImplicitOpen ?? true;
  const checks: FormatCheck[] = [];

  const single = split.status === 'ok' || (allowImplicit && split.status === 'implicit_open');
  const blockReason: Record<string, string> = {
    ok: 'one thinking block',
    implicit_open: allowImplicit ? 'one thinking block (open tag in the prompt)' : 'missing open tag',
    no_thinking: 'no thinking block',
    unclosed: 'thinking block is never closed (truncated?)',
    repeated: `${split.blocks} thinking blocks, expected one`,
    nested: 'nested thinking blocks',
    stray_close: 'stray close tag after the thinking block',
  };
  const blockCode: Record<string, ReasonCode> = {
    implicit_open: { code: 'format.missingOpen' },
    no_thinking: { code: 'format.noThinking' },
    unclosed: { code: 'format.unclosed' },
    repeated: { code: 'format.repeated', params: { blocks: split.blocks } },
    nested: { code: 'format.nested' },
    stray_close: { code: 'format.strayClose' },
  };
  checks.push({ name: 'single_thinking_block', pass: single, reason: blockReason[split.status], ...(single ? {} : blockCode[split.status]) });
  if (split.preamble) checks.push({ name: 'no_preamble', pass: false, reason: 'text before the thinking block', code: 'format.preamble' });
  checks.push({
    name: 'thinking_not_empty',
    pass: !split.thinkingEmpty,
    reason: split.thinkingEmpty ? 'thinking is empty' : 'thinking present',
    ...(split.thinkingEmpty ? { code: 'format.thinkingEmpty' as const } : {}),
  });
  checks.push({
    name: 'summary_not_empty',
    pass: !split.summaryEmpty,
    reason: split.summaryEmpty ? 'summary is empty' : 'summary present',
    ...(split.summaryEmpty ? { code: 'format.summaryEmpty' as const } : {}),
  });
  if (config.requireAnswer) {
    const found = extractAnswer(split.summary, { fallback: 'none' });
    const pass = config.requireAnswer === 'boxed' ? found.method === 'boxed' : found.answer !== null;
    checks.push({
      name: 'answer_present',
      pass,
      reason: pass ? `final answer found (${found.method})` : `no final answer ${config.requireAnswer === 'boxed' ? '\\boxed{} ' : ''}in the summary`,
      ...(pass ? {} : { code: config.requireAnswer === 'boxed' ? ('format.noBoxedAnswer' as const) : ('format.noAnswer' as const) }),
    });
  }
  const passed = checks.filter((c) => c.pass).length;
  const score = config.partialCredit ? passed / checks.length : passed === checks.length ? 1 : 0;
  const failed = checks.filter((c) => !c.pass);
  const codes: ReasonCode[] = failed.length ? failed.map((c) => ({ code: c.code!, ...(c.params ? { params: c.params } : {}) })) : [{ code: 'format.wellFormed' }];
  return { score, checks, reasons: failed.map((c) => c.reason), codes, split };
}

/** TRL-style reward function: one score per completion. */
export function formatReward(completions: readonly string[], ctx: FormatConfig = {}): number[] {
  return completions.map((c) => checkFormat(c, ctx).score);
}
