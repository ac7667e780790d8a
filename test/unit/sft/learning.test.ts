// The learning test: a tiny student (qwen2-style, hidden 64, 4 layers, compact character-level
// tokenizer) distilled on the Korean two-step arithmetic traces (thinking in <think>…</think>, then
// \boxed{answer}) gains greedy accuracy on held-out questions it never saw, verified by the math reward
// (rewards/verifyResponse). Everything runs through runSft: chat template, assistant-only loss,
// packing, AdamW with warmup + cosine decay, eval split, HF checkpoint output.
//
// Measured with exactly this config (2000 steps at lr 3e-3, eval loss 0.0010, ~6 min on one of 2 busy cores): 0% → 98.9%
// greedy accuracy on the 87 questions here that never occur in training (the issue asks for ≥ 90%). At lr 1e-2
// the run was chaotic: float rounding alone (padding a micro-batch to 224 instead of 256 tokens, masked, same
// loss to 1e-6 for 30 steps) moved the result between 96% and 70%; at 3e-3 it is not on that edge. A 2-layer
// student reached 81.5%: its errors were two-digit subtractions (11 − 5 → 13).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { runSft } from '../../../main/train/sft/index.ts';
import { arithmeticProblems } from '../../../main/train/tasks/index.ts';
import { greedyAccuracy, makeStudent, writeRows } from './arithmetic-fixture.ts';

const TRAIN = 3000;
const HELD_OUT = 400;

test('a tiny student learns Korean multi-step arithmetic: unseen-question accuracy < 10% → ≥ 90%', { timeout: 900_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sft-learn-'));
  try {
    const modelDir = join(dir, 'model');
    makeStudent(modelDir, { hiddenSize: 64, numLayers: 4, numHeads: 4, intermediateSize: 128 }, 0);
    const problems = arithmeticProblems({ count: TRAIN + HELD_OUT, seed: 1 });
    const trainIds = new Set(problems.slice(0, TRAIN).map((p) => p.prompt));
    const heldOut = problems.slice(TRAIN).filter((p) => !trainIds.has(p.prompt)); // unseen questions only
    writeRows(join(dir, 'train.jsonl'), problems.slice(0, TRAIN));

    const before = await greedyAccuracy(modelDir, heldOut);
    assert.ok(before < 0.1, `accuracy before training ${before}`);
    const result = await runSft(
      { model: modelDir, data: join(dir, 'train.jsonl'), maxSeqLength: 256, batchSize: 8, maxSteps: 2000, learningRate: 3e-3, warmupSteps: 30, weightDecay: 0, evalSplit: 0.05, evalEvery: 0, saveEvery: 0, provider: 'cpu', seed: 1 },
      { workspace: join(dir, 'ws') },
    );
    const after = await greedyAccuracy(result.output, heldOut);
    console.log(`held-out greedy accuracy: ${(100 * before).toFixed(1)}% → ${(100 * after).toFixed(1)}% on ${heldOut.length} problems; final loss ${result.summary.loss.toFixed(4)}, eval loss ${result.summary.evalLoss!.toFixed(4)}, packing ${(100 * result.summary.packingEfficiency).toFixed(1)}%`);
    assert.ok(after >= 0.9, `accuracy after training ${after}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
