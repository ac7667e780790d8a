// Cancel, checkpoint and resume give the same run as an uninterrupted one; LoRA trains adapters and the
// score head only, and is saved merged into a full sequence-classification folder.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadModel } from '../../../main/models/weights.ts';
import { readMetrics } from '../../../main/train/run/index.ts';
import { runRewardModelTraining } from '../../../main/train/rm/trainer.ts';
import { makeTinyBase, syntheticPreferences, tempDir, writeJsonl } from './fixtures.ts';

const dir = tempDir('resume');
const base = makeTinyBase(dir, { hidden: 16, layers: 1 });
const data = writeJsonl(join(dir, 'prefs.jsonl'), syntheticPreferences(40, 5));
const workspace = join(dir, 'ws');
const common = { model: base, data, pairsPerBatch: 4, maxSteps: 6, learningRate: 1e-3, heldOutShare: 0.1, saveEvery: 0, evalEvery: 0, dtype: 'float64' as const };

const trainLosses = (runDir: string) => readMetrics(join(runDir, 'metrics.jsonl')).records.filter((r) => r.split === 'train').map((r) => r.loss as number);

test('a cancelled run saves a checkpoint, ends stopped, and resumes to the uninterrupted result', async () => {
  const straight = await runRewardModelTraining({ ...common, name: 'straight' }, { workspace });
  assert.equal(straight.summary.steps, 6);

  const controller = new AbortController();
  // stepsPerRun 1: a stop takes effect where a run of the loop step ends; one step per run makes that step 3.
  const first = await runRewardModelTraining({ ...common, name: 'cut', stepsPerRun: 1 }, { workspace, signal: controller.signal, onProgress: (p) => p.step === 3 && controller.abort() });
  assert.equal(first.summary.status, 'stopped');
  assert.equal(first.output, '');
  assert.equal(JSON.parse(readFileSync(join(first.runDir, 'run.json'), 'utf8')).status, 'stopped');
  assert.equal(JSON.parse(readFileSync(join(first.runDir, 'checkpoints', 'latest.json'), 'utf8')).step, 3);
  await assert.rejects(runRewardModelTraining({ ...common, name: 'cut' }, { workspace }), /already exists/);
  // A changed trajectory config is refused on resume, and the stopped run stays as it was.
  await assert.rejects(runRewardModelTraining({ ...common, name: 'cut', learningRate: 5e-3 }, { workspace, resume: true }), /config/i);
  assert.equal(JSON.parse(readFileSync(join(first.runDir, 'run.json'), 'utf8')).status, 'stopped');

  const resumed = await runRewardModelTraining({ ...common, name: 'cut' }, { workspace, resume: true });
  assert.equal(resumed.summary.status, 'finished');
  const a = trainLosses(straight.runDir);
  const b = trainLosses(resumed.runDir);
  assert.equal(b.length, 6, 'metrics hold one curve (steps 1–6), not two');
  a.forEach((v, i) => assert.ok(Math.abs(v - b[i]) < 1e-9, `step ${i + 1}: ${v} vs ${b[i]}`));
  const wa = loadModel(straight.output).weights.get('score.weight')!.data as Float32Array;
  const wb = loadModel(resumed.output).weights.get('score.weight')!.data as Float32Array;
  wa.forEach((v, i) => assert.ok(Math.abs(v - wb[i]) < 1e-6));
  await assert.rejects(runRewardModelTraining({ ...common, name: 'cut' }, { workspace, resume: true }), /already finished/);
});

test('LoRA trains adapters and the score head; the saved folder has them merged', async () => {
  const result = await runRewardModelTraining({ ...common, name: 'lora', method: { kind: 'lora', r: 4, alpha: 8, dropout: 0.1 }, learningRate: 1e-2, maxSteps: 3 }, { workspace });
  const before = loadModel(base).weights;
  const after = loadModel(result.output).weights;
  const same = (name: string) => (before.get(name)!.data as Float32Array).every((v, i) => v === after.get(name)!.data[i]);
  assert.ok(same('model.embed_tokens.weight'), 'embeddings are not a LoRA target: unchanged');
  assert.ok(same('model.norm.weight'));
  assert.ok(!same('model.layers.0.self_attn.q_proj.weight'), 'q_proj carries the merged adapter');
  assert.ok(after.has('score.weight'));
  assert.equal(result.summary.steps, 3);
});
