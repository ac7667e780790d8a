// The pipeline's report: the stages (status, time, headline numbers), a before/after table of every
// model × benchmark (greedy accuracy and target-language share of the thinking), charts, as Markdown and
// one self-contained HTML file (inline CSS and SVG, no scripts, no external URLs). The per-benchmark
// charts and details come from main/eval's report pieces.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { accuracyVsLengthSvg, languageShareSvg } from '../eval/report.ts';
import { writeFileAtomic } from '../store/index.ts';
import type { EvalResults, ModelRole } from './stages/eval.ts';
import type { StageName } from './stage-names.ts';
import type { StageStatus } from './state.ts';

export interface StageRow {
  name: StageName;
  status: StageStatus;
  seconds: number;
  summary?: Record<string, unknown>;
}

export interface Scores {
  /** Held-out greedy accuracy (pass@1), 0..1. */
  accuracy: number;
  /** Mean target-language share of the thinking, 0..1. */
  lang: number;
}

const ROLE_LABEL: Record<ModelRole, string> = { base: 'base', sft: 'after SFT', grpo: 'after GRPO' };

/**
 * The base model, the SFT model and the final model (GRPO, else SFT) on the first benchmark (the held-out
 * split by default). `sft` is set only when a GRPO model follows it, so the report can show what each of
 * the two training stages added.
 */
export function beforeAfter(results: EvalResults): { before: Scores | null; sft: Scores | null; after: Scores | null; benchmark: string | null } {
  const benchmark = results.benchmarks[0]?.name ?? null;
  const scores = (role: ModelRole): Scores | null => {
    const r = results.results.find((x) => x.role === role && x.benchmark === benchmark);
    return r ? { accuracy: r.summary.pass1, lang: r.summary.lang.meanTargetShare } : null;
  };
  const finalRole = (['grpo', 'sft'] as ModelRole[]).find((role) => results.models.some((m) => m.role === role));
  return { before: scores('base'), sft: finalRole === 'grpo' ? scores('sft') : null, after: finalRole ? scores(finalRole) : null, benchmark };
}

export const pct = (x: number | undefined): string => (x === undefined || !Number.isFinite(x) ? '–' : `${(x * 100).toFixed(1)}%`);
/** A difference of two shares as signed percentage points. */
const points = (d: number): string => (Number.isFinite(d) ? `${d >= 0 ? '+' : '−'}${Math.abs(d * 100).toFixed(1)} points` : '–');
export const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
/**
 * The markers the app translates the report by (#24): a stable `report.*` key and its parameters as data
 * attributes on the element whose text is the English message. The file stays English for a browser; the
 * Recipe page replaces each marked text with the UI language's message (the back end knows no catalogue).
 */
export const i18nMark = (key: string, params?: I18nParams): string => ` data-i18n="${esc(key)}"${params ? ` data-i18n-args="${esc(JSON.stringify(params))}"` : ''}`;
/** A marker's parameters: a value, or another message by its key (a model's role, a status) that the app translates too. */
export type I18nParams = Record<string, string | number | { key: string }>;
/** A difference of two shares as signed percentage points, the number only ("+3.2"). */
const pointsNumber = (d: number): string => (Number.isFinite(d) ? `${d >= 0 ? '+' : '−'}${Math.abs(d * 100).toFixed(1)}` : '–');
const summaryValue = (v: unknown): string | number => (typeof v === 'number' ? (Number.isInteger(v) ? v : v.toFixed(3)) : String(v));
const summaryText = (summary: Record<string, unknown> | undefined): string =>
  Object.entries(summary ?? {})
    .map(([k, v]) => `${k} ${summaryValue(v)}`)
    .join(', ');

/**
 * One entry of a stage's summary as its translation marker (#24): `report.summary.<name>` with the value, or
 * for the names a stage builds from data (eval's `<role>/<benchmark>`, the ablation's `<arm>_accuracy`, the
 * alignment's `<arm>_before` / `<arm>_after`) a pattern key with the data as parameters. A status value is
 * itself a key. The app shows the English text for a name without a message.
 */
export function summaryMark(stage: StageName, name: string, value: unknown): { key: string; params: I18nParams } {
  const shown = summaryValue(value);
  const role = stage === 'eval' ? /^(base|sft|grpo)\/(.+)$/.exec(name) : null;
  if (role) return { key: 'report.summary.evalCell', params: { model: { key: `report.role.${role[1]}` }, benchmark: role[2], value: shown } };
  const arm = stage === 'ablation' || stage === 'alignment' ? /^(.+)_(accuracy|before|after)$/.exec(name) : null;
  if (arm) return { key: `report.summary.arm.${arm[2]}`, params: { arm: arm[1], value: shown } };
  if (name === 'status' && typeof value === 'string') return { key: 'report.summary.status', params: { value: { key: `report.status.${value}` } } };
  return { key: `report.summary.${name}`, params: { value: shown } };
}

/** The stage table's summary cell: each entry marked on its own, so the app translates it (the file stays English). */
const summaryHtml = (stage: StageName, summary: Record<string, unknown> | undefined): string =>
  Object.entries(summary ?? {})
    .map(([k, v]) => {
      const { key, params } = summaryMark(stage, k, v);
      return `<span class="summary-entry"${i18nMark(key, params)}>${esc(`${k} ${summaryValue(v)}`)}</span>`;
    })
    .join(', ');

/** The reward model's held-out pair accuracy and pair count, when the pipeline trained one with held-out pairs. */
export function rewardModelAccuracy(stages: readonly StageRow[]): { accuracy: number; pairs: number | null } | null {
  const summary = stages.find((s) => s.name === 'rewardModel')?.summary;
  if (typeof summary?.accuracy !== 'number') return null;
  return { accuracy: summary.accuracy, pairs: typeof summary.heldOutPairs === 'number' ? summary.heldOutPairs : null };
}

const rmSentence = (rm: { accuracy: number; pairs: number | null }): string => `Reward model: held-out pair accuracy ${pct(rm.accuracy)}${rm.pairs !== null ? ` (${rm.pairs} pairs)` : ''}, the share of held-out pairs whose chosen response it scores higher.`;

/** The eval charts name models by their role label here: its translation key. */
const roleKey = (label: string): string | undefined => {
  const role = (Object.keys(ROLE_LABEL) as ModelRole[]).find((r) => ROLE_LABEL[r] === label);
  return role ? `report.role.${role}` : undefined;
};

function cell(results: EvalResults, role: ModelRole, benchmark: string): Scores | null {
  const r = results.results.find((x) => x.role === role && x.benchmark === benchmark);
  return r ? { accuracy: r.summary.pass1, lang: r.summary.lang.meanTargetShare } : null;
}

/** Grouped bars: for each benchmark × metric, one bar per model. */
export function beforeAfterSvg(results: EvalResults): string {
  const roles = results.models.map((m) => m.role);
  const groups = results.benchmarks.flatMap((b) => [
    { label: `${b.name}: accuracy`, key: 'report.chart.accuracyOf', benchmark: b.name, values: roles.map((r) => cell(results, r, b.name)?.accuracy ?? 0) },
    { label: `${b.name}: target-language share`, key: 'report.chart.langOf', benchmark: b.name, values: roles.map((r) => cell(results, r, b.name)?.lang ?? 0) },
  ]);
  const colors = ['#9ca3af', '#60a5fa', '#10b981'];
  const bar = 28;
  const gap = 24;
  // Wide enough for the group's label (about 6 px per character at font size 10).
  const groupWidth = Math.max(roles.length * bar + gap, Math.max(...groups.map((g) => g.label.length), 0) * 6 + 12);
  const width = Math.max(60 + groups.length * groupWidth, 60 + roles.length * 110);
  const height = 240;
  const plot = 170;
  const y = (v: number) => 20 + plot * (1 - Math.max(0, Math.min(1, v)));
  const parts: string[] = [`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height + 24 * 1}" width="${width}" height="${height + 24}" role="img" aria-label="before and after" data-i18n-aria="report.chart.beforeAfter">`];
  for (const t of [0, 0.5, 1]) parts.push(`<line x1="40" x2="${width}" y1="${y(t)}" y2="${y(t)}" stroke="#e5e7eb"/><text x="34" y="${y(t) + 4}" font-size="10" text-anchor="end">${t * 100}%</text>`);
  groups.forEach((g, gi) => {
    const x0 = 50 + gi * groupWidth + (groupWidth - roles.length * bar) / 2 - gap / 2;
    g.values.forEach((v, ri) => {
      parts.push(`<rect x="${x0 + ri * bar}" y="${y(v)}" width="${bar - 4}" height="${y(0) - y(v)}" fill="${colors[ri % colors.length]}"><title${i18nMark('report.chart.barTitle', { model: { key: `report.role.${roles[ri]}` }, value: pct(v) })}>${esc(ROLE_LABEL[roles[ri]])}: ${pct(v)}</title></rect>`);
      parts.push(`<text x="${x0 + ri * bar + (bar - 4) / 2}" y="${y(v) - 3}" font-size="9" text-anchor="middle">${Math.round(v * 100)}</text>`);
    });
    parts.push(`<text x="${x0 + (roles.length * bar) / 2}" y="${y(0) + 14}" font-size="10" text-anchor="middle"${i18nMark(g.key, { benchmark: g.benchmark })}>${esc(g.label)}</text>`);
  });
  roles.forEach((r, ri) => parts.push(`<rect x="${50 + ri * 110}" y="${height + 6}" width="10" height="10" fill="${colors[ri % colors.length]}"/><text x="${64 + ri * 110}" y="${height + 15}" font-size="11"${i18nMark(`report.role.${r}`)}>${esc(ROLE_LABEL[r])}</text>`));
  parts.push('</svg>');
  return parts.join('');
}

/** A section a stage adds to the report (e.g. the GRPO ablation), in both formats. */
export interface ReportSection {
  markdown: string;
  html: string;
}

export function reportMarkdown(title: string, stages: readonly StageRow[], results: EvalResults | null, sections: readonly ReportSection[] = []): string {
  const lines = [`# ${title}`, '', '## Stages', '', '| stage | status | seconds | summary |', '|---|---|---:|---|'];
  for (const s of stages) lines.push(`| ${s.name} | ${s.status} | ${s.seconds.toFixed(1)} | ${summaryText(s.summary)} |`);
  const rm = rewardModelAccuracy(stages);
  if (rm) lines.push('', rmSentence(rm));
  if (results) {
    const { before, sft, after, benchmark } = beforeAfter(results);
    lines.push('', `## Before / after (${benchmark ?? '–'}, greedy)`, '', '| | accuracy | target-language share of the thinking |', '|---|---:|---:|');
    lines.push(`| before (base) | ${pct(before?.accuracy)} | ${pct(before?.lang)} |`);
    if (sft) lines.push(`| after SFT | ${pct(sft.accuracy)} | ${pct(sft.lang)} |`);
    lines.push(`| after (final${sft ? ', GRPO' : ''}) | ${pct(after?.accuracy)} | ${pct(after?.lang)} |`);
    if (sft && after) lines.push('', `GRPO added ${points(after.accuracy - sft.accuracy)} accuracy and ${points(after.lang - sft.lang)} target-language share over the SFT model.`);
    lines.push('', '## Every model × benchmark', '', 'accuracy (pass@1) / target-language share of the thinking', '');
    lines.push(`| model | ${results.benchmarks.map((b) => b.name).join(' | ')} |`, `|---|${results.benchmarks.map(() => '---:').join('|')}|`);
    for (const m of results.models) lines.push(`| ${ROLE_LABEL[m.role]} | ${results.benchmarks.map((b) => { const c = cell(results, m.role, b.name); return c ? `${pct(c.accuracy)} / ${pct(c.lang)}` : '–'; }).join(' | ')} |`);
  }
  for (const s of sections) lines.push('', s.markdown.trimEnd());
  return lines.join('\n') + '\n';
}

export function reportHtml(title: string, stages: readonly StageRow[], results: EvalResults | null, sections: readonly ReportSection[] = []): string {
  const stageRows = stages.map((s) => `<tr><td${i18nMark(`report.stage.${s.name}`)}>${esc(s.name)}</td><td class="st-${esc(s.status)}"${i18nMark(`report.status.${s.status}`)}>${esc(s.status)}</td><td>${s.seconds.toFixed(1)}</td><td class="l">${summaryHtml(s.name, s.summary)}</td></tr>`).join('');
  const rm = rewardModelAccuracy(stages);
  const rmLine = rm ? `<p id="rm-accuracy"${i18nMark('report.rmAccuracy', { accuracy: pct(rm.accuracy), pairs: rm.pairs ?? '–' })}>${esc(rmSentence(rm))}</p>` : '';
  let body = '';
  if (results) {
    const { before, sft, after, benchmark } = beforeAfter(results);
    const summaries = results.results.map((r) => ({ ...r.summary, model: ROLE_LABEL[r.role] }));
    const grid = results.models
      .map((m) => `<tr><th scope="row"${i18nMark(`report.role.${m.role}`)}>${esc(ROLE_LABEL[m.role])}</th>${results.benchmarks.map((b) => { const c = cell(results, m.role, b.name); return c ? `<td>${pct(c.accuracy)}</td><td>${pct(c.lang)}</td>` : '<td>–</td><td>–</td>'; }).join('')}</tr>`)
      .join('');
    const gain = sft && after ? { accuracy: pointsNumber(after.accuracy - sft.accuracy), lang: pointsNumber(after.lang - sft.lang) } : null;
    body = `<h2><span${i18nMark('report.beforeAfter')}>Before / after</span> <small${i18nMark('report.beforeAfterOn', { benchmark: benchmark ?? '–' })}>(${esc(benchmark ?? '–')}, greedy)</small></h2>
<table id="before-after"><thead><tr><th></th><th${i18nMark('report.accuracy')}>accuracy</th><th${i18nMark('report.langShare')}>target-language share of the thinking</th></tr></thead><tbody>
<tr><th scope="row"${i18nMark('report.row.before')}>before (base)</th><td>${pct(before?.accuracy)}</td><td>${pct(before?.lang)}</td></tr>
${sft ? `<tr><th scope="row"${i18nMark('report.role.sft')}>after SFT</th><td>${pct(sft.accuracy)}</td><td>${pct(sft.lang)}</td></tr>\n` : ''}<tr><th scope="row"${i18nMark(sft ? 'report.row.finalGrpo' : 'report.row.final')}>after (final${sft ? ', GRPO' : ''})</th><td>${pct(after?.accuracy)}</td><td>${pct(after?.lang)}</td></tr></tbody></table>
${gain ? `<p id="grpo-gain"${i18nMark('report.grpoGain', gain)}>GRPO added ${esc(gain.accuracy)} points accuracy and ${esc(gain.lang)} points target-language share over the SFT model.</p>` : ''}
<h2${i18nMark('report.everyModel')}>Every model × benchmark</h2>
<table id="models"><thead><tr><th rowspan="2"${i18nMark('report.model')}>model</th>${results.benchmarks.map((b) => `<th colspan="2">${esc(b.name)}</th>`).join('')}</tr><tr>${results.benchmarks.map(() => `<th${i18nMark('report.accuracy')}>accuracy</th><th${i18nMark('report.lang')}>lang</th>`).join('')}</tr></thead><tbody>${grid}</tbody></table>
<div class="charts">
<figure><figcaption${i18nMark('report.chart.beforeAfter')}>Before and after</figcaption>${beforeAfterSvg(results)}</figure>
<figure><figcaption${i18nMark('report.chart.accuracyVsLength')}>Accuracy vs thinking length</figcaption>${accuracyVsLengthSvg(summaries, roleKey)}</figure>
<figure><figcaption${i18nMark('report.chart.languageShare')}>Thinking mostly in the benchmark's language</figcaption>${languageShareSvg(summaries, roleKey)}</figure>
</div>`;
  }
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>
body{font:14px/1.5 system-ui,sans-serif;margin:2rem;color:#1f2937;background:#fff}
table{border-collapse:collapse;margin:1rem 0}th,td{border:1px solid #d1d5db;padding:.3rem .6rem;text-align:right}
th:first-child,td:first-child,td.l{text-align:left}.st-failed{color:#b91c1c}.st-finished,.st-skipped{color:#047857}
.charts{display:flex;flex-wrap:wrap;gap:2rem}.charts figure{margin:0}figcaption{font-weight:600}
</style></head><body>
<h1>${esc(title)}</h1>
<h2${i18nMark('report.stages')}>Stages</h2>
<table id="stages"><thead><tr><th${i18nMark('report.col.stage')}>stage</th><th${i18nMark('report.col.status')}>status</th><th${i18nMark('report.col.seconds')}>seconds</th><th${i18nMark('report.col.summary')}>summary</th></tr></thead><tbody>${stageRows}</tbody></table>
${rmLine}
${body}
${sections.map((s) => s.html).join('\n')}
</body></html>
`;
}

/** Writes report.md and/or report.html into `dir`. */
export async function writePipelineReport(dir: string, title: string, stages: readonly StageRow[], results: EvalResults | null, formats: readonly ('md' | 'html')[] = ['md', 'html'], sections: readonly ReportSection[] = []): Promise<{ markdown?: string; html?: string }> {
  await mkdir(dir, { recursive: true });
  const paths: { markdown?: string; html?: string } = {};
  if (formats.includes('md')) await writeFileAtomic((paths.markdown = join(dir, 'report.md')), reportMarkdown(title, stages, results, sections));
  if (formats.includes('html')) await writeFileAtomic((paths.html = join(dir, 'report.html')), reportHtml(title, stages, results, sections));
  return paths;
}
