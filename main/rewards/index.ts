// Rewards and verification: pure functions over text, usable without a trainer. Nothing here imports the
// rest of the app; model-backed scoring (reward model, judge endpoint) is passed in.
export { splitThinking, DEFAULT_THINK_TAGS, type ThinkSplit, type ThinkStatus, type ThinkTags } from './think-split.ts';
export { extractAnswer, type Extraction, type ExtractOptions } from './math/extract.ts';
export { normalizeAnswer } from './math/normalize.ts';
export { verifyMath, type MathVerdict, type VerifyOptions, type ChoiceOptions } from './math/verify.ts';
export { accuracyReward, verifyResponse, type AccuracyContext, type AccuracyOptions } from './accuracy-reward.ts';
export { checkFormat, formatReward, type FormatConfig, type FormatResult } from './format-reward.ts';
export { languageConsistency, detectLanguage, type LanguageOptions, type LanguageResult } from './language/consistency.ts';
export { scanProse, type StrippedSpan, type StrippedKind } from './language/scan.ts';
export { languageReward, thinkingLanguage, type LanguageContext } from './language-reward.ts';
// The judge's HTTP client is main/llm/judge-client.ts; rewards take any Judge.
export type { Judge, JudgeRequest, JudgeScore } from './judge/types.ts';
export { parseJudgeScore, type ParsedScore } from './judge/parse-score.ts';
export { RUBRICS, RUBRIC_KO, RUBRIC_EN, renderRubric, type Rubric } from './judge/rubrics.ts';
export { judgeReward, type JudgeContext } from './judge-reward.ts';
export { rewardModelReward, type SummaryScorer, type RewardModelContext } from './reward-model-reward.ts';
export { computeRewards, parseRewardConfig, rewardConfigSchema, type RewardConfig, type RewardSample, type RewardBreakdown } from './compose.ts';
export type { CompletionInput, RewardFunction, AsyncRewardFunction } from './types.ts';
