// `--device`: parsing, the clear error naming the devices that exist, CUDA pinning by uuid, and the CLI
// option on the long commands (a nonexistent GPU fails before any work, with the fake nvidia-smi's list).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseDeviceSpec, resolveDevice } from '../../../main/devices/device-spec.ts';
import { parseNvidiaSmiCsv } from '../../../main/devices/gpus.ts';
import { buildProgram } from '../../../main/cli.ts';
import { DEVICE_COMMANDS } from '../../../main/cli/device-option.ts';
import { installFakeNvidiaSmi } from './fake-nvidia-smi.ts';

const gpus = parseNvidiaSmiCsv(
  '0, NVIDIA H100 80GB HBM3, GPU-aaaa, 81559, 70000, 90, 70, 600, 550.1\n1, NVIDIA H100 80GB HBM3, GPU-bbbb, 81559, 1000, 0, 35, 80, 550.1\n',
);

test('device specs parse; bad ones are refused with the accepted forms', () => {
  assert.deepEqual(parseDeviceSpec('cpu'), { kind: 'cpu', index: null });
  assert.deepEqual(parseDeviceSpec('CUDA:1'), { kind: 'cuda', index: 1 });
  assert.deepEqual(parseDeviceSpec('webgpu'), { kind: 'webgpu', index: null });
  assert.throws(() => parseDeviceSpec('gpu:0'), /--device must be cpu, webgpu, webgpu:N, cuda or cuda:N, got "gpu:0"/);
  assert.throws(() => parseDeviceSpec('cpu:1'), /takes no index/);
  assert.throws(() => parseDeviceSpec('cuda:-1'), /--device must be/);
});

test('resolution: CUDA pinned by uuid, the freest GPU for plain cuda, and errors that list what exists', () => {
  const one = resolveDevice({ kind: 'cuda', index: 0 }, { gpus, webgpu: true });
  assert.deepEqual(one.env, { SAENGGAK_DEVICE_PROVIDER: 'cuda', SAENGGAK_DEVICE: 'cuda:0', CUDA_DEVICE_ORDER: 'PCI_BUS_ID', CUDA_VISIBLE_DEVICES: 'GPU-aaaa' });
  assert.equal(resolveDevice({ kind: 'cuda', index: null }, { gpus, webgpu: false }).label, 'cuda:1', 'GPU 1 has the most free memory');
  assert.throws(
    () => resolveDevice({ kind: 'cuda', index: 2 }, { gpus, webgpu: true }),
    { message: '--device cuda:2: there is no GPU 2; devices here: cpu, webgpu, cuda:0 (NVIDIA H100 80GB HBM3), cuda:1 (NVIDIA H100 80GB HBM3)' },
  );
  assert.throws(() => resolveDevice({ kind: 'cuda', index: null }, { gpus: [], webgpu: false }), /no NVIDIA GPU here; devices here: cpu$/);
  assert.throws(() => resolveDevice({ kind: 'webgpu', index: null }, { gpus: [], webgpu: false }), /cannot create a session here/);
  assert.throws(() => resolveDevice({ kind: 'webgpu', index: 1 }, { gpus: [], webgpu: true }), /chooses the WebGPU adapter itself/);
  assert.deepEqual(resolveDevice({ kind: 'cpu', index: null }, { gpus, webgpu: true }).env, { SAENGGAK_DEVICE_PROVIDER: 'cpu' });
});

test('every long command takes --device', () => {
  const program = buildProgram();
  for (const path of DEVICE_COMMANDS) {
    let at = program;
    for (const name of path.split(' ')) at = at.commands.find((c) => c.name() === name)!;
    assert.ok(at, `${path} exists`);
    assert.ok(at.options.some((o) => o.long === '--device'), `${path} has --device`);
  }
});

test('a nonexistent GPU stops the command before any work, naming the GPUs that exist', async () => {
  const dir = await installFakeNvidiaSmi();
  try {
    const bin = resolve(import.meta.dirname, '..', '..', '..', 'bin', 'saenggak.js');
    const child = spawn(process.execPath, [bin, 'generate', '--model', '/nonexistent-model', '--prompt', 'x', '--device', 'cuda:7'], {
      env: { ...process.env, PATH: `${dir}:${process.env.PATH}` },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (c) => (stderr += c));
    const code = await new Promise((r) => child.on('close', r));
    assert.equal(code, 1);
    assert.match(stderr, /--device cuda:7: there is no GPU 7; devices here: cpu, cuda:0 \(NVIDIA A100-SXM4-80GB\), cuda:1 \(NVIDIA GeForce RTX 4090\)/);
    assert.doesNotMatch(stderr, /nonexistent-model/, 'the device is checked before the command looks at its model');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("the engine honours the process's device over a caller's provider request", async () => {
  const { chooseExecutionProvider } = await import('../../../main/engine/runtime/providers.ts');
  const saved = process.env.SAENGGAK_DEVICE_PROVIDER;
  try {
    // Without the override, asking for CUDA on this machine fails (no CUDA libraries here).
    delete process.env.SAENGGAK_DEVICE_PROVIDER;
    await assert.rejects(chooseExecutionProvider('cuda'), /cuda' was requested but is unavailable/);
    process.env.SAENGGAK_DEVICE_PROVIDER = 'cpu';
    assert.equal((await chooseExecutionProvider('cuda')).provider, 'cpu');
    assert.equal((await chooseExecutionProvider('auto')).provider, 'cpu');
  } finally {
    if (saved === undefined) delete process.env.SAENGGAK_DEVICE_PROVIDER;
    else process.env.SAENGGAK_DEVICE_PROVIDER = saved;
  }
});
