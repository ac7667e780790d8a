// npm run bench:traffic [-- --shapes tiny,small,0.5b --new-tokens N --batch B]
//
// Host↔device bytes of both paths, counted by the engine's TrafficCounter on the tensors each
// session.run really gets and returns (CPU provider: host memory is device memory, so the count is what
// a host-output provider such as CUDA in onnxruntime-node would copy):
//   generation   per-token path (generate.ts: the KV cache goes out and back in every token) vs the decode
//                loop (decode-loop.ts: prompts and uniforms in, token ids out), bytes per generated token per
//                row beyond the prompt and output ids (goal ≤ 1 KiB for the loop);
//   fine-tuning  per-step runner (accumulate + apply graphs per micro-batch / step) vs the loop step
//                (K micro-batches × S steps per run), bytes per micro-batch (goal ≤ 2 × trainable state ÷
//                (K·S) plus the batch for the loop).
// Shapes: tiny and small presets (random weights, Qwen2); 0.5b = Qwen2.5-0.5B's shape (generation only,
// under `flock /tmp/bigmem.lock`: several GB). Writes bench/results/traffic.json with the load average.
import * as ort from 'onnxruntime-node';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { printTable, writeResult } from './lib/results.ts';
import { TrafficCounter } from '../main/engine/runtime/traffic.ts';
import type { ModelConfig } from '../main/models/config.ts';

const { values: args } = parseArgs({
  options: {
    shapes: { type: 'string', default: 'tiny,small' },
    'new-tokens': { type: 'string', default: '16' },
    batch: { type: 'string', default: '4' },
  },
});
const newTokens = Number(args['new-tokens']);
const batch = Number(args.batch);
const promptLength = 8;

// Every session.run of the per-token path, counted the same way the loop paths count themselves.
const counter = new TrafficCounter();
// (InferenceSession is a class at run time; its typings only declare the factory.)
const proto = (ort.InferenceSession as unknown as { prototype: ort.InferenceSession }).prototype;
const run = proto.run;
proto.run = async function (this: ort.InferenceSession, feeds: ort.InferenceSession.FeedsType, ...rest: unknown[]) {
  counter.countInputs(feeds as Record<string, ort.Tensor>);
  const out = await (run as (...a: unknown[]) => Promise<ort.InferenceSession.ReturnType>).call(this, feeds, ...rest);
  counter.countOutputs(out as Record<string, ort.Tensor>);
  return out;
} as typeof run;

async function configFor(shape: string): Promise<ModelConfig> {
  const { presetConfig } = await import('../main/models/presets.ts');
  const { releaseConfig } = await import('../main/models/release-presets.ts');
  if (shape === '0.5b') return releaseConfig('qwen2', 'qwen2.5-0.5b');
  return presetConfig('qwen2', shape as 'tiny' | 'small', { vocabSize: shape === 'tiny' ? 512 : 151_669, bosTokenId: 1, eosTokenIds: [2], padTokenId: 0 });
}

async function generation(config: ModelConfig) {
  const { initWeights, SeededRandom } = await import('../main/models/init.ts');
  const { DecoderSession } = await import('../main/models/decoder-session.ts');
  const { generate } = await import('../main/models/generate.ts');
  const { DecodeLoop } = await import('../main/models/decode-loop.ts');
  const weights = initWeights(config, { seed: 1 });
  const rng = new SeededRandom(3);
  const prompts = Array.from({ length: batch }, () => Array.from({ length: promptLength }, () => 3 + rng.int(config.vocabSize - 3)));
  const options = { maxNewTokens: newTokens, stopTokenIds: [] as number[] };
  const idsBytes = 3 * batch * promptLength * 8 + batch * newTokens * 8; // prompt ids, mask, positions; output ids
  const generated = batch * newTokens;

  const session = await DecoderSession.create(config, weights, { kvCache: true, lastPositionLogits: true });
  counter.endStep();
  const perTokenTokens = await generate(session, prompts, options);
  const perToken = counter.endStep();
  await session.release();
  const loop = new DecodeLoop(config, weights);
  counter.endStep();
  const { sequences, traffic } = await loop.generate(prompts, options);
  counter.endStep();
  await loop.release();
  const same = sequences.filter((s, i) => s.tokens.join() === perTokenTokens[i].tokens.join()).length;
  const perRowToken = (t: { hostToDevice: number; deviceToHost: number }) => (t.hostToDevice + t.deviceToHost - idsBytes) / generated;
  return {
    batch,
    prompt_length: promptLength,
    new_tokens: newTokens,
    per_token: { ...perToken, bytes_per_token_per_row_beyond_ids: perRowToken(perToken) },
    loop: { ...traffic, bytes_per_token_per_row_beyond_ids: perRowToken(traffic) },
    loop_goal_bytes: 1024,
    same_tokens: `${same}/${sequences.length}`,
  };
}

async function fineTuning(config: ModelConfig) {
  const { initWeights } = await import('../main/models/init.ts');
  const { buildDecoderGraph } = await import('../main/models/decoder.ts');
  const { buildApplyStep, buildGradAccumulationStep } = await import('../main/engine/optim/train-step.ts');
  const { TrainStepRunner } = await import('../main/engine/runtime/train-step-runner.ts');
  const { LoopStepRunner } = await import('../main/engine/runtime/loop-step-runner.ts');
  const K = 2;
  const S = 4;
  const B = 2;
  const T = 16;
  const weights = initWeights(config, { seed: 1 });
  const d = buildDecoderGraph(config, { dtype: 'float32', labels: true, batchSize: B, sequenceLength: T });
  const trainable = [...d.weights.values()];
  const accumulate = buildGradAccumulationStep({ loss: d.loss!, trainable });
  const apply = buildApplyStep(accumulate.signature.trainable, { maxGradNorm: 1 });
  const graphs = { accumulate: { model: accumulate.toOnnx(), signature: accumulate.signature }, apply: { model: apply.toOnnx(), signature: apply.signature } };
  const params = Object.fromEntries(accumulate.signature.trainable.map((t) => [t.name, { dtype: 'float32' as const, dims: t.shape, data: weights.get(t.name)!.data as Float32Array }]));
  const micro = (i: number) => {
    const ids = BigInt64Array.from({ length: B * T }, (_, j) => BigInt(3 + ((i * 31 + j * 7) % (config.vocabSize - 3))));
    return {
      input_ids: { dtype: 'int64' as const, dims: [B, T], data: ids },
      attention_mask: { dtype: 'int64' as const, dims: [B, T], data: new BigInt64Array(B * T).fill(1n) },
      position_ids: { dtype: 'int64' as const, dims: [B, T], data: BigInt64Array.from({ length: B * T }, (_, j) => BigInt(j % T)) },
      labels: { dtype: 'int64' as const, dims: [B, T], data: ids },
    };
  };
  const steps = Array.from({ length: S }, (_, s) => Array.from({ length: K }, (_, k) => micro(s * K + k)));
  const batchBytes = 4 * B * T * 8;
  const stateBytes = 3 * accumulate.signature.trainable.reduce((n, t) => n + t.shape.reduce((a, b) => a * b, 1) * 4, 0);

  const perStep = await TrainStepRunner.create(graphs, { params }, { provider: 'cpu' });
  let perStepBytes = 0;
  for (const m of steps) {
    const r = await perStep.step(m, { learningRate: 1e-4 });
    perStepBytes += r.traffic.hostToDevice + r.traffic.deviceToHost;
  }
  await perStep.release();
  counter.endStep();
  const loop = await LoopStepRunner.create(graphs, { params });
  const r = await loop.run(steps, new Array(S).fill(1e-4));
  await loop.release();
  counter.endStep();
  const loopBytes = r.traffic.hostToDevice + r.traffic.deviceToHost;
  return {
    micro_batches_per_step: K,
    steps_per_run: S,
    micro_batch: { batch: B, seq: T, bytes: batchBytes },
    trainable_state_bytes: stateBytes,
    per_step_runner: { bytes_per_micro_batch: perStepBytes / (K * S) },
    loop: { ...r.traffic, bytes_per_micro_batch: loopBytes / (K * S) },
    loop_goal_bytes_per_micro_batch: (2 * stateBytes) / (K * S) + batchBytes,
  };
}

const shapes = args.shapes!.split(',').map((s) => s.trim());
const results: Record<string, unknown> = {};
const rows: (string | number)[][] = [['shape', 'gen per-token B/token/row', 'gen loop B/token/row', 'train per-step B/micro-batch', 'train loop B/micro-batch', 'train loop goal']];
const loadBefore = os.loadavg()[0];
for (const shape of shapes) {
  const config = await configFor(shape);
  console.log(`${shape}: generation (batch ${batch}, ${newTokens} new tokens)…`);
  const gen = await generation(config);
  let train: Awaited<ReturnType<typeof fineTuning>> | { skipped: string } = { skipped: 'generation only at this shape (memory)' };
  if (shape !== '0.5b') {
    console.log(`${shape}: fine-tuning (2 micro-batches × 4 steps)…`);
    train = await fineTuning(config);
  }
  results[shape] = { generation: gen, fine_tuning: train };
  const t = 'skipped' in train ? null : train;
  rows.push([shape, gen.per_token.bytes_per_token_per_row_beyond_ids, gen.loop.bytes_per_token_per_row_beyond_ids, t?.per_step_runner.bytes_per_micro_batch ?? 'n/a', t?.loop.bytes_per_micro_batch ?? 'n/a', t?.loop_goal_bytes_per_micro_batch ?? 'n/a']);
}
console.log('');
printTable(rows);
const path = writeResult('traffic', { shapes, results, load_average_1m_before: loadBefore, load_average_after: os.loadavg() });
console.log(`\nwrote ${path}`);
