// The one trainer contract (main/train/shared/entry.ts, loaded by kind from main/train/registry.ts): SFT,
// reward-model and GRPO training driven through the same `train({config, data, onStep, signal})` on tiny
// models. Each config names a data file that does not exist, so a run that finishes proves `data` replaced
// it; each returns the RunResult shape with one onStep per optimizer step; an abort from onStep after the
// first step ends the run 'stopped' with a checkpoint and no output. Also: the shared settings (TrainerBase)
// read from each trainer's own spelling, and the schedule they give.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { learningRateAt } from '../../../main/train/run/index.ts';
import { loadTrainer, type RunResult, type StepReport, type TrainerKind } from '../../../main/train/registry.ts';
import { scheduleFor } from '../../../main/train/shared/config-base.ts';
import { arithmeticProblems, arithmeticRow } from '../../../main/train/tasks/index.ts';
import { makeTinyBase, syntheticPreferences, writeJsonl } from '../rm/fixtures.ts';

const dir = mkdtempSync(join(tmpdir(), 'trainer-entry-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
const model = makeTinyBase(dir, { hidden: 16, layers: 1 });
const rows = writeJsonl(join(dir, 'rows.jsonl'), arithmeticProblems({ count: 24, seed: 3 }).map(arithmeticRow));
const pairs = writeJsonl(join(dir, 'pairs.jsonl'), syntheticPreferences(24, 5).map(({ kind: _k, ...p }) => p));
const missing = join(dir, 'missing.jsonl');
const STEPS = 3;

const configs: Record<TrainerKind, (name: string) => Record<string, unknown>> = {
  // stepsPerRun 1: a stop takes effect when a run of the loop step ends; one step per run makes that step 1.
  sft: (name) => ({ name, model, data: missing, maxSeqLength: 256, batchSize: 4, maxSteps: STEPS, evalSplit: 0, evalEvery: 0, saveEvery: 0, provider: 'cpu', stepsPerRun: 1 }),
  rm: (name) => ({ name, model, data: missing, maxLength: 256, pairsPerBatch: 4, maxSteps: STEPS, heldOutShare: 0.2, evalEvery: 0, saveEvery: 0, stepsPerRun: 1 }),
  grpo: (name) => ({ name, model, prompts: { path: missing }, method: { kind: 'lora', r: 4, alpha: 8 }, rollout: { groupSize: 2, promptsPerStep: 2, maxNewTokens: 8 }, steps: STEPS, saveEvery: 100, provider: 'cpu' }),
};
const dataFor: Record<TrainerKind, string> = { sft: rows, rm: pairs, grpo: rows };

function assertShape(r: RunResult, kind: TrainerKind, name: string): void {
  assert.equal(r.kind, kind);
  assert.equal(r.run, name);
  assert.ok(statSync(r.runDir).isDirectory(), `${kind}: runDir ${r.runDir} exists`);
  assert.equal(r.totalSteps, STEPS);
  for (const [k, v] of Object.entries(r.summary)) assert.ok((typeof v === 'number' && Number.isFinite(v)) || typeof v === 'string', `${kind}: summary.${k} is a finite number or a string (${v})`);
  assert.ok(r.details && typeof r.details === 'object', `${kind}: details carry the trainer's own summary`);
}

for (const kind of ['sft', 'rm', 'grpo'] as const) {
  test(`${kind} through the one entry: data replaces the config's source, one onStep per step, RunResult; abort after step 1 stops with a checkpoint`, { timeout: 600_000 }, async () => {
    const trainer = await loadTrainer(kind);
    assert.equal(trainer.kind, kind);
    assert.ok(trainer.schema.safeParse(configs[kind]('x')).success, `${kind}: the registry's schema accepts the trainer's own config`);
    const workspace = join(dir, `ws-${kind}`);

    const steps: StepReport[] = [];
    // SFT and GRPO take a held-out source too (SFT: evalSplit, GRPO: heldOut); RM holds out a share and refuses one.
    const heldOut = kind === 'rm' ? undefined : join(dir, 'rows.jsonl');
    const done = await trainer.train({ config: configs[kind]('whole'), data: { source: dataFor[kind], heldOut }, onStep: (s) => steps.push(s), workspace, baseDir: dir });
    assertShape(done, kind, 'whole');
    assert.equal(done.status, 'finished');
    assert.equal(done.steps, STEPS);
    assert.ok(existsSync(join(done.output, 'config.json')), `${kind}: the output folder holds the trained model`);
    assert.deepEqual(steps.map((s) => [s.step, s.totalSteps]), [[1, STEPS], [2, STEPS], [3, STEPS]]);
    for (const s of steps) assert.ok(Object.keys(s.metrics).length > 0 && Object.values(s.metrics).every((v) => typeof v === 'number'), `${kind}: step ${s.step} reports numbers`);
    if (kind === 'sft') assert.equal(typeof done.summary.evalLoss, 'number', 'SFT evaluated on the held-out source');
    if (kind === 'grpo') assert.equal(typeof done.summary.accuracy, 'number', 'GRPO evaluated on the held-out source');
    if (kind === 'rm') await assert.rejects(trainer.train({ config: configs.rm('refused'), data: { source: pairs, heldOut: pairs }, workspace }), /held-out source is not supported/);

    const controller = new AbortController();
    const seen: number[] = [];
    const stopped = await trainer.train({
      config: configs[kind]('cut'),
      data: { source: dataFor[kind] },
      onStep: (s) => {
        seen.push(s.step);
        controller.abort();
      },
      signal: controller.signal,
      workspace,
      baseDir: dir,
    });
    assertShape(stopped, kind, 'cut');
    assert.equal(stopped.status, 'stopped');
    assert.equal(stopped.output, '');
    assert.equal(stopped.steps, 1, `${kind}: the abort heard at step 1 ends the run after step 1`);
    assert.deepEqual(seen, [1]);
    assert.ok(readdirSync(join(stopped.runDir, 'checkpoints')).length > 0, `${kind}: a stopped run leaves a checkpoint to resume from`);
  });
}

test('the shared settings read each trainer’s own spelling; the schedule is warmup steps, else the ratio of the run', async () => {
  const [sft, rm, grpo] = await Promise.all([loadTrainer('sft'), loadTrainer('rm'), loadTrainer('grpo')]);
  const s = sft.base({ model: 'm', data: 'd', learningRate: 2e-4, warmupRatio: 0.25, beta2: 0.95, evalSplit: 0.1, precision: 'bf16' });
  assert.deepEqual(s.optimizer, { learningRate: 2e-4, weightDecay: 0, beta1: 0.9, beta2: 0.95, maxGradNorm: 1 });
  assert.deepEqual(s.heldOut, { share: 0.1 });
  assert.equal(s.precision, 'bf16');
  const r = rm.base({ model: 'm', data: 'd', heldOutShare: 0, maxGradNorm: null });
  assert.equal(r.heldOut, null);
  assert.equal(r.optimizer.maxGradNorm, null);
  assert.equal(r.device.provider, 'cpu', 'RM runs on the CPU unless told');
  const g = grpo.base({ model: 'm', prompts: { path: 'p' }, heldOut: { dataset: 'h' }, optimization: { learningRate: 3e-6, schedule: { warmupSteps: 4, decay: 'cosine' } } });
  assert.equal(g.optimizer.learningRate, 3e-6);
  assert.deepEqual(g.heldOut, { source: 'h' });
  assert.equal(g.method.kind, 'lora');
  assert.throws(() => grpo.base({ model: 'm' }), /prompts/);
  // Memory shapes for the planner: GRPO's rows per update are miniBatch, else promptsPerStep × groupSize.
  assert.equal(grpo.memoryShape({ model: 'm', prompts: { path: 'p' }, rollout: { promptsPerStep: 3, groupSize: 4, maxNewTokens: 100 } }).sequences, 12);
  assert.deepEqual(
    grpo.memoryShape({ model: 'm', prompts: { path: 'p' }, rollout: { promptsPerStep: 3, groupSize: 4, maxNewTokens: 100 }, objective: { miniBatch: 6 }, method: { kind: 'full' } }),
    { sequences: 6, seqLength: 256 + 100, loraRank: undefined, checkpointing: false, accumulation: false, scorer: false, runner: 'loop' },
  );
  // The step runner the planner counts: the loop by default, per step for fp16 (its loss scale is decided on the host).
  assert.equal(sft.memoryShape({ model: 'm', data: 'd', precision: 'fp16' }).runner, 'per-step');
  assert.equal(sft.memoryShape({ model: 'm', data: 'd', stepRunner: 'per-step' }).runner, 'per-step');
  assert.equal(sft.memoryShape({ model: 'm', data: 'd', batchUnit: 'tokens', batchSize: 4096, maxSeqLength: 1024 }).sequences, 4, 'a token budget holds batchSize / maxSeqLength rows');
  assert.deepEqual(rm.memoryShape({ model: 'm', data: 'd', pairsPerBatch: 5, maxLength: 300, method: { kind: 'lora', r: 8 } }), { sequences: 10, seqLength: 300, loraRank: 8, checkpointing: false, accumulation: false, scorer: true, runner: 'loop' });
  // 8 steps: SFT's warmupRatio 0.25 is 2 warmup steps (step 1 at half the peak); GRPO's 4 steps are 4 (step 1 at a quarter).
  assert.equal(learningRateAt(1, 8, scheduleFor(s, 8)), 2e-4 / 2);
  assert.equal(learningRateAt(1, 8, scheduleFor(g, 8)), 3e-6 / 4);
  assert.equal(learningRateAt(8, 8, scheduleFor(g, 8)), 0, 'cosine decays to the floor 0 at the last step');
});
