// The Korean words a self-correcting trace uses to notice a problem and go on in Korean (seed 001:
// "잠깐, 다시 확인해 보자…"). The programmatic builder writes them; the checker looks for any of
// CORRECTION_PATTERN so teacher-written traces may phrase it their own way.

/** Written when the reasoning drifted into (or started in) English: back to Korean, re-checking. */
export const SWITCH_BACK = '잠깐, 한국어로 다시 확인해 보자.';
/** Written when a step was wrong. */
export const MISTAKE_FOUND = '잠깐, 계산이 틀렸다. 다시 확인해 보자.';

/** Where a trace notices something: "잠깐" (wait) or "다시 확인/생각/계산/풀어" (check / think / compute / solve again). */
export const CORRECTION_PATTERN = /잠깐|다시\s*(확인|생각|계산|풀어|살펴)/;

/** Every character the programmatic phrases use (a compact tokenizer needs them: see model.make.extraCharacters). */
export function selfCorrectionCharacters(): string {
  return [...new Set([...SWITCH_BACK, ...MISTAKE_FOUND])].sort().join('');
}
