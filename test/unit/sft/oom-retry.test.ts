// Out-of-memory recovery in SFT (#21). The engine's test hook (SAENGGAK_TEST_OOM_AT_STEP / _ROWS) makes a
// step whose micro-batch has more than R rows fail with onnxruntime's real BFC-arena message. The trainer
// must checkpoint, halve the micro-batch, double gradient accumulation and go on: the retried run's loss
// curve equals (float64, 1e-10) that of a run STARTED with the halved micro-batch and doubled accumulation,
// and differs from a run with only the halved micro-batch (so the comparison can fail). A second
// out-of-memory stops the run with what to change; a run stopped after a retry resumes from the original
// config with the shape that fit. The epoch plan gives every optimizer step the same examples under both
// shapes (packed, unpacked, token-budget packed).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { parse } from 'yaml';
import { runSft, type SftConfigInput } from '../../../main/train/sft/index.ts';
import { StepPlan } from '../../../main/train/sft/steps.ts';
import { sftBatchShape, withBatchShape } from '../../../main/train/sft/batch-shape.ts';
import { RunFolder, readMetrics } from '../../../main/train/run/index.ts';
import { arithmeticProblems } from '../../../main/train/tasks/index.ts';
import { afterOutOfMemory } from '../../../main/devices/oom.ts';
import { makeStudent, writeRows } from './arithmetic-fixture.ts';

const trainLosses = (run: RunFolder) => readMetrics(run.metricsPath).records.filter((r) => r.split === 'train').map((r) => [r.step, r.loss as number] as const);

async function withOom<T>(atStep: number, rows: number, fn: () => Promise<T>): Promise<T> {
  process.env.SAENGGAK_TEST_OOM_AT_STEP = String(atStep);
  process.env.SAENGGAK_TEST_OOM_ROWS = String(rows);
  try {
    return await fn();
  } finally {
    delete process.env.SAENGGAK_TEST_OOM_AT_STEP;
    delete process.env.SAENGGAK_TEST_OOM_ROWS;
  }
}

function assertSameCurve(got: (readonly [number, number])[], expected: (readonly [number, number])[], what: string): void {
  assert.deepEqual(got.map(([s]) => s), expected.map(([s]) => s), `${what}: each step logged once, in order`);
  for (let i = 0; i < expected.length; i++) assert.ok(Math.abs(got[i][1] - expected[i][1]) <= 1e-10, `${what}, step ${i + 1}: ${got[i][1]} vs ${expected[i][1]}`);
}

test('SFT: out of memory → checkpoint, halve the micro-batch, double accumulation; same loss curve as a run started that way', { timeout: 180_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sft-oom-'));
  try {
    makeStudent(join(dir, 'model'), { hiddenSize: 16, numLayers: 1, numHeads: 2, intermediateSize: 32 }, 3);
    writeRows(join(dir, 'train.jsonl'), arithmeticProblems({ count: 40, seed: 5 }));
    const base: SftConfigInput = {
      model: join(dir, 'model'), data: join(dir, 'train.jsonl'), method: { kind: 'full' }, dtype: 'float64', packing: false,
      maxSeqLength: 256, maxSteps: 6, learningRate: 5e-3, warmupSteps: 2, evalSplit: 0, saveEvery: 100, provider: 'cpu', seed: 9,
      // One step per run of the loop step, so the hook's "from step N" fails exactly step N (a run fails whole).
      stepsPerRun: 1,
    };
    const workspace = join(dir, 'ws');
    const lines: string[] = [];

    // Micro-batches of 4 rows run out of memory from step 3 on; 2 rows fit.
    const retried = await withOom(3, 2, () => runSft({ ...base, name: 'retried', batchSize: 4, gradAccumulation: 1 }, { workspace, log: (l) => lines.push(l) }));
    const halved = await runSft({ ...base, name: 'halved', batchSize: 2, gradAccumulation: 2 }, { workspace });
    const smaller = await runSft({ ...base, name: 'smaller', batchSize: 2, gradAccumulation: 1 }, { workspace });
    assert.equal(retried.summary.status, 'finished');
    assert.equal(retried.summary.steps, 6);

    const run = RunFolder.inWorkspace(workspace, 'retried');
    assertSameCurve(trainLosses(run), trainLosses(RunFolder.inWorkspace(workspace, 'halved')), 'retried vs started halved');
    const other = trainLosses(RunFolder.inWorkspace(workspace, 'smaller'));
    assert.ok(Math.abs(other[5][1] - trainLosses(run)[5][1]) > 1e-4, 'a run with only the smaller micro-batch (half the effective batch) gives another curve');
    assert.ok(Math.abs(retried.summary.loss - halved.summary.loss) <= 1e-10 && Math.abs(retried.summary.loss - smaller.summary.loss) > 1e-6);

    // Recorded: run.json, the metrics log, the run log; config.yaml now holds the shape that fit.
    const info = run.info();
    assert.equal(info.recoveries?.length, 1);
    assert.match(info.recoveries![0], /micro-batch 4 → 2 and gradient accumulation 1 → 2 \(same effective batch 4\)/);
    const event = readMetrics(run.metricsPath).records.filter((r) => r.split === 'oom');
    assert.deepEqual(event.map((r) => [r.step, r.micro_batch, r.grad_accumulation]), [[2, 2, 2]], 'one oom point after the last finished step');
    assert.ok(lines.some((l) => l.includes('step 3: out of memory on cpu')), lines.join('\n'));
    const saved = parse(readFileSync(run.configPath, 'utf8'));
    assert.deepEqual([saved.batchSize, saved.gradAccumulation], [2, 2]);
    assert.equal(JSON.parse(readFileSync(join(run.checkpointsDir, 'latest.json'), 'utf8')).step, 2, 'checkpointed the last finished step before retrying');

    // A second out of memory (1 row already too many) stops with what to change.
    await assert.rejects(
      withOom(2, 1, () => runSft({ ...base, name: 'twice', batchSize: 4, gradAccumulation: 1 }, { workspace })),
      /out of memory on cpu again after halving the micro-batch to 2: lower batchSize.*Failed to allocate memory/,
    );
    const twice = RunFolder.inWorkspace(workspace, 'twice').info();
    assert.equal(twice.status, 'failed');
    assert.match(twice.error!, /again after halving/);
    assert.equal(twice.step, 1);

    // Stopped after a retry, then resumed from the ORIGINAL config (batchSize 4 × 1): continues at 2 × 2.
    const controller = new AbortController();
    const stopped = await withOom(2, 2, () =>
      runSft({ ...base, name: 'resumed', batchSize: 4, gradAccumulation: 1 }, { workspace, signal: controller.signal, onProgress: (p) => p.step === 4 && controller.abort() }),
    );
    assert.equal(stopped.summary.status, 'stopped');
    const resumed = await runSft({ ...base, name: 'resumed', batchSize: 4, gradAccumulation: 1 }, { workspace, resume: true });
    assert.equal(resumed.summary.status, 'finished');
    assertSameCurve(trainLosses(RunFolder.inWorkspace(workspace, 'resumed')), trainLosses(RunFolder.inWorkspace(workspace, 'halved')), 'stopped after the retry and resumed');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the halved shape gives every optimizer step the same examples (packed, unpacked, packed token budget)', () => {
  const examples = Array.from({ length: 37 }, (_, i) => {
    const n = 5 + ((i * 7) % 23);
    return { id: `e${i}`, ids: Array.from({ length: n }, (_, t) => t + 1), targets: Array.from({ length: n }, (_, t) => (t > 2 ? 1 : 0)) };
  });
  const cases = [
    { packing: false, batchUnit: 'sequences' as const, batchSize: 4, gradAccumulation: 1 },
    { packing: true, batchUnit: 'sequences' as const, batchSize: 2, gradAccumulation: 3 },
    { packing: true, batchUnit: 'tokens' as const, batchSize: 4 * 64, gradAccumulation: 2 },
  ];
  for (const c of cases) {
    const config = { ...c, maxSeqLength: 64, seed: 4 };
    const shape = sftBatchShape(config)!;
    const decision = afterOutOfMemory(shape, 1);
    assert.equal(decision.action, 'retry');
    const next = withBatchShape(config, (decision as { to: { microBatch: number; accumulation: number } }).to);
    const a = new StepPlan(examples, { ...config, epochs: 2 });
    const b = new StepPlan(examples, { ...next, epochs: 2 });
    assert.equal(b.totalSteps, a.totalSteps, `${JSON.stringify(c)}: same number of steps`);
    for (let s = 1; s <= a.totalSteps; s++) {
      const ea = a.at(s).microBatches.flat().flatMap((r) => r.examples);
      const eb = b.at(s).microBatches.flat().flatMap((r) => r.examples);
      assert.deepEqual(eb, ea, `${JSON.stringify(c)}: step ${s}`);
      assert.equal(b.at(s).microBatches.length, Math.min(2 * c.gradAccumulation, b.at(s).microBatches.length));
      assert.ok(b.at(s).microBatches.every((m) => m.length <= shape.microBatch / 2), 'micro-batches of half the rows');
    }
  }
  // An unpacked token budget regroups examples by length: no shape to halve.
  assert.equal(sftBatchShape({ packing: false, batchUnit: 'tokens', batchSize: 512, maxSeqLength: 64, gradAccumulation: 1 }), null);
});
