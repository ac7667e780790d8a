// The alignment stage's table (seed 001's shape): per arm, accuracy and Korean share of the thinking on the
// held-out split after the arm's tuning (before RL) and after the same GRPO, side by side, with the
// start model as the first row. Markdown for report.md, HTML for report.html (its heading, intro and
// column heads marked with translation keys for the app: report.ts's i18nMark).
import { i18nMark as t } from './report.ts';

export interface Scores {
  /** pass@1 on the held-out split. */
  accuracy: number;
  /** Mean Korean share of the thinking's prose. */
  korean: number;
}

export interface ArmResult {
  arm: string;
  /** SFT method kind (full, lora, selective). */
  method: string;
  seed: number;
  /** The neuron selection file the arm tuned, or null. */
  selection: string | null;
  selected: number | null;
  sftRun: string;
  grpoRun: string;
  before: Scores;
  after: Scores;
}

export interface AlignmentResults {
  start: { model: string; scores: Scores };
  selfcorrect: { rows: number; perKind: Record<string, number> };
  /** How the discovery methods agree on the start model (null when no arm tunes neurons). */
  neurons?: { method: string; other: string; otherSelection: string; shared: number; jaccard: number } | null;
  arms: ArmResult[];
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const delta = (a: number, b: number) => `${b >= a ? '+' : '−'}${Math.abs(100 * (b - a)).toFixed(1)}`;
const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

function tuned(r: ArmResult): string {
  return r.selected === null ? r.method : `${r.method}, ${r.selected} neurons`;
}

export function alignmentMarkdown(results: AlignmentResults): string {
  const s = results.start.scores;
  const lines = [
    '## Korean alignment: tuning before RL',
    '',
    `Every arm is tuned on the same ${results.selfcorrect.rows} self-correction traces (${Object.entries(results.selfcorrect.perKind).filter(([, n]) => n > 0).map(([k, n]) => `${k} ${n}`).join(', ')}), then trained with the same GRPO. Held-out accuracy / Korean share of the thinking.`,
    '',
    '| arm | tuned | seed | accuracy before RL | Korean before RL | accuracy after RL | Korean after RL | Δ accuracy (RL) |',
    '|---|---|---:|---:|---:|---:|---:|---:|',
    `| start | – | – | ${pct(s.accuracy)} | ${pct(s.korean)} | – | – | – |`,
  ];
  for (const r of results.arms) lines.push(`| ${r.arm} | ${tuned(r)} | ${r.seed} | ${pct(r.before.accuracy)} | ${pct(r.before.korean)} | ${pct(r.after.accuracy)} | ${pct(r.after.korean)} | ${delta(r.before.accuracy, r.after.accuracy)} |`);
  const files = results.arms.filter((r) => r.selection);
  if (files.length) lines.push('', ...files.map((r) => `- ${r.arm}: neuron selection \`${r.selection}\``));
  const n = results.neurons;
  if (n) lines.push(`- ${n.method} and ${n.other} (\`${n.otherSelection}\`) select ${n.shared} neurons in common (Jaccard ${n.jaccard.toFixed(3)})`);
  return lines.join('\n') + '\n';
}

export function alignmentHtml(results: AlignmentResults): string {
  const s = results.start.scores;
  const rows = [
    `<tr><td class="l"${t('report.alignment.start')}>start</td><td class="l">–</td><td>–</td><td>${pct(s.accuracy)}</td><td>${pct(s.korean)}</td><td>–</td><td>–</td><td>–</td></tr>`,
    ...results.arms.map(
      (r) =>
        `<tr data-arm="${esc(r.arm)}"><td class="l">${esc(r.arm)}</td><td class="l"${r.selected === null ? '' : t('report.alignment.tunedNeurons', { method: r.method, neurons: r.selected })}>${esc(tuned(r))}</td><td>${r.seed}</td><td>${pct(r.before.accuracy)}</td><td>${pct(r.before.korean)}</td><td>${pct(r.after.accuracy)}</td><td>${pct(r.after.korean)}</td><td>${delta(r.before.accuracy, r.after.accuracy)}</td></tr>`,
    ),
  ];
  const heads = ['arm', 'tuned', 'seed', 'accuracyBefore', 'koreanBefore', 'accuracyAfter', 'koreanAfter', 'delta'];
  const english = ['arm', 'tuned', 'seed', 'accuracy before RL', 'Korean before RL', 'accuracy after RL', 'Korean after RL', 'Δ accuracy (RL)'];
  return `<h2${t('report.alignment.title')}>Korean alignment: tuning before RL</h2>
<p${t('report.alignment.intro', { rows: results.selfcorrect.rows })}>Every arm is tuned on the same ${results.selfcorrect.rows} self-correction traces, then trained with the same GRPO. Held-out accuracy and Korean share of the thinking.</p>
<table id="alignment"><thead><tr>${heads.map((h, i) => `<th${t(`report.alignment.${h}`)}>${english[i]}</th>`).join('')}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
}
