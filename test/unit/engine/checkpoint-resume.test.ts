// Checkpoints: exact round trips, atomic replacement, pruning, the RNG's serialized stream, and a
// resumed TrainStepRunner run that reproduces the uninterrupted loss sequence bit for bit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCheckpoint, loadLatestCheckpoint, saveCheckpoint, type CheckpointState } from '../../../main/engine/checkpoint.ts';
import { Rng } from '../../../main/engine/rng.ts';
import { TrainStepRunner } from '../../../main/engine/runtime/train-step-runner.ts';
import type { HostTensor } from '../../../main/engine/runtime/tensors.ts';
import { linearStepModel } from './runtime-linear-step.fixture.ts';

function withDir(fn: (dir: string) => Promise<void> | void): () => Promise<void> {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ckpt-'));
    try {
      await fn(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

test('xoshiro128** matches the reference C output and resumes from its JSON state', () => {
  // First outputs of the reference implementation for state {1, 2, 3, 4}.
  const rng = new Rng({ algorithm: 'xoshiro128**', s: [1, 2, 3, 4], spareNormal: null });
  assert.deepEqual(Array.from({ length: 8 }, () => rng.nextUint32()), [11520, 0, 5927040, 70819200, 2031721883, 1637235492, 1287239034, 3734860849]);

  const a = new Rng(42);
  a.normal(); // leaves a spare normal pending: it must survive serialization
  const saved = JSON.parse(JSON.stringify(a.getState()));
  const b = new Rng(saved);
  assert.deepEqual(Array.from({ length: 5 }, () => b.normal()), Array.from({ length: 5 }, () => a.normal()));
  assert.deepEqual([b.int(7), b.uniform()], [a.int(7), a.uniform()]);
  assert.notDeepEqual(new Rng(1).nextUint32(), new Rng(2).nextUint32());

  // Moments of 20k normals and the range of int(): loose statistical sanity.
  const r = new Rng(3);
  const xs = r.fillNormal(new Float64Array(20000), 1, 2);
  const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
  const variance = xs.reduce((s, x) => s + (x - mean) ** 2, 0) / xs.length;
  assert.ok(Math.abs(mean - 1) < 0.05 && Math.abs(variance - 4) < 0.15, `mean ${mean} variance ${variance}`);
  const counts = new Array(5).fill(0);
  for (let i = 0; i < 5000; i++) counts[r.int(5)]++;
  assert.ok(counts.every((c) => c > 900 && c < 1100), `int(5) counts ${counts}`);
});

test('save and load round-trip every dtype exactly, with config, cursor and RNG', withDir((dir) => {
  const state: CheckpointState = {
    step: 7,
    params: {
      'model.layers.0.mlp.up_proj.weight': { dtype: 'float32', dims: [2, 3], data: new Float32Array([1, -2.5, 3e-8, Math.PI, -0, 6]) },
      'model.embed_tokens.weight': { dtype: 'bfloat16', dims: [2], data: new Uint16Array([0x3f80, 0xc0a1]) },
      'lm_head.weight': { dtype: 'float16', dims: [3], data: new Uint16Array([0x3c00, 0x7bff, 0x0001]) },
      'scale': { dtype: 'float64', dims: [], data: new Float64Array([1 / 3]) },
    },
    optimizerState: { 'm.scale': { dtype: 'float64', dims: [], data: new Float64Array([2e-300]) }, 'counter': { dtype: 'int64', dims: [1], data: new BigInt64Array([-5n]) } },
    config: { lr: 3e-4, layers: 2 },
    dataCursor: { epoch: 1, index: 96 },
    rng: new Rng(9).getState(),
  };
  const folder = saveCheckpoint(dir, state);
  assert.equal(folder, join(dir, 'step-00000007'));
  const loaded = loadLatestCheckpoint(dir)!;
  assert.equal(loaded.step, 7);
  assert.deepEqual(loaded.config, state.config);
  assert.deepEqual(loaded.dataCursor, state.dataCursor);
  assert.deepEqual(loaded.rng, state.rng);
  for (const group of ['params', 'optimizerState'] as const) {
    assert.deepEqual(Object.keys(loaded[group]).sort(), Object.keys(state[group]).sort());
    for (const [name, t] of Object.entries(state[group])) {
      const got = loaded[group][name] as HostTensor;
      assert.equal(got.dtype, t.dtype, name);
      assert.deepEqual(got.dims, t.dims, name);
      assert.deepEqual(Array.from(got.data as ArrayLike<number>), Array.from(t.data as ArrayLike<number>), name);
      assert.equal(got.data.constructor, t.data.constructor, name);
    }
  }
}));

test('latest.json only moves to complete checkpoints; old ones are pruned', withDir((dir) => {
  const tiny = (step: number, value: number): CheckpointState => ({
    step, params: { w: { dtype: 'float32', dims: [1], data: new Float32Array([value]) } }, optimizerState: {}, config: null, dataCursor: step, rng: null,
  });
  assert.equal(loadLatestCheckpoint(dir), null);
  saveCheckpoint(dir, tiny(1, 1));
  saveCheckpoint(dir, tiny(2, 2));
  // A save that crashed half-way: a temp folder and a partial step folder, latest.json untouched.
  mkdirSync(join(dir, '.step-00000003.tmp-999999'));
  writeFileSync(join(dir, '.step-00000003.tmp-999999', 'model.safetensors'), 'partial');
  assert.equal(loadLatestCheckpoint(dir)!.step, 2);
  saveCheckpoint(dir, tiny(3, 3), { keep: 2 });
  assert.deepEqual(readdirSync(dir).sort(), ['latest.json', 'step-00000002', 'step-00000003']);
  assert.equal(loadLatestCheckpoint(dir)!.params.w.data[0], 3);
  assert.throws(() => loadCheckpoint(join(dir, 'nope')), /has no trainer_state.json/);
  assert.equal(loadLatestCheckpoint(dir, { expectConfig: null })!.step, 3);
  assert.throws(() => loadLatestCheckpoint(dir, { expectConfig: { lr: 1 } }), /saved with a different config \(\(root\)\)/);
  writeFileSync(join(dir, 'latest.json'), '{broken');
  assert.throws(() => loadLatestCheckpoint(dir), /latest.json is not valid JSON/);
}));

test('a run resumed from a checkpoint continues with exactly the same losses', withDir(async (dir) => {
  const D = 5;
  const scale = Float32Array.from({ length: D }, (_, i) => 1 + i / 10);
  const { model, signature } = linearStepModel(D, scale);
  const init = new Rng(123);
  const params = { w: { dtype: 'float32' as const, dims: [D, 1], data: init.fillNormal(new Float32Array(D), 0, 0.1) }, b: { dtype: 'float32' as const, dims: [1], data: new Float32Array(1) } };
  // Data drawn from the RNG, so the RNG state is part of what must resume exactly.
  const drawBatch = (rng: Rng) => {
    const x = rng.fillNormal(new Float32Array(8 * D));
    const y = Float32Array.from({ length: 8 }, (_, i) => x[i * D] - 2 * x[i * D + 1] + 0.1 * rng.normal());
    return { x: { dtype: 'float32' as const, dims: [8, D], data: x }, y: { dtype: 'float32' as const, dims: [8, 1], data: y } };
  };
  const lr = (step: number) => 0.05 / Math.sqrt(step);

  const straight = await TrainStepRunner.create({ model, signature }, { params }, { provider: 'cpu' });
  const dataRng = new Rng(7);
  const expected: number[] = [];
  for (let i = 0; i < 8; i++) expected.push((await straight.step(drawBatch(dataRng), { learningRate: lr(i + 1) })).loss);
  await straight.release();

  // First half, checkpoint, throw the runner away.
  const first = await TrainStepRunner.create({ model, signature }, { params }, { provider: 'cpu' });
  const rngA = new Rng(7);
  const got: number[] = [];
  for (let i = 0; i < 4; i++) got.push((await first.step(drawBatch(rngA), { learningRate: lr(i + 1) })).loss);
  const s = await first.readState();
  saveCheckpoint(dir, { ...s, config: { lr: 'inv-sqrt' }, dataCursor: { batches: 4 }, rng: rngA.getState() });
  await first.release();

  assert.throws(() => loadLatestCheckpoint(dir, { expectConfig: { lr: 'constant' } }), /different config \(lr\)/);
  const resumed = loadLatestCheckpoint(dir, { expectConfig: { lr: 'inv-sqrt' } })!;
  const second = await TrainStepRunner.create({ model, signature }, { params: resumed.params, optimizerState: resumed.optimizerState, step: resumed.step }, { provider: 'cpu' });
  const rngB = new Rng(resumed.rng!);
  assert.deepEqual(resumed.dataCursor, { batches: 4 });
  for (let i = resumed.step; i < 8; i++) got.push((await second.step(drawBatch(rngB), { learningRate: lr(i + 1) })).loss);
  await second.release();
  assert.deepEqual(got, expected);
}));
