// devices/check-device.ts: the one device check behind `--device` (CLI) and a form's device (API). The
// doors' own tests (device-spec.test.ts spawns the CLI, device-choice.test.ts calls the API) cover the
// messages end to end; this pins what the shared function promises each door.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkDevice } from '../../../main/devices/check-device.ts';
import type { DeviceSpec } from '../../../main/devices/device-spec.ts';
import type { GpuInfo } from '../../../main/devices/types.ts';

const gpu = (index: number, name: string, used: number): GpuInfo =>
  ({ index, name, uuid: `GPU-${index}`, memoryTotalMiB: 81920, memoryUsedMiB: used, utilization: null, temperature: null, powerW: null, driver: '550' }) as GpuInfo;

test('checkDevice: the CPU never reads the machine; other devices read it once, with the parsed spec', async () => {
  const asked: DeviceSpec[] = [];
  const machine = async (spec: DeviceSpec) => (asked.push(spec), { gpus: [gpu(0, 'A', 70000), gpu(1, 'B', 1000)], webgpu: false });
  assert.equal((await checkDevice('cpu', machine)).label, 'cpu');
  assert.deepEqual(asked, []);
  const one = await checkDevice('cuda:1', machine);
  assert.deepEqual([one.label, one.env.CUDA_VISIBLE_DEVICES, one.env.SAENGGAK_DEVICE_PROVIDER], ['cuda:1', 'GPU-1', 'cuda']);
  // `cuda` alone is the GPU with the most free memory.
  assert.equal((await checkDevice('CUDA', machine)).label, 'cuda:1');
  assert.deepEqual(asked, [{ kind: 'cuda', index: 1 }, { kind: 'cuda', index: null }]);
  await assert.rejects(checkDevice('cuda:7', machine), /--device cuda:7: there is no GPU 7; devices here: cpu, cuda:0 \(A\), cuda:1 \(B\)/);
  await assert.rejects(checkDevice('webgpu', machine), /the WebGPU provider cannot create a session here/);
  // A malformed text fails before the machine is read.
  const before = asked.length;
  await assert.rejects(checkDevice('tpu', machine), /--device must be cpu, webgpu/);
  assert.equal(asked.length, before);
});
