// The report's before/after table shows base → SFT → final, so a reader sees what GRPO added on top of
// the distilled model (and not only that the final model beats a random-init base).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { beforeAfter, reportHtml, reportMarkdown } from '../../../main/pipeline/report.ts';
import type { EvalResults, ModelRole } from '../../../main/pipeline/stages/eval.ts';
import type { EvalSummary } from '../../../main/eval/types.ts';

function summary(model: string, pass1: number, lang: number): EvalSummary {
  return {
    name: `${model}-heldout`, model, benchmark: 'heldout', n: 64, k: 1, pass1, passAtK: pass1, passAt: { 1: pass1 }, majAtK: pass1,
    lang: { target: 'ko', meanConsistency: lang, targetShare: lang, meanTargetShare: lang },
    formatValid: 1, meanThinkingTokens: 40, meanResponseTokens: 55, seconds: 1, generationSeconds: 1, verificationSeconds: 0, generatedSamples: 64,
  };
}

function results(scores: Partial<Record<ModelRole, [number, number]>>): EvalResults {
  const roles = Object.keys(scores) as ModelRole[];
  return {
    models: roles.map((role) => ({ role, path: `/m/${role}` })),
    benchmarks: [{ name: 'heldout', source: '/d/heldout.jsonl' }],
    results: roles.map((role) => ({ role, benchmark: 'heldout', summary: summary(`/m/${role}`, ...scores[role]!) })),
  };
}

test('with a GRPO model, the before/after table has base, SFT and final rows and states what GRPO added', () => {
  const r = results({ base: [0, 0], sft: [0.375, 0.5], grpo: [0.5625, 0.875] });
  assert.deepEqual(beforeAfter(r), { before: { accuracy: 0, lang: 0 }, sft: { accuracy: 0.375, lang: 0.5 }, after: { accuracy: 0.5625, lang: 0.875 }, benchmark: 'heldout' });
  const md = reportMarkdown('t', [], r);
  const table = md.slice(md.indexOf('## Before / after'), md.indexOf('## Every model'));
  assert.match(table, /\| before \(base\) \| 0\.0% \| 0\.0% \|\n\| after SFT \| 37\.5% \| 50\.0% \|\n\| after \(final, GRPO\) \| 56\.3% \| 87\.5% \|/);
  assert.match(table, /GRPO added \+18\.8 points accuracy and \+37\.5 points target-language share over the SFT model/);
  const html = reportHtml('t', [], r);
  const beforeAfterTable = html.slice(html.indexOf('<table id="before-after">'), html.indexOf('</table>', html.indexOf('<table id="before-after">')));
  assert.deepEqual([...beforeAfterTable.matchAll(/<th scope="row"[^>]*>([^<]+)<\/th>/g)].map((m) => m[1]), ['before (base)', 'after SFT', 'after (final, GRPO)']);
  assert.match(html, /<p id="grpo-gain"[^>]*>GRPO added \+18\.8 points accuracy/);
});

test('a GRPO model that loses accuracy shows a negative difference', () => {
  const md = reportMarkdown('t', [], results({ base: [0, 0], sft: [0.5, 0.5], grpo: [0.25, 0.75] }));
  assert.match(md, /GRPO added −25\.0 points accuracy and \+25\.0 points/);
});

test('without GRPO, SFT is the final model and no SFT row or GRPO line is added', () => {
  const r = results({ base: [0.1, 0.2], sft: [0.4, 0.6] });
  assert.deepEqual(beforeAfter(r), { before: { accuracy: 0.1, lang: 0.2 }, sft: null, after: { accuracy: 0.4, lang: 0.6 }, benchmark: 'heldout' });
  const md = reportMarkdown('t', [], r);
  const table = md.slice(md.indexOf('## Before / after'), md.indexOf('## Every model'));
  assert.doesNotMatch(table, /after SFT|GRPO added/);
  assert.match(table, /\| before \(base\) \| 10\.0% \| 20\.0% \|\n\| after \(final\) \| 40\.0% \| 60\.0% \|/);
});

test("the reward model's held-out pair accuracy is stated in both formats; every text the app translates carries its key", () => {
  const stages = [
    { name: 'pairs' as const, status: 'finished' as const, seconds: 0.1, summary: { pairs: 256 } },
    { name: 'rewardModel' as const, status: 'finished' as const, seconds: 9.5, summary: { accuracy: 25 / 26, heldOutPairs: 26, trainAccuracy: 1 } },
  ];
  const r = results({ base: [0, 0], sft: [0.375, 0.5], grpo: [0.5625, 0.875] });
  assert.match(reportMarkdown('t', stages, r), /Reward model: held-out pair accuracy 96\.2% \(26 pairs\)/);
  const html = reportHtml('t', stages, r);
  const line = /<p id="rm-accuracy" data-i18n="report\.rmAccuracy" data-i18n-args="([^"]*)">Reward model: held-out pair accuracy 96\.2% \(26 pairs\)/.exec(html);
  assert.ok(line, 'the held-out pair accuracy paragraph');
  assert.deepEqual(JSON.parse(line[1].replace(/&quot;/g, '"')), { accuracy: '96.2%', pairs: 26 });
  // Without a reward-model stage (or without held-out pairs) there is no such line.
  assert.doesNotMatch(reportHtml('t', [{ ...stages[1], summary: { trainAccuracy: 1 } }], r), /rm-accuracy/);
  // Stage names, statuses, headings, table heads, chart captions and SVG labels: all marked.
  const keys = [...html.matchAll(/data-i18n="([^"]+)"/g)].map((m) => m[1]);
  for (const key of ['report.stage.rewardModel', 'report.status.finished', 'report.stages', 'report.beforeAfter', 'report.grpoGain', 'report.chart.beforeAfter', 'report.chart.accuracyOf', 'report.role.grpo', 'report.chart.thinkingTokens']) {
    assert.ok(keys.includes(key), key);
  }
  assert.ok(keys.every((k) => k.startsWith('report.')), keys.join());
});
