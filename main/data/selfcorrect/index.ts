// Self-correction code-switching data (seed 001): Korean traces that start or drift in English, or make a
// checked mistake, then notice ("잠깐, 다시 확인해 보자…") and finish in Korean with a verified answer.
export { SWITCH_BACK, MISTAKE_FOUND, CORRECTION_PATTERN, selfCorrectionCharacters } from './phrases.ts';
export { checkSelfCorrection, type SelfCorrectionCheck } from './check.ts';
export { parseArithmeticPrompt, arithmeticSelfCorrection, SELF_CORRECTION_KINDS, type SelfCorrectionKind, type ParsedArithmetic, type ArithmeticTrace } from './arithmetic.ts';
export { teacherSelfCorrection, SELF_CORRECTION_SYSTEM_PROMPT, selfCorrectionUserPrompt, type SelfCorrectionTeacher } from './teacher.ts';
export { selfCorrectRows, buildSelfCorrectDataset, DEFAULT_KIND_MIX, type KindMix, type SelfCorrectStats, type SelfCorrectRowsOptions, type BuildSelfCorrectOptions } from './build.ts';
