// The runner's bookkeeping with stand-in stages: skip when the config and inputs are unchanged, rerun a
// changed stage and everything after it, resume an interrupted stage in the same run folder, and say
// clearly when a stage's implementation is missing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parsePipelineRecipe, type PipelineRecipe } from '../../../main/pipeline/recipe.ts';
import { runPipeline } from '../../../main/pipeline/run.ts';
import { readPipelineState, statePath } from '../../../main/pipeline/state.ts';
import { StageStoppedError, StageUnavailableError, type StageDefinition } from '../../../main/pipeline/stage.ts';
import type { StageName } from '../../../main/pipeline/stage-names.ts';

/** Stand-in stages that write a file per stage and count their runs; "sft" checkpoints every step. */
function fakeStages(calls: Record<string, number>, sftStarts: number[], stopAtStep?: { step: number; controller: AbortController }): Partial<Record<StageName, StageDefinition>> {
  const fileStage = (name: StageName, input?: StageName): StageDefinition => ({
    name,
    plan: ({ recipe, outputs }) => ({ config: { ...(recipe[name] as object), input: input ? outputs[input]?.output : null }, inputs: [] }),
    async run(plan, ctx) {
      calls[name] = (calls[name] ?? 0) + 1;
      const file = join(ctx.dir, `${name}.txt`);
      writeFileSync(file, JSON.stringify(plan.config));
      return { outputs: { output: file } };
    },
  });
  const sft: StageDefinition = {
    name: 'sft',
    plan: ({ recipe, outputs }) => ({ config: { ...(recipe.sft as object), data: outputs.data?.output }, inputs: [] }),
    async run(plan, ctx) {
      calls.sft = (calls.sft ?? 0) + 1;
      const runDir = join(ctx.workspace, 'runs', `fake-sft-${ctx.runId}`);
      mkdirSync(runDir, { recursive: true });
      const checkpoint = join(runDir, 'checkpoint.json');
      let step = existsSync(checkpoint) ? (JSON.parse(readFileSync(checkpoint, 'utf8')) as { step: number }).step : 0;
      sftStarts.push(step);
      const total = plan.config.steps as number;
      while (step < total) {
        if (ctx.signal.aborted) throw new StageStoppedError(`stopped at step ${step}`);
        step++;
        writeFileSync(checkpoint, JSON.stringify({ step }));
        ctx.progress({ done: step, total, unit: 'steps' });
        if (stopAtStep && step === stopAtStep.step) stopAtStep.controller.abort();
      }
      const output = join(runDir, 'output.txt');
      writeFileSync(output, `trained ${total} steps`);
      return { outputs: { output, run: `fake-sft-${ctx.runId}` } };
    },
  };
  return { model: fileStage('model'), data: fileStage('data'), sft, eval: fileStage('eval', 'sft'), report: fileStage('report', 'eval') };
}

function recipe(overrides: Record<string, unknown> = {}): PipelineRecipe {
  return parsePipelineRecipe({ name: 'fake', model: { make: { preset: 'tiny' } }, data: { task: 'korean-arithmetic', train: 10 }, sft: { steps: 5 }, eval: {}, report: {}, ...overrides });
}

const workspace = () => mkdtempSync(join(tmpdir(), 'pipeline-run-'));
const statuses = (r: { stages: { name: string; status: string }[] }) => Object.fromEntries(r.stages.map((s) => [s.name, s.status]));

test('a rerun with nothing changed skips every stage; a changed stage reruns with the stages after it', async () => {
  const ws = workspace();
  const calls: Record<string, number> = {};
  const stages = fakeStages(calls, []);
  const first = await runPipeline(recipe(), { workspace: ws, stages });
  assert.equal(first.status, 'finished');
  assert.deepEqual(statuses(first), { model: 'finished', data: 'finished', sft: 'finished', eval: 'finished', report: 'finished' });
  assert.deepEqual(calls, { model: 1, data: 1, sft: 1, eval: 1, report: 1 });

  const second = await runPipeline(recipe(), { workspace: ws, stages });
  assert.deepEqual(statuses(second), { model: 'skipped', data: 'skipped', sft: 'skipped', eval: 'skipped', report: 'skipped' });
  assert.deepEqual(calls, { model: 1, data: 1, sft: 1, eval: 1, report: 1 });
  assert.deepEqual(second.stages.map((s) => s.seconds), [0, 0, 0, 0, 0]);

  // Editing the sft section reruns sft; eval reads sft's output, whose fingerprint changed, so it reruns too.
  const third = await runPipeline(recipe({ sft: { steps: 6 } }), { workspace: ws, stages });
  assert.deepEqual(statuses(third), { model: 'skipped', data: 'skipped', sft: 'finished', eval: 'finished', report: 'finished' });
  assert.deepEqual(calls, { model: 1, data: 1, sft: 2, eval: 2, report: 2 });

  // An input rewritten behind the pipeline's back (the data file) makes the stage reading it run again.
  const dataFile = readPipelineState(ws, 'fake')!.stages.data!.outputs!.output as string;
  writeFileSync(dataFile, 'edited by hand, longer than before');
  const fourth = await runPipeline(recipe({ sft: { steps: 6 } }), { workspace: ws, stages });
  assert.deepEqual(statuses(fourth), { model: 'skipped', data: 'skipped', sft: 'finished', eval: 'finished', report: 'finished' });

  // A deleted output makes its stage run again even though its config is the same.
  rmSync(readPipelineState(ws, 'fake')!.stages.model!.outputs!.output as string);
  const fifth = await runPipeline(recipe({ sft: { steps: 6 } }), { workspace: ws, stages });
  assert.equal(statuses(fifth).model, 'finished');
  assert.equal(calls.model, 2);

  // --force reruns an unchanged stage.
  const sixth = await runPipeline(recipe({ sft: { steps: 6 } }), { workspace: ws, stages, force: ['data'] });
  assert.equal(statuses(sixth).data, 'finished');
  assert.equal(calls.data, 2);
});

test('an interrupted stage stops at a checkpoint, the later stages wait, and the next run resumes it in the same run folder', async () => {
  const ws = workspace();
  const calls: Record<string, number> = {};
  const starts: number[] = [];
  const controller = new AbortController();
  const updates: number[] = [];
  const stopped = await runPipeline(recipe({ sft: { steps: 8 } }), {
    workspace: ws,
    stages: fakeStages(calls, starts, { step: 3, controller }),
    signal: controller.signal,
    progressIntervalMs: 0,
    onUpdate: (s) => s.stages.sft?.progress && updates.push(s.stages.sft.progress.done),
  });
  assert.equal(stopped.status, 'stopped');
  assert.deepEqual(statuses(stopped), { model: 'finished', data: 'finished', sft: 'stopped', eval: 'pending', report: 'pending' });
  assert.deepEqual(updates.slice(0, 3), [1, 2, 3], 'progress is published per step');
  const saved = JSON.parse(readFileSync(statePath(ws, 'fake'), 'utf8'));
  assert.equal(saved.status, 'stopped');
  assert.equal(saved.stages.sft.status, 'stopped');
  assert.equal(saved.stages.sft.progress.done, 3);
  assert.equal(typeof saved.stages.sft.etaSeconds, 'number');

  const resumed = await runPipeline(recipe({ sft: { steps: 8 } }), { workspace: ws, stages: fakeStages(calls, starts) });
  assert.equal(resumed.status, 'finished');
  assert.deepEqual(statuses(resumed), { model: 'skipped', data: 'skipped', sft: 'finished', eval: 'finished', report: 'finished' });
  assert.deepEqual(starts, [0, 3], 'the second attempt starts from the checkpoint at step 3');
});

test('a stage whose implementation is missing fails the run with "not available" and later stages do not run', async () => {
  const ws = workspace();
  const calls: Record<string, number> = {};
  const stages = fakeStages(calls, []);
  stages.sft = { ...stages.sft!, unavailable: async () => 'not available: the sft module failed to load (missing)' };
  const result = await runPipeline(recipe(), { workspace: ws, stages });
  assert.equal(result.status, 'failed');
  assert.deepEqual(statuses(result), { model: 'finished', data: 'finished', sft: 'unavailable', eval: 'pending', report: 'pending' });
  assert.match(result.error!, /sft: stage sft is not available: the sft module failed to load/);
  assert.equal(calls.eval, undefined);
  assert.ok(new StageUnavailableError('x') instanceof Error);
});

test('a failing stage records its error; fixing the recipe reruns from that stage only', async () => {
  const ws = workspace();
  const calls: Record<string, number> = {};
  const stages = fakeStages(calls, []);
  const sft = stages.sft!;
  stages.sft = { ...sft, run: async (plan, ctx) => ((plan.config.steps as number) > 100 ? Promise.reject(new Error('steps: at most 100')) : sft.run(plan, ctx)) };
  const failed = await runPipeline(recipe({ sft: { steps: 500 } }), { workspace: ws, stages });
  assert.equal(failed.status, 'failed');
  assert.equal(readPipelineState(ws, 'fake')!.stages.sft!.error, 'steps: at most 100');
  const fixed = await runPipeline(recipe({ sft: { steps: 4 } }), { workspace: ws, stages });
  assert.deepEqual(statuses(fixed), { model: 'skipped', data: 'skipped', sft: 'finished', eval: 'finished', report: 'finished' });
});

test('--force on a finished training stage trains afresh in a new run folder; the stages after it rerun under new names', async () => {
  const ws = workspace();
  const calls: Record<string, number> = {};
  const starts: number[] = [];
  const first = await runPipeline(recipe({ sft: { steps: 4 } }), { workspace: ws, stages: fakeStages(calls, starts) });
  assert.equal(first.status, 'finished');
  const firstRun = first.state.stages.sft!.outputs!.run as string;

  // Before: the forced stage got the same run id, "resumed" the finished run at its last step and trained nothing.
  const forced = await runPipeline(recipe({ sft: { steps: 4 } }), { workspace: ws, stages: fakeStages(calls, starts), force: ['sft'] });
  assert.equal(forced.status, 'finished');
  assert.deepEqual(starts, [0, 0], 'the forced run started from step 0');
  const forcedRun = forced.state.stages.sft!.outputs!.run as string;
  assert.notEqual(forcedRun, firstRun);
  assert.ok(existsSync(join(ws, 'runs', firstRun)), 'the earlier run is kept');
  // eval reads the new model, so it reruns (and its records get the new run id, not the old names again).
  assert.deepEqual(statuses(forced), { model: 'skipped', data: 'skipped', sft: 'finished', eval: 'finished', report: 'finished' });
  assert.notEqual(forced.state.stages.eval!.runId, first.state.stages.eval!.runId);

  // A forced attempt that stops is resumed (without --force) in its own run folder.
  const controller = new AbortController();
  const stopped = await runPipeline(recipe({ sft: { steps: 6 } }), { workspace: ws, stages: fakeStages(calls, starts, { step: 2, controller }), signal: controller.signal, force: ['sft'] });
  assert.equal(stopped.status, 'stopped');
  const resumed = await runPipeline(recipe({ sft: { steps: 6 } }), { workspace: ws, stages: fakeStages(calls, starts) });
  assert.equal(resumed.status, 'finished');
  assert.deepEqual(starts.slice(-2), [0, 2], 'the resume continued the forced attempt at its checkpoint');
  assert.equal(resumed.state.stages.sft!.runId, stopped.state.stages.sft!.runId);
  // Nothing changed since: everything is skipped.
  const again = await runPipeline(recipe({ sft: { steps: 6 } }), { workspace: ws, stages: fakeStages(calls, starts) });
  assert.ok(Object.values(statuses(again)).every((s) => s === 'skipped'));
});

test('throttled progress keeps its trailing edge: a stage that pauses after a burst of steps shows the last step', async () => {
  // Five steps inside one 200 ms interval, then a pause (a long evaluation, a held run): without the trailing
  // write the page would show the state from before the burst until the stage moved again.
  const ws = workspace();
  const seen: number[] = [];
  let shownDuringPause = -1;
  const burst: StageDefinition = {
    name: 'sft',
    plan: ({ recipe }) => ({ config: recipe.sft as Record<string, unknown>, inputs: [] }),
    async run(_plan, ctx) {
      for (let step = 1; step <= 5; step++) ctx.progress({ done: step, total: 10, unit: 'steps' });
      await new Promise((r) => setTimeout(r, 600));
      shownDuringPause = seen.at(-1) ?? -1;
      return { outputs: { output: join(ctx.dir, 'none') } };
    },
  };
  const calls: Record<string, number> = {};
  const stages = { ...fakeStages(calls, []), sft: burst };
  const result = await runPipeline(recipe(), {
    workspace: ws,
    stages,
    progressIntervalMs: 200,
    onUpdate: (s) => s.stages.sft?.progress && s.stages.sft.status === 'running' && seen.push(s.stages.sft.progress.done),
  });
  assert.equal(result.status, 'finished');
  assert.equal(shownDuringPause, 5, `updates seen during the pause: ${seen.join(', ')}`);
  assert.ok(seen.length < 5, `throttled: ${seen.join(', ')}`);
});
