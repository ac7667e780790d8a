// Handlers of the runs area's contract methods (contracts/runs.ts): thin adapters over jobs/runs.ts (runs
// read from their folders, started, stopped and resumed through the `sft`, `grpo` and `rm` job kinds),
// train/run/samples.ts and train/memory-estimate.ts. What stays here is the app's part: serve-mode path
// checks, the device check against this machine, and the runs.changed event.
import type { HandlerGroup } from '../router.ts';
import { configPaths } from '../names.ts';
import { validateConfig } from '../../train/run/validate-config.ts';
import { readSamples, sampleSteps } from '../../train/run/samples.ts';
import { startModels } from '../../train/run/start-models.ts';
import { estimateRun } from '../../train/memory-estimate.ts';
import { existingRun, listRunRecords, newRunName, resumableRun, runDetails, runMetrics, startRunExport, startRunJob, stopRun } from '../../jobs/runs.ts';
import { checkJobDevice } from './job-device.ts';

/** What the `sft`, `grpo` and `rm` job kinds receive from the app (defined with the runs' jobs). */
export type { RunJobInput } from '../../jobs/runs.ts';

export const runsHandlers: HandlerGroup<'runs'> = {
  'runs.list': (_input, ctx) => {
    const { workspace, jobs } = ctx.session.requireWorkspace();
    return listRunRecords(workspace.root, jobs);
  },

  'runs.get': async (input, ctx) => {
    const { workspace, jobs } = ctx.session.requireWorkspace();
    const { folder, ...details } = await runDetails(workspace.root, jobs, input.name);
    return { ...details, sampleSteps: sampleSteps(folder) };
  },

  'runs.metrics': (input, ctx) => runMetrics(ctx.session.requireWorkspace().workspace.root, input.name, input.from),

  'runs.start': async (input, ctx) => {
    const { workspace, jobs } = ctx.session.requireWorkspace();
    const config = validateConfig(input.kind, input.config);
    // Serve mode: every file and folder the config names must be inside the allowed folders.
    for (const { at, path } of configPaths(config)) ctx.session.checkPath(path, `${at}`);
    const name = await newRunName(workspace.root, jobs, input.kind, config);
    const device = await checkJobDevice(input.device);
    const started = await startRunJob(jobs, input.kind, name, config, false, device);
    ctx.session.events.emit('runs.changed', { name });
    return started;
  },

  'runs.stop': async (input, ctx) => {
    const { workspace, jobs } = ctx.session.requireWorkspace();
    const { run, ...result } = await stopRun(workspace.root, jobs, input.name);
    if (result.stopped) ctx.session.events.emit('runs.changed', { name: run });
    return result;
  },

  'runs.resume': async (input, ctx) => {
    const { workspace, jobs } = ctx.session.requireWorkspace();
    const { kind, name, config } = await resumableRun(workspace.root, jobs, input.name);
    const device = await checkJobDevice(input.device);
    const started = await startRunJob(jobs, kind, name, config, true, device);
    ctx.session.events.emit('runs.changed', { name });
    return started;
  },

  'runs.samples': (input, ctx) => readSamples(existingRun(ctx.session.requireWorkspace().workspace.root, input.name), input.step, input.limit),

  'runs.estimate': async (input, ctx) => {
    const { workspace } = ctx.session.requireWorkspace();
    // It reads the model's config.json: in serve mode only inside the allowed folders, like runs.start.
    for (const { at, path } of configPaths(input.config)) ctx.session.checkPath(path, at);
    return estimateRun(workspace.root, input.kind, input.config, input.provider, input.device);
  },

  'runs.models': (_input, ctx) => startModels(ctx.session.requireWorkspace().workspace.root),

  'runs.export': (input, ctx) => {
    const { workspace, jobs } = ctx.session.requireWorkspace();
    return startRunExport(workspace.root, jobs, input.name, input.format, input.quant);
  },
};
