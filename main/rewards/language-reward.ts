// Language-consistency reward on the thinking: see language/consistency.ts for the formula.
import { languageConsistency, type LanguageOptions, type LanguageResult } from './language/consistency.ts';
import { DEFAULT_THINK_TAGS, splitThinking, type ThinkTags } from './think-split.ts';
import { checkAligned, completionText, type CompletionInput } from './types.ts';

export type LanguageRewardOptions = Omit<LanguageOptions, 'prompt' | 'target'> & { tags?: ThinkTags };

/** Scores the thinking of one response (an absent thinking scores 0: there is nothing in the target language). */
export function thinkingLanguage(response: string, prompt: string | undefined, target: string | undefined, options: LanguageRewardOptions = {}): LanguageResult {
  const split = splitThinking(response, options.tags ?? DEFAULT_THINK_TAGS);
  return languageConsistency(split.thinking, { ...options, prompt, target });
}

export type LanguageContext = LanguageRewardOptions & {
  /** Prompts, to detect the target language per sample. */
  prompts?: readonly string[];
  /** An explicit target for all samples, or one per sample. */
  target?: string | readonly (string | undefined)[];
};

export function languageReward(completions: readonly CompletionInput[], ctx: LanguageContext = {}): number[] {
  checkAligned('prompts', ctx.prompts, completions.length);
  if (Array.isArray(ctx.target)) checkAligned('target', ctx.target, completions.length);
  return completions.map((c, i) => {
    const target = typeof ctx.target === 'string' ? ctx.target : (ctx.target as readonly (string | undefined)[] | undefined)?.[i];
    return thinkingLanguage(completionText(c), ctx.prompts?.[i], target, ctx).score;
  });
}
