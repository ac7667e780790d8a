// `saenggak train rm` and `saenggak eval rm` through the real entry point: training from a preference
// set imported into the workspace, then RewardBench-style scoring of the saved model (--json shape).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { listEvaluations } from '../../../main/train/rm/results.ts';
import { loadModel } from '../../../main/models/weights.ts';
import { readMetrics } from '../../../main/train/run/index.ts';
import { makeTinyBase, syntheticPreferences, tempDir, writeJsonl } from './fixtures.ts';

const bin = resolve(import.meta.dirname, '..', '..', '..', 'bin', 'saenggak.js');

function saenggak(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [bin, ...args], { env: { ...process.env, SAENGGAK_WORKSPACE: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

test('train rm from a workspace preference set, then eval rm --json on a RewardBench-layout file', async () => {
  const dir = tempDir('cli');
  const base = makeTinyBase(dir, { hidden: 16, layers: 1 });
  const ws = join(dir, 'lab');
  const prefs = writeJsonl(join(dir, 'prefs.jsonl'), [...syntheticPreferences(24, 9), { prompt: 'x', chosen: 'same', rejected: 'same' }]);
  assert.equal((await saenggak(['workspace', 'init', ws])).code, 0);
  const imported = await saenggak(['data', 'import', prefs, '--dataset', 'prefs-v1', '--workspace', ws, '--json']);
  assert.equal(imported.code, 0, imported.stderr);

  const out = join(dir, 'rm-out');
  const trained = await saenggak(['train', 'rm', '--model', base, '--data', 'prefs-v1', '--out', out, '--epochs', '1', '--lr', '1e-3', '--workspace', ws, '--pairs-per-batch', '4', '--json']);
  assert.equal(trained.code, 0, trained.stderr);
  const lines = trained.stdout.trim().split('\n');
  assert.equal(lines.length, 1, 'one JSON line on stdout');
  const summary = JSON.parse(lines[0]);
  assert.equal(summary.status, 'finished');
  assert.equal(summary.output, out);
  assert.equal(summary.data.bad.identical, 1, 'the identical pair is counted, not fatal');
  assert.equal(summary.data.train + summary.data.heldOut, 24);
  assert.match(trained.stderr, /skipped: 1 identical/);
  // traffic (#20), the engine's counters: full fine-tuning carries every param and its two AdamW moments
  // (float32, 12 B a param). On the loop step they cross host↔device once per run of steps, not once per step:
  // at least that much each way, and device→host (where little else goes: losses, metrics, held-out scores)
  // less than one more crossing.
  const params = [...loadModel(out).weights.values()].reduce((n, t) => n + t.shape.reduce((a, b) => a * b, 1), 0);
  const train = readMetrics(join(summary.runDir, 'metrics.jsonl')).records.filter((r) => r.split === 'train');
  let runs = 0;
  for (let i = 0; i < train.length; i += train[i].run_steps as number) runs++;
  assert.equal(train.length, summary.steps);
  assert.ok(summary.steps > 1 && runs < summary.steps, `${summary.steps} steps in ${runs} runs`);
  for (const way of ['hostToDevice', 'deviceToHost'] as const) assert.ok(summary.traffic[way] >= runs * 12 * params, `${way} ${summary.traffic[way]} B for ${runs} runs of ${params} params`);
  assert.ok(summary.traffic.deviceToHost < (runs + 1) * 12 * params, `deviceToHost ${summary.traffic.deviceToHost} B: the state crossed once per run (${runs} runs of ${params} params), not once per step (${summary.steps})`);

  const bench = writeJsonl(join(dir, 'bench.jsonl'), [
    ...syntheticPreferences(6, 1).map((r, i) => ({ prompt: r.prompt, chosen: r.chosen, rejected: r.rejected, subset: i < 3 ? 'alpacaeval-easy' : 'math-prm' })),
    { prompt: 'q', chosen: 'a' },
  ]);
  const evaluated = await saenggak(['eval', 'rm', '--model', out, '--data', bench, '--workspace', ws, '--json']);
  assert.equal(evaluated.code, 0, evaluated.stderr);
  const r = JSON.parse(evaluated.stdout.trim());
  assert.equal(r.n, 6);
  assert.deepEqual(Object.keys(r.sections), ['chat', 'chat_hard', 'safety', 'reasoning']);
  assert.deepEqual(Object.keys(r.per_subset).sort(), ['alpacaeval-easy', 'math-prm']);
  assert.ok(Math.abs(r.sections.chat - r.per_subset['alpacaeval-easy']) < 1e-12);
  assert.equal(r.sections.chat_hard, null);
  assert.ok(Math.abs(r.overall - (r.sections.chat + r.sections.reasoning) / 2) < 1e-12);
  assert.equal(r.skipped.missing_column, 1);
  assert.equal(listEvaluations(ws).length, 1, 'the result is kept for the comparison table');

  const bad = await saenggak(['eval', 'rm', '--model', base, '--data', bench]);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /not a reward model/);
});
