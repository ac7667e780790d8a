// The GRPO ablation: its statistics against hand computation (mean ± sample std, Welch standard error,
// steps to the baseline's accuracy), the section's validation, and the bundled recipe shrunk to seconds
// through the CLI: every arm × seed runs, ablation.json and the report carry the per-arm table, and a rerun
// reads the finished runs instead of training them again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { ablationMarkdown, meanStd, summarizeAblation, type AblationRun } from '../../../main/pipeline/ablation-summary.ts';
import { deepMerge, parseAblationSection } from '../../../main/pipeline/stages/ablation.ts';

const close = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) < 1e-12, `${what}: ${a} vs ${b}`);

function run(arm: string, seed: number, accs: number[], zeroVariance = 0.25): AblationRun {
  return { arm, seed, run: `${arm}-${seed}`, evals: accs.map((accuracy, i) => ({ step: 12 * (i + 1), accuracy, lang: 0.9 })), zeroVarianceShare: zeroVariance, droppedShare: 0 };
}

test('ablation statistics: mean ± sample std over seeds, steps to the baseline, Welch noise rule', () => {
  const runs = [
    run('baseline', 1, [0.3, 0.4, 0.5]),
    run('baseline', 2, [0.3, 0.5, 0.6]),
    run('baseline', 3, [0.4, 0.6, 0.7]),
    run('strong', 1, [0.6, 0.7, 0.8]),
    run('strong', 2, [0.5, 0.7, 0.85]),
    run('strong', 3, [0.7, 0.8, 0.9]),
    run('same', 1, [0.2, 0.5, 0.55]),
    run('same', 2, [0.3, 0.4, 0.65]),
    run('same', 3, [0.1, 0.2, 0.62]),
  ];
  const s = summarizeAblation(runs, 'baseline');
  const by = Object.fromEntries(s.arms.map((a) => [a.arm, a]));
  close(s.baselineAccuracy, 0.6, 'baseline mean');
  close(by.baseline.accuracy.std, 0.1, 'baseline std (n − 1)');
  close(by.strong.accuracy.mean, 0.85, 'strong mean');
  close(by.strong.accuracy.std, 0.05, 'strong std');
  const se = Math.sqrt(0.05 ** 2 / 3 + 0.1 ** 2 / 3);
  close(by.strong.vsBaseline!.standardError, se, 'Welch standard error');
  close(by.strong.vsBaseline!.accuracyDiff, 0.25, 'difference');
  assert.equal(by.strong.vsBaseline!.withinNoise, false, '0.25 > 2 × 0.065');
  assert.match(by.strong.verdict, /beyond noise/);
  // same: 0.55, 0.65, 0.62 → mean 0.6067, within two standard errors of the baseline.
  assert.equal(by.same.vsBaseline!.withinNoise, true);
  assert.match(by.same.verdict, /within noise/);
  // Steps to reach 0.6: strong seeds reach it at 12, 24, 12; baseline seeds 3 at 24, seed 1 never.
  assert.deepEqual(by.strong.stepsToBaseline, [12, 24, 12]);
  close(by.strong.meanStepsToBaseline!, 16, 'mean steps');
  assert.deepEqual(by.baseline.stepsToBaseline, [null, 36, 24]);
  close(by.baseline.zeroVarianceShare.mean, 0.25, 'zero-variance share');
  const md = ablationMarkdown(s);
  assert.match(md, /\| strong \| 85\.0% ± 5\.0% \|/);
  assert.match(md, /Noise rule/);
  assert.throws(() => summarizeAblation(runs, 'missing'), /no run of the baseline arm/);
  assert.throws(() => summarizeAblation([run('baseline', 1, [])], 'baseline'), /no held-out evaluation/);
  assert.deepEqual(meanStd([0.5]), { mean: 0.5, std: 0, n: 1 });
});

test('ablation section: overrides merge key by key; bad sections are refused with the reason', () => {
  assert.deepEqual(deepMerge({ objective: { clip: { epsLow: 0.2, epsHigh: 0.28 }, updateEpochs: 1 }, steps: 36 }, { objective: { clip: { mode: 'gppo' } } }), {
    objective: { clip: { epsLow: 0.2, epsHigh: 0.28, mode: 'gppo' }, updateEpochs: 1 },
    steps: 36,
  });
  const ok = { baseline: 'a', seeds: [1, 2], grpo: {}, arms: { a: {}, b: { steps: 2 } } };
  assert.deepEqual(parseAblationSection(ok).arms, { a: {}, b: { steps: 2 } });
  assert.throws(() => parseAblationSection({ ...ok, baseline: 'c' }), /baseline must name one of the arms/);
  assert.throws(() => parseAblationSection({ ...ok, seeds: [1, 1] }), /seeds must not repeat/);
  assert.throws(() => parseAblationSection({ ...ok, arms: { a: {} } }), /at least two arm/);
  assert.throws(() => parseAblationSection({ ...ok, arms: { 'a b': {}, a: {} } }), /arm name "a b"/);
  assert.throws(() => parseAblationSection({ ...ok, extra: 1 }), /unknown keys extra/);
});

test('the bundled ablation recipe, shrunk, runs every arm × seed and reports them; a rerun trains nothing again', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ablation-'));
  const ws = join(dir, 'ws');
  const recipe = parse(readFileSync('assets/recipes/grpo-ablations.yaml', 'utf8'));
  recipe.name = 'abl';
  recipe.data = { ...recipe.data, train: 64, prompts: 8, heldout: 4 };
  recipe.sft = { ...recipe.sft, maxSteps: 10, batchSize: 8, saveEvery: 10 };
  recipe.ablation.seeds = [1, 2];
  recipe.ablation.grpo = { ...recipe.ablation.grpo, steps: 2, saveEvery: 2, evalEvery: 1, rollout: { groupSize: 2, promptsPerStep: 2, maxNewTokens: 16, temperature: 1 }, objective: { miniBatch: 2 } };
  recipe.ablation.arms = { baseline: {}, gppo: recipe.ablation.arms.gppo, vas: recipe.ablation.arms.vas };
  const path = join(dir, 'recipe.yaml');
  writeFileSync(path, stringify(recipe));
  const cli = () => spawnSync(process.execPath, ['bin/saenggak.js', 'pipeline', 'run', path, '--workspace', ws, '--json'], { encoding: 'utf8' });
  const first = cli();
  assert.equal(first.status, 0, first.stderr);
  const runs = readdirSync(join(ws, 'runs')).filter((r) => r.startsWith('abl-abl-')).sort();
  assert.equal(runs.length, 6, `3 arms × 2 seeds: ${runs}`);
  const { summary } = JSON.parse(readFileSync(join(ws, 'pipelines', 'abl', 'ablation', 'ablation.json'), 'utf8'));
  assert.deepEqual(summary.arms.map((a: { arm: string }) => a.arm), ['baseline', 'gppo', 'vas']);
  for (const a of summary.arms) {
    assert.deepEqual(a.seeds, [1, 2]);
    assert.equal(a.accuracy.n, 2);
    assert.ok(a.accuracy.mean >= 0 && a.accuracy.mean <= 1);
    assert.equal(a.stepsToBaseline.length, 2);
    assert.equal(typeof a.verdict, 'string');
  }
  const report = readFileSync(join(ws, 'pipelines', 'abl', 'report', 'report.md'), 'utf8');
  assert.match(report, /## GRPO ablation/);
  assert.match(report, /\| gppo \|/);
  assert.match(readFileSync(join(ws, 'pipelines', 'abl', 'report', 'report.html'), 'utf8'), /<table id="ablation">/);
  // Samples of a VAS run carry each prompt's Variance Promotion Score.
  const vasRun = runs.find((r) => r.includes('-vas-'))!;
  const sample = JSON.parse(readFileSync(join(ws, 'runs', vasRun, 'samples', 'step-1.jsonl'), 'utf8').split('\n')[0]);
  assert.equal(typeof sample.vps, 'number');
  const mtimes = runs.map((r) => statSync(join(ws, 'runs', r, 'metrics.jsonl')).mtimeMs);
  const second = cli();
  assert.equal(second.status, 0, second.stderr);
  assert.deepEqual(runs.map((r) => statSync(join(ws, 'runs', r, 'metrics.jsonl')).mtimeMs), mtimes, 'finished runs are read, not retrained');
});
