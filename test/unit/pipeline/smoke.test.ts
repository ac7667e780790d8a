// The demo recipe end to end through the CLI, shrunk to fit the test budget (fewer steps, problems and
// tokens; every stage kept): a first run is interrupted (SIGINT) during SFT once a checkpoint exists and
// stops; the second run skips what finished, resumes SFT from its checkpoint in the same run folder,
// runs every later stage, and prints the --json line of the issue as its last stdout line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { readMetrics } from '../../../main/train/run/index.ts';

const ws = mkdtempSync(join(tmpdir(), 'pipeline-smoke-'));
const recipePath = join(ws, '..', `${ws.split('/').pop()}-smoke.yaml`);

function smokeRecipe(): string {
  const demo = parse(readFileSync('assets/recipes/demo.yaml', 'utf8'));
  demo.name = 'smoke';
  demo.data = { ...demo.data, train: 96, prompts: 16, heldout: 8 };
  demo.sft = { ...demo.sft, maxSteps: 40, batchSize: 8, saveEvery: 5 };
  // The demo's preference (Korean working over English or a hasty wrong line) with enough held-out pairs
  // (12) for the accuracy ≥ 0.9 check to mean something; 8 steps learn it (measured 1.0 from 3).
  demo.pairs = { ...demo.pairs, count: 48 };
  demo.rewardModel = { ...demo.rewardModel, maxSteps: 8, saveEvery: 4, heldOutShare: 0.25 };
  demo.grpo = { ...demo.grpo, steps: 2, saveEvery: 1, rollout: { groupSize: 4, promptsPerStep: 2, maxNewTokens: 40, temperature: 1 } };
  demo.eval = { ...demo.eval, maxNewTokens: 40 };
  return stringify(demo);
}

function cli(args: string[], onStderr?: (text: string, child: ReturnType<typeof spawn>) => void): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bin/saenggak.js', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => {
      stderr += d;
      onStderr?.(stderr, child);
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const sftRun = () => readdirSync(join(ws, 'runs')).find((r) => r.startsWith('smoke-sft-'))!;

test('an interrupted run stops SFT at a checkpoint and records the stop', async () => {
  writeFileSync(recipePath, smokeRecipe());
  let sent = false;
  const result = await cli(['pipeline', 'run', recipePath, '--workspace', ws, '--json'], (text, child) => {
    if (!sent && /sft: step 10\//.test(text)) {
      sent = true;
      child.kill('SIGINT');
    }
  });
  assert.ok(sent, `SFT reached step 10 before the interrupt:\n${result.stderr}`);
  assert.equal(result.code, 130, result.stderr);
  const line = JSON.parse(result.stdout.trim().split('\n').at(-1)!);
  const byName = Object.fromEntries(line.stages.map((s: { name: string; status: string }) => [s.name, s.status]));
  assert.deepEqual(byName, { model: 'finished', data: 'finished', sft: 'stopped', pairs: 'pending', rewardModel: 'pending', grpo: 'pending', eval: 'pending', report: 'pending' });
  const state = JSON.parse(readFileSync(join(ws, 'pipelines', 'smoke', 'state.json'), 'utf8'));
  assert.equal(state.status, 'stopped');
  const run = JSON.parse(readFileSync(join(ws, 'runs', sftRun(), 'run.json'), 'utf8'));
  assert.equal(run.status, 'stopped');
  assert.ok(run.step >= 10 && run.step < 40, `stopped mid-run at step ${run.step}`);
});

test('the rerun resumes SFT from its checkpoint, runs every stage and prints the --json line last', async () => {
  const stoppedAt = JSON.parse(readFileSync(join(ws, 'runs', sftRun(), 'run.json'), 'utf8')).step as number;
  const result = await cli(['pipeline', 'run', recipePath, '--workspace', ws, '--json']);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stderr, /model: unchanged, skipped/);
  assert.match(result.stderr, /sft: resuming run smoke-sft-/);
  // The same run folder continued: its metrics hold each optimizer step once, 1..40.
  const steps = readMetrics(join(ws, 'runs', sftRun(), 'metrics.jsonl')).records.filter((r) => r.split === 'train').map((r) => r.step);
  assert.deepEqual(steps, Array.from({ length: 40 }, (_, i) => i + 1));
  const resumedRun = JSON.parse(readFileSync(join(ws, 'runs', sftRun(), 'run.json'), 'utf8'));
  assert.equal(resumedRun.status, 'finished');
  assert.ok(stoppedAt >= 10, `the first run had reached step ${stoppedAt}`);

  const last = result.stdout.trim().split('\n').at(-1)!;
  const line = JSON.parse(last) as { stages: { name: string; status: string; seconds: number; accuracy?: number }[]; report: string; before: { accuracy: number; lang: number }; after: { accuracy: number; lang: number } };
  assert.deepEqual(Object.keys(line), ['stages', 'report', 'before', 'after']);
  assert.deepEqual(line.stages.map((s) => s.name), ['model', 'data', 'sft', 'pairs', 'rewardModel', 'grpo', 'eval', 'report']);
  for (const s of line.stages) {
    // The reward model's entry carries its held-out pair accuracy (#24 point 10).
    assert.deepEqual(Object.keys(s), s.name === 'rewardModel' ? ['name', 'status', 'seconds', 'accuracy'] : ['name', 'status', 'seconds']);
    assert.ok(s.status === 'finished' || s.status === 'skipped', `${s.name}: ${s.status}`);
    assert.equal(typeof s.seconds, 'number');
  }
  for (const side of [line.before, line.after]) {
    assert.deepEqual(Object.keys(side), ['accuracy', 'lang']);
    assert.ok(side.accuracy >= 0 && side.accuracy <= 1 && side.lang >= 0 && side.lang <= 1);
  }
  assert.ok(existsSync(line.report) && line.report.endsWith('report.html'));
  const html = readFileSync(line.report, 'utf8');
  // The reward model learned the demo's preference: its held-out pair accuracy, recomputed from the
  // scores it wrote for the held-out pairs, is the --json line's and the report's, and at least 0.9.
  const rmAccuracy = line.stages.find((s) => s.name === 'rewardModel')!.accuracy!;
  const rmRun = readdirSync(join(ws, 'runs')).find((r) => r.startsWith('smoke-rm-'))!;
  const heldOut = JSON.parse(readFileSync(join(ws, 'runs', rmRun, 'samples', 'eval-scores.json'), 'utf8')) as { chosen: number[]; rejected: number[] };
  assert.equal(heldOut.chosen.length, 12);
  assert.equal(rmAccuracy, heldOut.chosen.filter((c, i) => c > heldOut.rejected[i]).length / heldOut.chosen.length);
  assert.ok(rmAccuracy >= 0.9, `reward model held-out pair accuracy ${rmAccuracy}`);
  assert.match(html, new RegExp(`<p id="rm-accuracy"[^>]*>Reward model: held-out pair accuracy[^]*${(rmAccuracy * 100).toFixed(1)}%`));
  assert.match(html, /<table id="before-after">/);
  // base → SFT → final: the reader sees what GRPO added over the distilled model.
  // (Each text carries its translation key for the app: data-i18n attributes.)
  assert.match(html, /<th scope="row"[^>]*>before \(base\)<\/th>[^]*<th scope="row"[^>]*>after SFT<\/th>[^]*<th scope="row"[^>]*>after \(final, GRPO\)<\/th>/);
  assert.match(html, /<p id="grpo-gain"[^>]*>GRPO added [+−]\d+\.\d points accuracy/);
  assert.match(html, /<svg/);
  assert.doesNotMatch(html, /(src|href)="https?:/);
  // The before/after numbers are the eval stage's: recompute them from its results file.
  const results = JSON.parse(readFileSync(join(ws, 'pipelines', 'smoke', 'eval', 'results.json'), 'utf8'));
  const base = results.results.find((r: { role: string }) => r.role === 'base').summary;
  const final = results.results.find((r: { role: string }) => r.role === 'grpo').summary;
  assert.deepEqual(line.before, { accuracy: base.pass1, lang: base.lang.meanTargetShare });
  assert.deepEqual(line.after, { accuracy: final.pass1, lang: final.lang.meanTargetShare });
});
