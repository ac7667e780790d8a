// Which optimizer steps go into one session.run of the loop step (engine/runtime/train-steps.ts). The cut
// is a pure function of where a run starts, and a resumed run starts where a run of the original ended (a
// checkpoint or a stop), so a resumed run takes the same runs as one that never stopped.

/** Compute per run that 'auto' aims at: ~2·10¹¹ FLOPs, a few seconds on a laptop CPU, milliseconds on a GPU. */
export const RUN_FLOPS = 2e11;
/** The most steps 'auto' puts in one run. */
export const MAX_AUTO_STEPS_PER_RUN = 32;

/**
 * Steps per run: the setting, or for 'auto' as many steps of `flopsPerStep` (≈ 6 × parameters × tokens of
 * a step) as fit in RUN_FLOPS, at least 1.
 */
export function stepsPerRun(setting: 'auto' | number, flopsPerStep: number): number {
  if (setting !== 'auto') return setting;
  if (!(flopsPerStep > 0)) return 1;
  return Math.max(1, Math.min(MAX_AUTO_STEPS_PER_RUN, Math.floor(RUN_FLOPS / flopsPerStep)));
}

/**
 * The last step of the run that starts at step `first` (1-based): at most `perRun` steps, never past
 * `total`, and ending at the first step for which `endsRun` holds (an evaluation, a checkpoint, a change in
 * micro-batches per step).
 */
export function runEnd(first: number, total: number, perRun: number, endsRun: (step: number) => boolean): number {
  let last = first;
  while (last < total && last - first + 1 < perRun && !endsRun(last)) last++;
  return last;
}

/** The one log line saying how a run's steps go to onnxruntime (issue #20: which path, per provider). */
export function describeStepRunner(runner: { kind: 'loop' | 'per-step'; provider: { provider: string } }, perRun: number | 'update'): string {
  const where = (each: string) => (runner.provider.provider === 'webgpu' ? 'params and AdamW moments stay on the GPU as gpu-buffer tensors' : `params and AdamW moments cross host↔device ${each} (${runner.provider.provider})`);
  if (runner.kind === 'per-step') return `steps: per-step runner, one onnxruntime run per micro-batch (fp16 or stepRunner: per-step); ${where('every run')}`;
  const runs = perRun === 'update' ? "a step's whole update per run" : `up to ${perRun} optimizer step${perRun === 1 ? '' : 's'} per run`;
  return `steps: loop step, ${runs}; ${where('once per run')}`;
}
