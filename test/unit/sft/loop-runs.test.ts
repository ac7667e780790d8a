// SFT on the loop step (#20): optimizer steps go to onnxruntime in runs of several steps (stepsPerRun),
// each run one session.run. The run must be the same training as one step per run: float64, LoRA with
// dropout (masks drawn step by step, micro-batch by micro-batch), gradient accumulation, unpacked rows of
// different lengths (no padding across micro-batches), runs cut at evaluations and checkpoints. Checked
// against the per-step runner (one session.run per micro-batch), an independent path through the same graphs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { readSafetensors } from '../../../main/engine/safetensors.ts';
import { runSft, type SftConfigInput } from '../../../main/train/sft/index.ts';
import { RunFolder, readMetrics } from '../../../main/train/run/index.ts';
import { runEnd, stepsPerRun } from '../../../main/train/shared/step-runs.ts';
import { arithmeticProblems } from '../../../main/train/tasks/index.ts';
import { makeStudent, writeRows } from './arithmetic-fixture.ts';

const records = (run: RunFolder, split: string) => readMetrics(run.metricsPath).records.filter((r) => r.split === split);

test('SFT in runs of 3 steps (loop) = one micro-batch per run (per-step): losses, eval losses and the adapter within 1e-12 (float64)', { timeout: 180_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sft-loop-'));
  try {
    makeStudent(join(dir, 'model'), { hiddenSize: 16, numLayers: 2, numHeads: 2, intermediateSize: 32 }, 3);
    writeRows(join(dir, 'train.jsonl'), arithmeticProblems({ count: 60, seed: 5 }));
    const base: SftConfigInput = {
      model: join(dir, 'model'), data: join(dir, 'train.jsonl'), dtype: 'float64', packing: false,
      method: { kind: 'lora', r: 4, alpha: 8, dropout: 0.1, targetModules: ['q_proj', 'v_proj', 'down_proj'] },
      maxSeqLength: 256, batchSize: 2, gradAccumulation: 2, maxSteps: 11, learningRate: 5e-3, warmupSteps: 3,
      evalSplit: 0.1, evalEvery: 4, saveEvery: 5, provider: 'cpu', seed: 9,
    };
    const workspace = join(dir, 'ws');
    const loop = await runSft({ ...base, name: 'loop', stepRunner: 'loop', stepsPerRun: 3 }, { workspace });
    const perStep = await runSft({ ...base, name: 'per-step', stepRunner: 'per-step' }, { workspace });
    const a = RunFolder.inWorkspace(workspace, 'loop');
    const b = RunFolder.inWorkspace(workspace, 'per-step');

    // Runs of at most 3 steps, cut at the evaluation (4, 8) and the checkpoint (5, 10): 1–3, 4, 5, 6–8, 9–10, 11.
    assert.deepEqual(records(a, 'train').map((r) => r.run_steps), [3, 3, 3, 1, 1, 3, 3, 3, 2, 2, 1]);
    assert.deepEqual(records(b, 'train').map((r) => r.run_steps), new Array(11).fill(1));
    for (const split of ['train', 'eval']) {
      const got = records(a, split);
      const want = records(b, split);
      assert.deepEqual(got.map((r) => r.step), want.map((r) => r.step), `${split}: the same steps`);
      got.forEach((r, i) => assert.ok(Math.abs((r.loss as number) - (want[i].loss as number)) <= 1e-12, `${split} step ${r.step}: ${r.loss} vs ${want[i].loss}`));
    }
    const la = readSafetensors(join(loop.output, 'adapter_model.safetensors')).tensors;
    const lb = readSafetensors(join(perStep.output, 'adapter_model.safetensors')).tensors;
    assert.deepEqual([...la.keys()].sort(), [...lb.keys()].sort());
    let moved = 0;
    for (const [name, t] of la) {
      const u = lb.get(name)!;
      for (let i = 0; i < t.data.length; i++) {
        assert.ok(Math.abs(Number(t.data[i]) - Number(u.data[i])) <= 1e-6, `${name}[${i}]`); // saved as float32
        moved = Math.max(moved, Math.abs(Number(t.data[i])));
      }
    }
    assert.ok(moved > 0, 'the adapter trained');

    // The loop moved the LoRA state once per run, the per-step runner once per micro-batch (and per update).
    const traffic = (run: RunFolder) => records(run, 'train').reduce((n, r) => n + (r.traffic_d2h as number), 0);
    assert.ok(traffic(a) * 3 < traffic(b), `loop ${traffic(a)} B vs per-step ${traffic(b)} B device→host`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("stepsPerRun 'auto' sizes runs by compute; runEnd cuts at the first boundary", () => {
  assert.equal(stepsPerRun(5, 1e15), 5, 'a number is taken as it is');
  assert.equal(stepsPerRun('auto', 1e15), 1, 'a step over the budget runs alone');
  assert.equal(stepsPerRun('auto', 1e6), 32, 'tiny steps: at most 32 per run');
  assert.equal(stepsPerRun('auto', 5e10), 4);
  assert.equal(runEnd(1, 100, 8, () => false), 8);
  assert.equal(runEnd(1, 5, 8, () => false), 5, 'never past the last step');
  assert.equal(runEnd(3, 100, 8, (s) => s % 4 === 0), 4, 'ends at an evaluation or checkpoint');
  assert.equal(runEnd(5, 100, 8, (s) => s % 4 === 0), 8);
});
