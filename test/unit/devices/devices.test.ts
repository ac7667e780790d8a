import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile, chmod, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseNvidiaSmiCsv, listGpus } from '../../../main/devices/gpus.ts';
import { probeProvider } from '../../../main/devices/providers.ts';
import { identityModel } from '../../../main/devices/probe-model.ts';
import * as ort from 'onnxruntime-node';

test('nvidia-smi CSV rows become GPU records', () => {
  const csv = '0, NVIDIA H100 80GB HBM3, 81559, 1234, 550.54.15\n1, NVIDIA GeForce RTX 4090, 24564, 0, 550.54.15\n\n';
  assert.deepEqual(parseNvidiaSmiCsv(csv), [
    { index: 0, name: 'NVIDIA H100 80GB HBM3', memoryTotalMiB: 81559, memoryUsedMiB: 1234, driver: '550.54.15' },
    { index: 1, name: 'NVIDIA GeForce RTX 4090', memoryTotalMiB: 24564, memoryUsedMiB: 0, driver: '550.54.15' },
  ]);
});

test('listGpus runs nvidia-smi with the CSV query when it is on PATH, and says why the list is empty when not', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'saenggak-smi-'));
  const oldPath = process.env.PATH;
  try {
    process.env.PATH = dir;
    const missing = await listGpus();
    assert.deepEqual(missing.gpus, []);
    assert.match(missing.source, /nvidia-smi not found/);

    const fake = join(dir, 'nvidia-smi');
    // Answers only the exact query we document, so a changed query fails this test.
    await writeFile(
      fake,
      '#!/bin/sh\n[ "$1" = "--query-gpu=index,name,memory.total,memory.used,driver_version" ] && [ "$2" = "--format=csv,noheader,nounits" ] || exit 9\necho "0, Tesla T4, 15360, 5, 535.1"\n',
    );
    await chmod(fake, 0o755);
    const found = await listGpus();
    assert.equal(found.source, 'nvidia-smi');
    assert.deepEqual(found.gpus, [{ index: 0, name: 'Tesla T4', memoryTotalMiB: 15360, memoryUsedMiB: 5, driver: '535.1' }]);
  } finally {
    process.env.PATH = oldPath;
    await rm(dir, { recursive: true, force: true });
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
