// Child process of `npm run bench:train`: trains the engine side alone (so its peak RSS is its own)
// and writes engine.json into the work folder.
//   node --import tsx bench/lib/engine-train-worker.ts WORK_DIR [provider]
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readSafetensors } from '../../main/engine/safetensors.ts';
import { TrainStepRunner } from '../../main/engine/runtime/train-step-runner.ts';
import type { ProviderRequest } from '../../main/engine/runtime/providers.ts';
import type { HostTensor } from '../../main/engine/runtime/tensors.ts';
import { buildEngineTrainStep } from './engine-model.ts';
import { ortMatmulGflops } from './ort-matmul.ts';
import { peakRssBytes } from './rss.ts';
import type { BenchTrainConfig } from './train-setup.ts';

const [dir, provider = 'auto'] = process.argv.slice(2);
const cfg = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as BenchTrainConfig;

const buildStarted = performance.now();
const engine = buildEngineTrainStep(cfg);
const buildSeconds = (performance.now() - buildStarted) / 1000;

const weights: Record<string, HostTensor> = {};
for (const [name, t] of readSafetensors(join(dir, 'init.safetensors')).tensors) weights[name] = { dtype: 'float32', dims: t.shape, data: t.data as Float32Array };
const data = readSafetensors(join(dir, 'data.safetensors')).tensors;
const inputIds = data.get('input_ids')!.data as BigInt64Array;
const labels = data.get('labels')!.data as BigInt64Array;
const perStep = cfg.batch * cfg.seq;

const logs: string[] = [];
const runner = await TrainStepRunner.create(engine, { params: engine.initialParams(weights) }, {
  provider: provider as ProviderRequest,
  log: (line: string) => {
    logs.push(line);
    console.error(line);
  },
});
const losses: number[] = [];
const stepTimes: number[] = [];
const traffic: { hostToDevice: number; deviceToHost: number }[] = [];
for (let step = 0; step < cfg.steps; step++) {
  const started = performance.now();
  const feed = engine.batch(inputIds.subarray(step * perStep, (step + 1) * perStep), labels.subarray(step * perStep, (step + 1) * perStep));
  const out = await runner.step(feed, { learningRate: cfg.lr_schedule[step] });
  stepTimes.push((performance.now() - started) / 1000);
  losses.push(out.loss);
  traffic.push(out.traffic);
  console.error(`engine step ${out.step}: loss ${out.loss.toFixed(6)} in ${(stepTimes.at(-1)! * 1000).toFixed(0)} ms`);
}
const peak = peakRssBytes();
await runner.release();
const matmul = await ortMatmulGflops(1024, 20, runner.provider.provider);
const nodes = engine.model.graph.nodes.length;
writeFileSync(join(dir, 'engine.json'), JSON.stringify({
  losses, step_times_s: stepTimes, peak_rss_bytes: peak, matmul_gflops: matmul, traffic_per_step: traffic,
  provider: runner.provider.provider, provider_message: runner.provider.message, graph_nodes: nodes, build_seconds: buildSeconds, logs,
}));
