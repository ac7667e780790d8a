// Why a reward component scored what it did, as stable codes with parameters. The English `reason`
// strings beside them stay for logs and the CLI; the UI translates the codes (the renderer's
// `rewards.why.<code>` messages, `rewards.verdict.<verdict>` for the math verdicts), so a reward's
// explanation reads in the UI language without the back end knowing any catalogue. Codes only grow:
// a renamed code would show its English reason instead of a translation.

/** Every code a reward component can give. */
export const REASON_CODES = [
  'accuracy.noGold',
  'accuracy.verdict',
  'format.wellFormed',
  'format.missingOpen',
  'format.noThinking',
  'format.unclosed',
  'format.repeated',
  'format.nested',
  'format.strayClose',
  'format.preamble',
  'format.thinkingEmpty',
  'format.summaryEmpty',
  'format.noAnswer',
  'format.noBoxedAnswer',
  'language.ok',
  'language.empty',
  'language.noProse',
  'language.notTarget',
  'language.tooLittle',
  'language.formulas',
  'judge.emptySummary',
  'judge.score',
  'judge.noScore',
  'judge.failed',
  'rewardModel.emptySummary',
  'rewardModel.score',
] as const;

export type ReasonCodeName = (typeof REASON_CODES)[number];

/** One reason: its code and the values its message names (`{pred}`, `{percent}`, ...). */
export type ReasonCode = { code: ReasonCodeName; params?: Record<string, string | number> };

/** The math verifier's verdict reasons (MathVerdict.reason): `accuracy.verdict`'s `verdict` parameter. */
export const VERDICT_REASONS = [
  'equal_string', 'equal_rational', 'equal_numeric', 'equal_rounded', 'equal_symbolic', 'equal_equation', 'equal_relation',
  'equal_percent', 'equal_matrix', 'equal_tuple', 'equal_set', 'equal_interval', 'equal_choice', 'not_equal', 'no_answer',
  'empty_gold', 'input_too_long', 'answer_too_long', 'choice_without_options', 'unclosed_thinking',
] as const;
