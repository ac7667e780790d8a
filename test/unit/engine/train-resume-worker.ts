// Child process for train-resume.test.ts: trains the tiny LM with the fused step on the runtime's
// TrainStepRunner, resuming from the latest checkpoint in DIR when there is one.
//   node --import tsx train-resume-worker.ts DIR TOTAL_STEPS CHECKPOINT_EVERY [HANG_AFTER_STEP]
// Appends {step, loss} lines to DIR/losses.jsonl and prints "step N" after each step. With
// HANG_AFTER_STEP it stops making progress after that step (without checkpointing it) so the parent
// can SIGKILL it at a known point.
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadLatestCheckpoint, saveCheckpoint } from '../../../main/engine/checkpoint.ts';
import { Rng } from '../../../main/engine/rng.ts';
import { TrainStepRunner } from '../../../main/engine/runtime/train-step-runner.ts';
import type { HostTensor } from '../../../main/engine/runtime/tensors.ts';
import { buildTrainStep } from '../../../main/engine/optim/train-step.ts';
import { buildTinyLM, initTinyLM, type TinyLMConfig } from '../../helpers/tiny-transformer.ts';

const [dir, totalArg, everyArg, hangArg] = process.argv.slice(2);
const total = Number(totalArg), every = Number(everyArg), hangAfter = hangArg ? Number(hangArg) : Infinity;
const cfg: TinyLMConfig = { vocabSize: 12, hidden: 16, layers: 2, heads: 2, kvHeads: 1, intermediate: 32 };
const B = 4, S = 8;

const lm = buildTinyLM(cfg, { dtype: 'float32', batch: B, seq: S });
const step = buildTrainStep({ loss: lm.loss, trainable: lm.params, maxGradNorm: 1 });
const checkpoint = loadLatestCheckpoint(dir);
let params: Record<string, HostTensor>;
let rng: Rng;
if (checkpoint) {
  params = checkpoint.params;
  rng = new Rng(checkpoint.rng!);
} else {
  params = Object.fromEntries([...initTinyLM(cfg, 4)].map(([name, data]) => [name, { dtype: 'float32' as const, dims: step.signature.trainable.find((t) => t.name === name)!.shape, data }]));
  rng = new Rng(5);
}
const runner = await TrainStepRunner.create(
  { model: step.toOnnx(), signature: step.signature },
  { params, optimizerState: checkpoint?.optimizerState, step: checkpoint?.step ?? 0 },
  { provider: 'cpu', sessionOptions: { intraOpNumThreads: 1 } },
);

for (let s = runner.stepCount + 1; s <= total; s++) {
  const ids = BigInt64Array.from({ length: B * S }, () => BigInt(rng.nextUint32() % cfg.vocabSize));
  const labels = BigInt64Array.from({ length: B * S }, (_, i) => ((i + 1) % S === 0 ? -100n : ids[i + 1]));
  const out = await runner.step({ input_ids: { dtype: 'int64', dims: [B, S], data: ids }, labels: { dtype: 'int64', dims: [B, S], data: labels } }, { learningRate: 3e-3 });
  appendFileSync(join(dir, 'losses.jsonl'), JSON.stringify({ step: out.step, loss: out.loss }) + '\n');
  if (s % every === 0) {
    const state = await runner.readState();
    saveCheckpoint(dir, { ...state, config: cfg, dataCursor: { step: s }, rng: rng.getState() });
  }
  process.stdout.write(`step ${s}\n`);
  if (s >= hangAfter) await new Promise(() => setInterval(() => {}, 1000)); // wait for SIGKILL
}
await runner.release();
