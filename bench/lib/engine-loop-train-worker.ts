// Child process of `npm run bench:train`, the loop side: the same model, weights, batches and schedule
// as engine-train-worker.ts, trained by the loop-step graph (main/engine/optim/loop-step.ts): one
// session.run for every step after a one-step warm-up, so params and AdamW moments cross once per run.
// Writes engine-loop.json into the work folder.
//   node --import tsx bench/lib/engine-loop-train-worker.ts WORK_DIR [micro-batches per step]
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readSafetensors } from '../../main/engine/safetensors.ts';
import { buildApplyStep, buildGradAccumulationStep } from '../../main/engine/optim/train-step.ts';
import { LoopStepRunner, type LoopBatch } from '../../main/engine/runtime/loop-step-runner.ts';
import type { HostTensor } from '../../main/engine/runtime/tensors.ts';
import { buildTinyLM } from '../../test/helpers/tiny-transformer.ts';
import { peakRssBytes } from './rss.ts';
import type { BenchTrainConfig } from './train-setup.ts';

const [dir] = process.argv.slice(2);
const cfg = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as BenchTrainConfig;
const lm = buildTinyLM(
  { vocabSize: cfg.vocab, hidden: cfg.hidden, layers: cfg.layers, heads: cfg.heads, kvHeads: cfg.kv_heads, intermediate: cfg.intermediate, ropeTheta: cfg.rope_theta, rmsEps: cfg.rms_eps },
  { dtype: 'float32', batch: cfg.batch, seq: cfg.seq },
);
const o = cfg.optimizer;
const accumulate = buildGradAccumulationStep({ loss: lm.loss, trainable: lm.params });
const apply = buildApplyStep(accumulate.signature.trainable, { adamw: { beta1: o.beta1, beta2: o.beta2, eps: o.eps, weightDecay: o.weight_decay }, maxGradNorm: o.clip_norm });
const graphs = { accumulate: { model: accumulate.toOnnx(), signature: accumulate.signature }, apply: { model: apply.toOnnx(), signature: apply.signature } };

const weights: Record<string, HostTensor> = {};
for (const [name, t] of readSafetensors(join(dir, 'init.safetensors')).tensors) weights[name] = { dtype: 'float32', dims: t.shape, data: t.data as Float32Array };
const params = Object.fromEntries(accumulate.signature.trainable.map((t) => [t.name, weights[t.name]]));
const data = readSafetensors(join(dir, 'data.safetensors')).tensors;
const inputIds = data.get('input_ids')!.data as BigInt64Array;
const labels = data.get('labels')!.data as BigInt64Array;
const perStep = cfg.batch * cfg.seq;
const dims = [cfg.batch, cfg.seq];
const batch = (step: number): LoopBatch => ({
  input_ids: { dtype: 'int64', dims, data: inputIds.subarray(step * perStep, (step + 1) * perStep) },
  labels: { dtype: 'int64', dims, data: labels.subarray(step * perStep, (step + 1) * perStep) },
});

const created = performance.now();
const runner = await LoopStepRunner.create(graphs, { params });
const createSeconds = (performance.now() - created) / 1000;
const warm = performance.now();
const first = await runner.run([[batch(0)]], [cfg.lr_schedule[0]]);
const firstSeconds = (performance.now() - warm) / 1000;
const rest = Array.from({ length: cfg.steps - 1 }, (_, i) => [batch(i + 1)]);
const started = performance.now();
const run = await runner.run(rest, cfg.lr_schedule.slice(1, cfg.steps));
const seconds = (performance.now() - started) / 1000;
const peak = peakRssBytes();
await runner.release();
const stateBytes = 3 * accumulate.signature.trainable.reduce((n, t) => n + t.shape.reduce((a, b) => a * b, 1) * 4, 0);
writeFileSync(join(dir, 'engine-loop.json'), JSON.stringify({
  losses: [...first.losses.map((r) => r[0]), ...run.losses.map((r) => r[0])],
  session_create_s: createSeconds,
  first_step_s: firstSeconds,
  steady_steps: cfg.steps - 1,
  steady_s: seconds,
  tokens_per_s: (perStep * (cfg.steps - 1)) / seconds,
  peak_rss_bytes: peak,
  traffic_run: run.traffic,
  trainable_state_bytes: stateBytes,
  micro_batches_per_run: cfg.steps - 1,
}));
console.error(`engine loop: ${cfg.steps - 1} steps in one run, ${seconds.toFixed(2)} s`);
