// What makes a self-correction trace usable: its final answer verifies against the gold answer, its
// thinking notices something (a correction phrase), some of the thinking before that is in English (the
// language switch) and what follows it is Korean. Both builders keep only traces that pass.
import { verifyResponse } from '../../rewards/accuracy-reward.ts';
import { detectLanguage } from '../../rewards/language/consistency.ts';
import { splitThinking, DEFAULT_THINK_TAGS } from '../../rewards/think-split.ts';
import { CORRECTION_PATTERN } from './phrases.ts';

export interface SelfCorrectionCheck {
  ok: boolean;
  verified: boolean;
  /** A correction phrase in the thinking. */
  corrected: boolean;
  /** English before the correction, Korean after it. */
  switched: boolean;
  /** Why it fails, for logs and stats. */
  problems: string[];
}

export function checkSelfCorrection(response: string, gold: string): SelfCorrectionCheck {
  const problems: string[] = [];
  const verified = verifyResponse(response, gold).correct;
  if (!verified) problems.push('answer does not verify');
  const { thinking } = splitThinking(response, DEFAULT_THINK_TAGS);
  const text = thinking ?? '';
  const at = text.search(CORRECTION_PATTERN);
  const corrected = at >= 0;
  if (!corrected) problems.push('no correction phrase (잠깐 / 다시 확인…)');
  let switched = false;
  if (corrected) {
    const before = text.slice(0, at).split('\n').filter((l) => l.trim() !== '');
    const after = text.slice(at);
    const englishBefore = before.some((line) => detectLanguage(line) === 'en');
    const koreanAfter = detectLanguage(after) === 'ko';
    switched = englishBefore && koreanAfter;
    if (!englishBefore) problems.push('no English before the correction');
    if (!koreanAfter) problems.push('the thinking after the correction is not Korean');
  }
  return { ok: verified && corrected && switched, verified, corrected, switched, problems };
}
