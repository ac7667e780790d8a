// The GRPO ablation's statistics: per arm, over seeds, the final held-out accuracy and Korean share
// (mean ± sample std), the steps each arm needs to reach the baseline's final accuracy, and the share of
// zero-variance groups over training; plus one sentence per arm saying whether its difference from the
// baseline is within noise. Pure functions over the runs' results, so the report can be checked without
// training anything.
import { esc, i18nMark as t, pct, type I18nParams } from './report.ts';

/** What one GRPO run of the ablation left: its held-out evaluations and its training log. */
export interface AblationRun {
  arm: string;
  seed: number;
  run: string;
  /** Held-out evaluations in step order (the last is the final one). */
  evals: { step: number; accuracy: number; lang: number }[];
  /** Mean over training steps of the share of kept groups whose rewards were all equal. */
  zeroVarianceShare: number;
  /** Mean over training steps of the share of sampled groups dynamic sampling dropped. */
  droppedShare: number;
}

export interface MeanStd {
  mean: number;
  /** Sample standard deviation (n − 1); 0 for one seed. */
  std: number;
  n: number;
}

export interface AblationArmSummary {
  arm: string;
  seeds: number[];
  accuracy: MeanStd;
  lang: MeanStd;
  zeroVarianceShare: MeanStd;
  droppedShare: MeanStd;
  /** Per seed: the first evaluated step whose accuracy reaches the baseline's mean final accuracy, or null. */
  stepsToBaseline: (number | null)[];
  /** Mean of stepsToBaseline over the seeds that reached it; null when none did. */
  meanStepsToBaseline: number | null;
  /** Difference of mean final accuracy from the baseline's, and whether it is within noise. */
  vsBaseline: { accuracyDiff: number; standardError: number; withinNoise: boolean } | null;
  /** One sentence for the report. */
  verdict: string;
}

export interface AblationSummary {
  baseline: string;
  baselineAccuracy: number;
  arms: AblationArmSummary[];
  /** How "within noise" is decided. */
  noiseRule: string;
}

export function meanStd(xs: readonly number[]): MeanStd {
  const n = xs.length;
  if (n === 0) return { mean: NaN, std: NaN, n };
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  const std = n > 1 ? Math.sqrt(xs.reduce((s, x) => s + (x - mean) ** 2, 0) / (n - 1)) : 0;
  return { mean, std, n };
}

/** Difference within two standard errors of the difference of means (Welch's), or fewer than 2 seeds a side. */
export const NOISE_RULE = 'a difference smaller than two standard errors of the difference of the means (Welch) is within noise';

export function summarizeAblation(runs: readonly AblationRun[], baseline: string): AblationSummary {
  const arms = [...new Set(runs.map((r) => r.arm))];
  if (!arms.includes(baseline)) throw new Error(`ablation: no run of the baseline arm "${baseline}"`);
  const byArm = new Map(arms.map((a) => [a, runs.filter((r) => r.arm === a).sort((x, y) => x.seed - y.seed)]));
  for (const [arm, rs] of byArm) for (const r of rs) if (r.evals.length === 0) throw new Error(`ablation: run ${r.run} (arm ${arm}, seed ${r.seed}) has no held-out evaluation: give the GRPO base config a heldOut set`);
  const final = (r: AblationRun) => r.evals[r.evals.length - 1];
  const base = meanStd(byArm.get(baseline)!.map((r) => final(r).accuracy));
  const summaries = arms.map((arm): AblationArmSummary => {
    const rs = byArm.get(arm)!;
    const accuracy = meanStd(rs.map((r) => final(r).accuracy));
    const stepsToBaseline = rs.map((r) => r.evals.find((e) => e.accuracy >= base.mean)?.step ?? null);
    const reached = stepsToBaseline.filter((s): s is number => s !== null);
    let vsBaseline: AblationArmSummary['vsBaseline'] = null;
    let verdict: string;
    if (arm === baseline) verdict = `baseline: ${pct(accuracy.mean)} ± ${pct(accuracy.std)} over ${accuracy.n} seeds`;
    else {
      const accuracyDiff = accuracy.mean - base.mean;
      const standardError = Math.sqrt(accuracy.std ** 2 / accuracy.n + base.std ** 2 / base.n);
      const withinNoise = accuracy.n < 2 || base.n < 2 || Math.abs(accuracyDiff) < 2 * standardError;
      vsBaseline = { accuracyDiff, standardError, withinNoise };
      const sign = accuracyDiff >= 0 ? '+' : '−';
      const diff = `${sign}${(100 * Math.abs(accuracyDiff)).toFixed(1)} points`;
      verdict = withinNoise
        ? `${arm}: ${diff} vs baseline, within noise (standard error ${(100 * standardError).toFixed(1)} points over ${accuracy.n} seeds)`
        : `${arm}: ${diff} vs baseline, beyond noise (${(Math.abs(accuracyDiff) / standardError).toFixed(1)} standard errors)`;
    }
    return {
      arm,
      seeds: rs.map((r) => r.seed),
      accuracy,
      lang: meanStd(rs.map((r) => final(r).lang)),
      zeroVarianceShare: meanStd(rs.map((r) => r.zeroVarianceShare)),
      droppedShare: meanStd(rs.map((r) => r.droppedShare)),
      stepsToBaseline,
      meanStepsToBaseline: reached.length ? reached.reduce((a, b) => a + b, 0) / reached.length : null,
      vsBaseline,
      verdict,
    };
  });
  return { baseline, baselineAccuracy: base.mean, arms: summaries, noiseRule: NOISE_RULE };
}

/** The ablation as a Markdown section (table + one sentence per arm). */
export function ablationMarkdown(s: AblationSummary): string {
  const pm = (m: MeanStd) => `${pct(m.mean)} ± ${pct(m.std)}`;
  const lines = [
    '## GRPO ablation',
    '',
    `Same SFT model, same GRPO budget per run; ${s.arms[0]?.accuracy.n ?? 0} seeds per arm. Held-out greedy accuracy and Korean share of the thinking at the end of each run (mean ± std over seeds); steps to reach the baseline's final accuracy (${pct(s.baselineAccuracy)}) among the evaluated steps; zero-variance groups among those trained on.`,
    '',
    '| arm | accuracy | Korean share | steps to baseline | zero-variance share | dropped share |',
    '|---|---|---|---|---|---|',
    ...s.arms.map((a) => {
      const reached = a.stepsToBaseline.filter((x) => x !== null).length;
      const steps = a.meanStepsToBaseline === null ? `not reached (0/${a.stepsToBaseline.length})` : `${a.meanStepsToBaseline.toFixed(1)} (${reached}/${a.stepsToBaseline.length} seeds)`;
      return `| ${a.arm} | ${pm(a.accuracy)} | ${pm(a.lang)} | ${steps} | ${pm(a.zeroVarianceShare)} | ${pm(a.droppedShare)} |`;
    }),
    '',
    ...s.arms.map((a) => `- ${a.verdict}`),
    '',
    `Noise rule: ${s.noiseRule}.`,
    '',
  ];
  return lines.join('\n');
}

const signedPoints = (d: number) => `${d >= 0 ? '+' : '−'}${(100 * Math.abs(d)).toFixed(1)}`;

/**
 * An arm's verdict as a translation marker (#24): the same sentence as `verdict`, from the arm's numbers, so
 * the app can say it in the UI language (and an ablation.json written before this still gets one).
 */
export function verdictMark(a: AblationArmSummary, baseline: string): { key: string; params: I18nParams } {
  const v = a.vsBaseline;
  if (a.arm === baseline || !v) return { key: 'report.ablation.verdict.baseline', params: { mean: pct(a.accuracy.mean), std: pct(a.accuracy.std), n: a.accuracy.n } };
  if (v.withinNoise) return { key: 'report.ablation.verdict.within', params: { arm: a.arm, diff: signedPoints(v.accuracyDiff), se: (100 * v.standardError).toFixed(1), n: a.accuracy.n } };
  return { key: 'report.ablation.verdict.beyond', params: { arm: a.arm, diff: signedPoints(v.accuracyDiff), ratio: (Math.abs(v.accuracyDiff) / v.standardError).toFixed(1) } };
}

/** The same section as HTML (table id "ablation"). */
export function ablationHtml(s: AblationSummary): string {
  const pm = (m: MeanStd) => `${pct(m.mean)} ± ${pct(m.std)}`;
  const rows = s.arms
    .map((a) => {
      const steps = a.meanStepsToBaseline === null ? `<span${t('report.ablation.notReached')}>not reached</span>` : `${a.meanStepsToBaseline.toFixed(1)} (${a.stepsToBaseline.filter((x) => x !== null).length}/${a.stepsToBaseline.length})`;
      return `<tr><th scope="row">${esc(a.arm)}</th><td>${pm(a.accuracy)}</td><td>${pm(a.lang)}</td><td>${steps}</td><td>${pm(a.zeroVarianceShare)}</td><td>${pm(a.droppedShare)}</td></tr>`;
    })
    .join('');
  // Headings, column heads, verdicts and the noise rule carry their translation keys for the app (report.ts: i18nMark).
  const verdicts = s.arms.map((a) => {
    const { key, params } = verdictMark(a, s.baseline);
    return `<li${t(key, params)}>${esc(a.verdict)}</li>`;
  });
  const rule = s.noiseRule === NOISE_RULE ? t('report.ablation.noiseRuleText') : '';
  return `<h2${t('report.ablation.title')}>GRPO ablation</h2>
<table id="ablation"><thead><tr><th${t('report.ablation.arm')}>arm</th><th${t('report.accuracy')}>accuracy</th><th${t('report.ablation.korean')}>Korean share</th><th${t('report.ablation.stepsTo', { baseline: pct(s.baselineAccuracy) })}>steps to baseline (${pct(s.baselineAccuracy)})</th><th${t('report.ablation.zeroVariance')}>zero-variance share</th><th${t('report.ablation.dropped')}>dropped share</th></tr></thead><tbody>${rows}</tbody></table>
<ul id="ablation-verdicts">${verdicts.join('')}</ul>
<p><span${t('report.ablation.noiseRule')}>Noise rule:</span> <span${rule}>${esc(s.noiseRule)}.</span></p>`;
}
