// Format reward: is the response shaped the way training expects? Exactly one thinking block, something in
// it, a non-empty summary after it, and (when the task has one) a final answer in the summary. Each check
// reports its own reason so a low score is explainable.
import { extractAnswer } from './math/extract.ts';
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

export type FormatCheck = { name: string; pass: boolean; reason: string };

export type FormatResult = {
  score: number;
  checks: FormatCheck[];
  /** Reasons of the failed checks (empty when the score is 1). */
  reasons: string[];
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
  checks.push({ name: 'single_thinking_block', pass: single, reason: blockReason[split.status] });
  if (split.preamble) checks.push({ name: 'no_preamble', pass: false, reason: 'text before the thinking block' });
  checks.push({
    name: 'thinking_not_empty',
    pass: !split.thinkingEmpty,
    reason: split.thinkingEmpty ? 'thinking is empty' : 'thinking present',
  });
  checks.push({
    name: 'summary_not_empty',
    pass: !split.summaryEmpty,
    reason: split.summaryEmpty ? 'summary is empty' : 'summary present',
  });
  if (config.requireAnswer) {
    const found = extractAnswer(split.summary, { fallback: 'none' });
    const pass = config.requireAnswer === 'boxed' ? found.method === 'boxed' : found.answer !== null;
    checks.push({
      name: 'answer_present',
      pass,
      reason: pass ? `final answer found (${found.method})` : `no final answer ${config.requireAnswer === 'boxed' ? '\\boxed{} ' : ''}in the summary`,
    });
  }
  const passed = checks.filter((c) => c.pass).length;
  const score = config.partialCredit ? passed / checks.length : passed === checks.length ? 1 : 0;
  return { score, checks, reasons: checks.filter((c) => !c.pass).map((c) => c.reason), split };
}

/** TRL-style reward function: one score per completion. */
export function formatReward(completions: readonly string[], ctx: FormatConfig = {}): number[] {
  return completions.map((c) => checkFormat(c, ctx).score);
}
