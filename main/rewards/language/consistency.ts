// Language consistency of a thinking trace: how much of its prose is in the target language.
//
// Formula (all counts come from scanProse, i.e. after code, LaTeX, URLs, markdown and numbers are removed):
//
//   ratio        = mass(target scripts) / mass(all scripts)               share of the prose in the target
//   lengthFactor = min(1, mass(target) / minTargetMass)                   enough target-language text at all
//   proseFactor  = min(1, proseShare / minProseShare),
//                  proseShare = proseChars / (proseChars + formulaChars)  prose is not a fig leaf on formulas
//   score        = ratio × lengthFactor × proseFactor                     in [0, 1]
//
// Why each factor:
// - ratio alone is what the recipe asks for, but it is trivially gamed once math and code are stripped:
//   an empty thinking, or two Korean words around pages of equations, has ratio 1.
// - lengthFactor answers the empty / near-empty case: a thinking must contain at least minTargetMass
//   (default 20, about one short Korean sentence) of target-language letters to get full credit; below
//   that the credit shrinks linearly to 0.
// - proseFactor answers "a few target words wrapped around pages of formulas". Real math-heavy Korean
//   reasoning keeps well over 15% of its non-space characters as prose (Korean is dense: one syllable
//   per character), so it is not penalized; pure formula dumps with a sprinkle of Korean fall far below.
//   Stripping stays (equations and code do not count against the language), so the policy is not pushed
//   to stop writing math; it is only stopped from replacing its reasoning with it.
// - mass weights letters by script (SCRIPT_WEIGHT) so a Korean sentence with English terms stays Korean.
import type { ReasonCode } from '../reason-codes.ts';
import { languageFromMass, SCRIPTS, targetScripts } from './scripts.ts';
import { scanProse, type StrippedSpan } from './scan.ts';

export type LanguageOptions = {
  /** Target language code ('ko', 'ja', 'en', ...) or script name; default: detected from `prompt`, else 'ko'. */
  target?: string;
  /** The prompt, used to detect the target when none is given. */
  prompt?: string;
  /** Target-language letter mass needed for full credit (default 20). */
  minTargetMass?: number;
  /** Prose share of non-space characters needed for full credit (default 0.15). */
  minProseShare?: number;
  /** Return the stripped spans (for highlighting). Default false. */
  spans?: boolean;
};

export type LanguageResult = {
  score: number;
  /** The target language (or script) that was scored. */
  target: string;
  /** How the target was chosen. */
  targetSource: 'explicit' | 'prompt' | 'default';
  /** Language detected in the scored text itself (null without letters). */
  detected: string | null;
  ratio: number;
  lengthFactor: number;
  proseFactor: number;
  proseShare: number;
  /** Letters per script (raw counts), only scripts that occur. */
  letters: Record<string, number>;
  proseChars: number;
  formulaChars: number;
  /** Why the score is below 1 (empty when it is 1). */
  reasons: string[];
  /** The same as codes for the UI to translate (`language.ok` when the score is 1). */
  codes: ReasonCode[];
  spans: StrippedSpan[] | null;
};

export const DEFAULT_MIN_TARGET_MASS = 20;
export const DEFAULT_MIN_PROSE_SHARE = 0.15;

/** The language of a prompt (after stripping math and code), or null when it has no letters. */
export function detectLanguage(text: string): string | null {
  return languageFromMass(scanProse(text).mass);
}

function resolveTarget(options: LanguageOptions): [string, LanguageResult['targetSource']] {
  if (options.target) return [options.target, 'explicit'];
  if (options.prompt) {
    const detected = detectLanguage(options.prompt);
    if (detected) return [detected, 'prompt'];
  }
  return ['ko', 'default'];
}

export function languageConsistency(text: string, options: LanguageOptions = {}): LanguageResult {
  const [target, targetSource] = resolveTarget(options);
  const scripts = targetScripts(target);
  const minMass = options.minTargetMass ?? DEFAULT_MIN_TARGET_MASS;
  const minShare = options.minProseShare ?? DEFAULT_MIN_PROSE_SHARE;
  if (!(minMass > 0) || !(minShare > 0 && minShare <= 1)) {
    throw new Error('minTargetMass must be > 0 and minProseShare in (0, 1]');
  }
  const scan = scanProse(text, options.spans ?? false);

  let total = 0;
  for (let s = 1; s < scan.mass.length; s++) total += scan.mass[s];
  let targetMass = 0;
  for (const s of scripts) targetMass += scan.mass[s];

  const ratio = total > 0 ? targetMass / total : 0;
  const lengthFactor = Math.min(1, targetMass / minMass);
  const denom = scan.proseChars + scan.formulaChars;
  const proseShare = denom > 0 ? scan.proseChars / denom : 0;
  const proseFactor = Math.min(1, proseShare / minShare);
  const score = ratio * lengthFactor * proseFactor;

  const reasons: string[] = [];
  const codes: ReasonCode[] = [];
  if (text.trim().length === 0) {
    reasons.push('empty text');
    codes.push({ code: 'language.empty' });
  } else if (total === 0) {
    reasons.push('no prose letters after stripping code, math and markdown');
    codes.push({ code: 'language.noProse' });
  } else {
    const percent = Math.round((1 - ratio) * 100);
    const mass = targetMass.toFixed(1);
    const share = (proseShare * 100).toFixed(1);
    const because = (reason: string, code: ReasonCode) => {
      reasons.push(reason);
      codes.push(code);
    };
    if (ratio < 1) because(`${percent}% of the prose is not in ${target}`, { code: 'language.notTarget', params: { percent, target } });
    if (lengthFactor < 1) because(`too little ${target} text (${mass} of ${minMass} needed)`, { code: 'language.tooLittle', params: { target, mass, needed: minMass } });
    if (proseFactor < 1) because(`mostly formulas or code (prose share ${share}%)`, { code: 'language.formulas', params: { share } });
  }
  if (codes.length === 0) codes.push({ code: 'language.ok', params: { target } });

  const letters: Record<string, number> = {};
  for (let s = 1; s < SCRIPTS.length; s++) if (scan.letters[s] > 0) letters[SCRIPTS[s]] = scan.letters[s];
  return {
    score,
    target,
    targetSource,
    detected: languageFromMass(scan.mass),
    ratio,
    lengthFactor,
    proseFactor,
    proseShare,
    letters,
    proseChars: scan.proseChars,
    formulaChars: scan.formulaChars,
    reasons,
    codes,
    spans: scan.spans,
  };
}
