// Execution-provider choice and the session cache, on whatever this machine has (CI: CPU only).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type * as ort from 'onnxruntime-node';
import { chooseExecutionProvider } from '../../../main/engine/runtime/providers.ts';
import { SessionCache, bucketKey, bucketSize } from '../../../main/engine/runtime/session-cache.ts';

test('auto picks the best working provider and says why better ones were skipped', async () => {
  const choice = await chooseExecutionProvider('auto');
  const order = ['cuda', 'webgpu', 'cpu'];
  assert.deepEqual(choice.skipped.map((s) => s.provider), order.slice(0, order.indexOf(choice.provider)));
  assert.match(choice.message, new RegExp(`^execution provider: ${choice.provider} \\(auto`));
  for (const s of choice.skipped) {
    assert.ok(s.reason.length > 0);
    assert.ok(choice.message.includes(`${s.provider} skipped: ${s.reason}`));
  }
  // An explicitly requested provider that is unavailable is an error carrying the same reason.
  for (const s of choice.skipped) {
    await assert.rejects(chooseExecutionProvider(s.provider), (e: Error) => e.message.includes(`'${s.provider}' was requested but is unavailable`));
  }
  const cpu = await chooseExecutionProvider('cpu');
  assert.equal(cpu.provider, 'cpu');
  assert.equal(cpu.message, 'execution provider: cpu (requested)');
});

test('bucketSize rounds up to the smallest bucket and rejects lengths beyond the largest', () => {
  assert.equal(bucketSize(1, [64, 128, 256]), 64);
  assert.equal(bucketSize(64, [256, 64, 128]), 64);
  assert.equal(bucketSize(65, [64, 128, 256]), 128);
  assert.throws(() => bucketSize(257, [64, 128, 256]), /length 257 exceeds the largest bucket \(256\)/);
  assert.equal(bucketKey({ seq: 8, batch: 2 }), bucketKey({ batch: 2, seq: 8 }));
});

test('SessionCache creates once per bucket, shares concurrent creations, evicts and releases LRU', async () => {
  const released: string[] = [];
  const created: string[] = [];
  const cache = new SessionCache(async (dims) => {
    const key = bucketKey(dims);
    created.push(key);
    await new Promise((r) => setTimeout(r, 5));
    return { release: async () => void released.push(key) } as unknown as ort.InferenceSession;
  }, 2);
  const [a1, a2] = await Promise.all([cache.get({ seq: 8 }), cache.get({ seq: 8 })]);
  assert.equal(a1, a2);
  await cache.get({ seq: 16 });
  await cache.get({ seq: 8 }); // now most recently used
  await cache.get({ seq: 32 }); // evicts seq=16
  assert.deepEqual(created, ['seq=8', 'seq=16', 'seq=32']);
  assert.deepEqual(released, ['seq=16']);
  assert.equal(cache.size, 2);
  await cache.releaseAll();
  assert.deepEqual(released.sort(), ['seq=16', 'seq=32', 'seq=8']);
  // A failed creation is not cached.
  const failing = new SessionCache(async () => { throw new Error('boom'); }, 2);
  await assert.rejects(failing.get({ seq: 1 }), /boom/);
  assert.equal(failing.size, 0);
});
