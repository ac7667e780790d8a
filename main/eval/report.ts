// Comparison reports over evaluation summaries: rows are models, columns are benchmarks, cells pass@1 (%),
// the best cell of each column in bold. Three files per comparison:
//   report.md    the table plus a details table (pass@k, maj@k, language, format, lengths)
//   report.csv   one line per (model, benchmark) with every metric at full precision
//   report.html  one self-contained file: inline CSS, inline SVG charts (accuracy vs thinking length,
//                target-language share), no scripts, no external URLs
import { mkdir } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { writeFileAtomic } from '../store/index.ts';
import type { EvalSummary } from './store.ts';

export interface ComparisonTable {
  models: string[];
  benchmarks: string[];
  /** cells[model][benchmark]: the summary, or null when that pair was not evaluated. */
  cells: (EvalSummary | null)[][];
  /** best[benchmark]: the highest pass@1 of that column (NaN when the column is empty). */
  best: number[];
}

/** A short model name: the folder name, or parent-folder for generic names (runs/<run>/output). */
export function modelLabel(modelPath: string): string {
  const leaf = basename(modelPath);
  return ['output', 'final', 'adapter', 'model', 'merged'].includes(leaf) ? `${basename(dirname(modelPath))}/${leaf}` : leaf;
}

export function comparisonTable(summaries: readonly EvalSummary[]): ComparisonTable {
  const models = [...new Set(summaries.map((s) => modelLabel(s.model)))];
  const benchmarks = [...new Set(summaries.map((s) => s.benchmark))];
  const cells = models.map((m) => benchmarks.map((b) => summaries.find((s) => modelLabel(s.model) === m && s.benchmark === b) ?? null));
  const best = benchmarks.map((_, j) => Math.max(...cells.map((row) => row[j]?.pass1 ?? -Infinity)));
  return { models, benchmarks, cells, best: best.map((v) => (v === -Infinity ? NaN : v)) };
}

const tick = (v: number) => (v < 10 ? v.toFixed(1) : String(Math.round(v)));
const pct = (v: number) => (Number.isFinite(v) ? (v * 100).toFixed(2) : '–');
const num = (v: number) => (Number.isFinite(v) ? v.toFixed(1) : '–');
const isBest = (t: ComparisonTable, i: number, j: number) => t.cells[i][j] !== null && t.cells[i][j]!.pass1 === t.best[j];
const mdEscape = (s: string) => s.replace(/\|/g, '\\|');

export function toMarkdown(summaries: readonly EvalSummary[]): string {
  const t = comparisonTable(summaries);
  const lines = ['# Evaluation', '', 'pass@1 (%), averaged over the samples of each problem; best of each benchmark in bold.', ''];
  lines.push(`| Model | ${t.benchmarks.map(mdEscape).join(' | ')} |`, `|---|${t.benchmarks.map(() => '---:').join('|')}|`);
  t.models.forEach((m, i) => {
    const cells = t.benchmarks.map((_, j) => {
      const s = t.cells[i][j];
      if (!s) return '–';
      return isBest(t, i, j) ? `**${pct(s.pass1)}**` : pct(s.pass1);
    });
    lines.push(`| ${mdEscape(m)} | ${cells.join(' | ')} |`);
  });
  lines.push('', '## Details', '', '| Model | Benchmark | Problems | k | pass@1 | pass@k | maj@k | Lang. consistency | Thinking mostly in target | Format valid | Thinking tokens | Response tokens |');
  lines.push('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const s of summaries) {
    lines.push(
      `| ${mdEscape(modelLabel(s.model))} | ${mdEscape(s.benchmark)} (${s.lang.target}) | ${s.n} | ${s.k} | ${pct(s.pass1)} | ${pct(s.passAtK)} | ${pct(s.majAtK)} | ` +
        `${pct(s.lang.meanConsistency)} | ${pct(s.lang.targetShare)} | ${pct(s.formatValid)} | ${num(s.meanThinkingTokens)} | ${num(s.meanResponseTokens)} |`,
    );
  }
  return lines.join('\n') + '\n';
}

export const CSV_COLUMNS = [
  'model', 'benchmark', 'lang', 'n', 'k', 'pass1', 'passAtK', 'majAtK', 'langConsistency', 'langTargetShare', 'langMeanTargetShare',
  'formatValid', 'meanThinkingTokens', 'meanResponseTokens', 'seconds',
] as const;

function csvField(v: string | number): string {
  const s = String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function toCsv(summaries: readonly EvalSummary[]): string {
  const rows = summaries.map((s) => [
    modelLabel(s.model), s.benchmark, s.lang.target, s.n, s.k, s.pass1, s.passAtK, s.majAtK, s.lang.meanConsistency, s.lang.targetShare,
    s.lang.meanTargetShare, s.formatValid, s.meanThinkingTokens, s.meanResponseTokens, s.seconds,
  ]);
  return [CSV_COLUMNS.join(','), ...rows.map((r) => r.map(csvField).join(','))].join('\n') + '\n';
}

const html = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const PALETTE = ['#2563eb', '#dc2626', '#059669', '#d97706', '#7c3aed', '#db2777', '#0891b2', '#65a30d'];

/**
 * A model label's translation key for the app (the pipeline report names its models by role: #24); the
 * label is then marked with data-i18n attributes. Without one, labels are plain text.
 */
export type ModelLabelKey = (model: string) => string | undefined;
const keyAttrs = (key: string, args?: Record<string, unknown>) => ` data-i18n="${html(key)}"${args ? ` data-i18n-args="${html(JSON.stringify(args))}"` : ''}`;

/** Scatter: x = mean thinking tokens, y = pass@1; one color per model. Self-contained SVG markup. */
export function accuracyVsLengthSvg(summaries: readonly EvalSummary[], labelKey?: ModelLabelKey): string {
  const W = 480, H = 300, L = 56, R = 16, T = 16, B = 44;
  const models = [...new Set(summaries.map((s) => modelLabel(s.model)))];
  const xMax = Math.max(1, ...summaries.map((s) => (Number.isFinite(s.meanThinkingTokens) ? s.meanThinkingTokens : 0))) * 1.1;
  const x = (v: number) => L + ((W - L - R) * v) / xMax;
  const y = (v: number) => H - B - (H - T - B) * v;
  const parts = [`<svg viewBox="0 0 ${W} ${H}" role="img" aria-label="pass@1 vs mean thinking tokens" data-i18n-aria="report.chart.accuracyVsLength">`];
  parts.push(`<line x1="${L}" y1="${H - B}" x2="${W - R}" y2="${H - B}" stroke="#888"/><line x1="${L}" y1="${T}" x2="${L}" y2="${H - B}" stroke="#888"/>`);
  for (const v of [0, 0.25, 0.5, 0.75, 1]) parts.push(`<text x="${L - 6}" y="${y(v) + 4}" text-anchor="end" font-size="11">${v * 100}%</text>`);
  for (const f of [0, 0.5, 1]) parts.push(`<text x="${x((xMax / 1.1) * f)}" y="${H - B + 16}" text-anchor="middle" font-size="11">${tick((xMax / 1.1) * f)}</text>`);
  parts.push(`<text x="${(L + W - R) / 2}" y="${H - 6}" text-anchor="middle" font-size="12" data-i18n="report.chart.thinkingTokens">mean thinking tokens</text>`);
  parts.push(`<text x="14" y="${(T + H - B) / 2}" text-anchor="middle" font-size="12" transform="rotate(-90 14 ${(T + H - B) / 2})">pass@1</text>`);
  for (const s of summaries) {
    const color = PALETTE[models.indexOf(modelLabel(s.model)) % PALETTE.length];
    const cx = x(Number.isFinite(s.meanThinkingTokens) ? s.meanThinkingTokens : 0);
    const cy = y(Number.isFinite(s.pass1) ? s.pass1 : 0);
    // The point's hover text, marked like the labels when the model has a key (#24).
    const key = labelKey?.(modelLabel(s.model));
    const marked = key ? keyAttrs('report.chart.pointTitle', { model: { key }, benchmark: s.benchmark, accuracy: pct(s.pass1), tokens: num(s.meanThinkingTokens) }) : '';
    parts.push(`<circle cx="${cx.toFixed(1)}" cy="${cy.toFixed(1)}" r="5" fill="${color}"><title${marked}>${html(modelLabel(s.model))} · ${html(s.benchmark)}: ${pct(s.pass1)}%, ${num(s.meanThinkingTokens)} tokens</title></circle>`);
    // Labels of points near the right edge go to their left, so they stay inside the chart.
    const right = cx > W - R - 90;
    parts.push(`<text x="${(right ? cx - 7 : cx + 7).toFixed(1)}" y="${(cy - 6).toFixed(1)}" font-size="10"${right ? ' text-anchor="end"' : ''}>${html(s.benchmark)}</text>`);
  }
  parts.push(legend(models, W - R - 150, T, labelKey));
  parts.push('</svg>');
  return parts.join('');
}

/** Bars: share of samples whose thinking is mostly in the benchmark's language, per (model, benchmark). */
export function languageShareSvg(summaries: readonly EvalSummary[], labelKey?: ModelLabelKey): string {
  // Each entry: its label on one line, the bar below (labels get the full width, so long names are not cut).
  const labelH = 14, barH = 14, gap = 8, L = 4, R = 56, T = 4;
  const W = 480;
  const step = labelH + barH + gap;
  const H = T * 2 + summaries.length * step;
  const models = [...new Set(summaries.map((s) => modelLabel(s.model)))];
  const parts = [`<svg viewBox="0 0 ${W} ${Math.max(H, 40)}" role="img" aria-label="thinking in the target language" data-i18n-aria="report.chart.languageShare">`];
  summaries.forEach((s, i) => {
    const yTop = T + i * step;
    const share = Number.isFinite(s.lang.targetShare) ? s.lang.targetShare : 0;
    const color = PALETTE[models.indexOf(modelLabel(s.model)) % PALETTE.length];
    const key = labelKey?.(modelLabel(s.model));
    const marked = key ? keyAttrs('report.chart.modelOn', { model: { key }, benchmark: s.benchmark, target: s.lang.target }) : '';
    parts.push(`<text x="${L}" y="${yTop + labelH - 3}" font-size="11"${marked}>${html(modelLabel(s.model))} · ${html(s.benchmark)} (${html(s.lang.target)})</text>`);
    parts.push(`<rect x="${L}" y="${yTop + labelH}" width="${W - L - R}" height="${barH}" fill="#8882"/>`);
    parts.push(`<rect x="${L}" y="${yTop + labelH}" width="${((W - L - R) * share).toFixed(1)}" height="${barH}" fill="${color}"/>`);
    parts.push(`<text x="${W - R + 6}" y="${yTop + labelH + barH - 3}" font-size="11">${pct(share)}%</text>`);
  });
  parts.push('</svg>');
  return parts.join('');
}

function legend(models: readonly string[], x: number, y: number, labelKey?: ModelLabelKey): string {
  return models
    .map((m, i) => {
      const key = labelKey?.(m);
      return `<circle cx="${x}" cy="${y + 6 + i * 16}" r="4" fill="${PALETTE[i % PALETTE.length]}"/><text x="${x + 8}" y="${y + 10 + i * 16}" font-size="11"${key ? keyAttrs(key) : ''}>${html(m)}</text>`;
    })
    .join('');
}

export function toHtml(summaries: readonly EvalSummary[], title = 'Evaluation'): string {
  const t = comparisonTable(summaries);
  const head = `<tr><th>Model</th>${t.benchmarks.map((b) => `<th>${html(b)}</th>`).join('')}</tr>`;
  const body = t.models
    .map((m, i) => `<tr><th scope="row">${html(m)}</th>${t.benchmarks.map((_, j) => {
      const s = t.cells[i][j];
      if (!s) return '<td>–</td>';
      return isBest(t, i, j) ? `<td class="best"><b>${pct(s.pass1)}</b></td>` : `<td>${pct(s.pass1)}</td>`;
    }).join('')}</tr>`)
    .join('');
  const details = summaries
    .map((s) => `<tr><td>${html(modelLabel(s.model))}</td><td>${html(s.benchmark)} (${html(s.lang.target)})</td><td>${s.n}</td><td>${s.k}</td><td>${pct(s.pass1)}</td><td>${pct(s.passAtK)}</td><td>${pct(s.majAtK)}</td><td>${pct(s.lang.meanConsistency)}</td><td>${pct(s.lang.targetShare)}</td><td>${pct(s.formatValid)}</td><td>${num(s.meanThinkingTokens)}</td><td>${num(s.meanResponseTokens)}</td></tr>`)
    .join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${html(title)}</title>
<style>
body{font:14px/1.5 system-ui,sans-serif;margin:2rem;color:#1f2937;background:#fff}
table{border-collapse:collapse;margin:1rem 0}th,td{border:1px solid #d1d5db;padding:.3rem .6rem;text-align:right}
th:first-child,td:first-child,td:nth-child(2){text-align:left}td.best{background:#ecfdf5}
.charts{display:flex;flex-wrap:wrap;gap:2rem}.charts figure{margin:0;width:480px}figcaption{font-weight:600}
</style></head><body>
<h1>${html(title)}</h1>
<p>pass@1 (%), averaged over the samples of each problem; the best of each benchmark in bold.</p>
<table id="comparison"><thead>${head}</thead><tbody>${body}</tbody></table>
<div class="charts">
<figure><figcaption>Accuracy vs thinking length</figcaption>${accuracyVsLengthSvg(summaries)}</figure>
<figure><figcaption>Thinking mostly in the benchmark's language</figcaption>${languageShareSvg(summaries)}</figure>
</div>
<h2>Details</h2>
<table id="details"><thead><tr><th>Model</th><th>Benchmark</th><th>Problems</th><th>k</th><th>pass@1</th><th>pass@k</th><th>maj@k</th><th>Lang. consistency</th><th>Mostly in target</th><th>Format valid</th><th>Thinking tokens</th><th>Response tokens</th></tr></thead><tbody>${details}</tbody></table>
</body></html>
`;
}

export interface ReportPaths {
  markdown: string;
  csv: string;
  html: string;
}

/** Writes report.md, report.csv and report.html into `dir`. */
export async function writeReport(dir: string, summaries: readonly EvalSummary[], title?: string): Promise<ReportPaths> {
  if (summaries.length === 0) throw new Error('a report needs at least one finished evaluation');
  await mkdir(dir, { recursive: true });
  const paths = { markdown: join(dir, 'report.md'), csv: join(dir, 'report.csv'), html: join(dir, 'report.html') };
  await writeFileAtomic(paths.markdown, toMarkdown(summaries));
  await writeFileAtomic(paths.csv, toCsv(summaries));
  await writeFileAtomic(paths.html, toHtml(summaries, title));
  return paths;
}
