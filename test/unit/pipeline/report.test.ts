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
  assert.deepEqual([...beforeAfterTable.matchAll(/<th scope="row">([^<]+)<\/th>/g)].map((m) => m[1]), ['before (base)', 'after SFT', 'after (final, GRPO)']);
  assert.match(html, /<p id="grpo-gain">GRPO added \+18\.8 points accuracy/);
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
