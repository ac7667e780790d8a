import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile, chmod, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseNvidiaSmiCsv, listGpus } from '../../../main/devices/gpus.ts';
import { installFakeNvidiaSmi, fakeReading } from './fake-nvidia-smi.ts';
import { probeProvider } from '../../../main/devices/providers.ts';
import { identityModel } from '../../../main/devices/probe-model.ts';
import * as ort from 'onnxruntime-node';

test('nvidia-smi CSV rows become GPU records; [N/A] readings become null', () => {
  const csv =
    '0, NVIDIA H100 80GB HBM3, GPU-1d2e3f40-aaaa-bbbb-cccc-0123456789ab, 81559, 1234, 97, 71, 612.35, 550.54.15\n' +
    '1, NVIDIA GeForce RTX 4090, GPU-ffffffff-0000-1111-2222-333333333333, 24564, 0, 0, 30, [N/A], 550.54.15\n\n';
  assert.deepEqual(parseNvidiaSmiCsv(csv), [
    { index: 0, name: 'NVIDIA H100 80GB HBM3', uuid: 'GPU-1d2e3f40-aaaa-bbbb-cccc-0123456789ab', memoryTotalMiB: 81559, memoryUsedMiB: 1234, utilization: 97, temperature: 71, powerW: 612.35, driver: '550.54.15' },
    { index: 1, name: 'NVIDIA GeForce RTX 4090', uuid: 'GPU-ffffffff-0000-1111-2222-333333333333', memoryTotalMiB: 24564, memoryUsedMiB: 0, utilization: 0, temperature: 30, powerW: null, driver: '550.54.15' },
  ]);
});

test('listGpus runs nvidia-smi with the telemetry query when it is on PATH, and says why the list is empty when not', async () => {
  const empty = await mkdtemp(join(tmpdir(), 'saenggak-smi-'));
  const oldPath = process.env.PATH;
  try {
    process.env.PATH = empty;
    const missing = await listGpus();
    assert.deepEqual(missing.gpus, []);
    assert.match(missing.source, /nvidia-smi not found/);

    // The fake answers only the exact query we document, so a changed query fails this test.
    process.env.PATH = await installFakeNvidiaSmi();
    const found = await listGpus();
    assert.equal(found.source, 'nvidia-smi');
    assert.deepEqual(
      found.gpus.map((g) => ({ index: g.index, uuid: g.uuid, total: g.memoryTotalMiB })),
      [
        { index: 0, uuid: 'GPU-0000aaaa-1111-2222-3333-444455556666', total: 81920 },
        { index: 1, uuid: 'GPU-9999bbbb-8888-7777-6666-555544443333', total: 24564 },
      ],
    );
    assert.deepEqual(
      found.gpus.map(({ memoryUsedMiB, utilization, temperature, powerW }) => ({ memoryUsedMiB, utilization, temperature, powerW })),
      [fakeReading(0, 0), fakeReading(1, 0)],
    );
  } finally {
    process.env.PATH = oldPath;
    await rm(empty, { recursive: true, force: true });
  }
});

test('the hand-encoded probe model loads in onnxruntime and is the identity', async () => {
  const session = await ort.InferenceSession.create(identityModel());
  const { y } = await session.run({ x: new ort.Tensor('float32', new Float32Array([-3.5]), [1]) });
  assert.equal((y!.data as Float32Array)[0], -3.5);
});

test('the CPU provider probes available in a child process; an unknown provider probes unavailable with a reason', async () => {
  const cpu = await probeProvider('cpu');
  const { binding, ...status } = cpu;
  assert.deepEqual(status, { name: 'cpu', available: true, detail: 'created and ran a session' });
  // The probe reports which native binding it loaded (bundled here, or an installed GPU runtime).
  assert.match(binding?.path ?? '', /onnxruntime_binding\.node$/);
  const bogus = await probeProvider('no-such-ep' as 'cuda');
  assert.equal(bogus.available, false);
  assert.ok(bogus.detail.length > 0);
});
