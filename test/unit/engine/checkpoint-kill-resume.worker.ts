// Child process for checkpoint-kill-resume.test.ts: trains the linear-regression fixture, saving a
// checkpoint after every step and printing {"step", "loss"} lines. With `--resume` it continues from
// the latest checkpoint; with `--hang-after N` it stops making progress after step N (to be killed).
import { loadLatestCheckpoint, saveCheckpoint } from '../../../main/engine/checkpoint.ts';
import { Rng } from '../../../main/engine/rng.ts';
import { TrainStepRunner } from '../../../main/engine/runtime/train-step-runner.ts';
import { linearStepModel } from './runtime-linear-step.fixture.ts';

const [dir, totalText, ...flags] = process.argv.slice(2);
const total = Number(totalText);
const hangAfter = flags.includes('--hang-after') ? Number(flags[flags.indexOf('--hang-after') + 1]) : Infinity;
const D = 4;
const { model, signature } = linearStepModel(D, Float32Array.from([1, 0.5, 2, 1.5]));

const resumed = flags.includes('--resume') ? loadLatestCheckpoint(dir) : null;
if (flags.includes('--resume') && !resumed) throw new Error(`no checkpoint in ${dir}`);
const init = new Rng(1);
const params = resumed?.params ?? {
  w: { dtype: 'float32' as const, dims: [D, 1], data: init.fillNormal(new Float32Array(D), 0, 0.5) },
  b: { dtype: 'float32' as const, dims: [1], data: new Float32Array(1) },
};
const runner = await TrainStepRunner.create({ model, signature }, { params, optimizerState: resumed?.optimizerState, step: resumed?.step ?? 0 }, { provider: 'cpu' });
const data = new Rng(resumed?.rng ?? 7);
for (let step = runner.stepCount + 1; step <= total; step++) {
  const x = data.fillNormal(new Float32Array(6 * D));
  const y = Float32Array.from({ length: 6 }, (_, i) => 2 * x[i * D] - x[i * D + 3] + 0.05 * data.normal());
  const { loss } = await runner.step({ x: { dtype: 'float32', dims: [6, D], data: x }, y: { dtype: 'float32', dims: [6, 1], data: y } }, { learningRate: 0.1 });
  const state = await runner.readState();
  saveCheckpoint(dir, { ...state, config: { lr: 0.1 }, dataCursor: { step }, rng: data.getState() });
  process.stdout.write(JSON.stringify({ step, loss }) + '\n');
  if (step === hangAfter) await new Promise(() => setInterval(() => {}, 1000)); // wait to be killed
}
await runner.release();
