// Live telemetry from a fake nvidia-smi that speaks the real CSV (two GPUs, changing numbers): the
// watcher groups rows into one sample per period, and `saenggak devices --watch --json` prints one JSON
// line per sample until interrupted; `devices --json` carries the per-GPU telemetry fields.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { watchGpus, type TelemetrySample } from '../../../main/devices/telemetry.ts';
import { installFakeNvidiaSmi, fakeReading } from './fake-nvidia-smi.ts';

const bin = resolve(import.meta.dirname, '..', '..', '..', 'bin', 'saenggak.js');
const pick = ({ memoryUsedMiB, utilization, temperature, powerW }: TelemetrySample['gpus'][number]) => ({ memoryUsedMiB, utilization, temperature, powerW });

test('watchGpus: one sample per period with both GPUs, numbers as the driver printed them', async () => {
  const dir = await installFakeNvidiaSmi();
  const oldPath = process.env.PATH;
  process.env.PATH = `${dir}:${oldPath}`;
  try {
    const samples: TelemetrySample[] = [];
    let ended: string | null | undefined;
    const handle = await watchGpus({
      intervalMs: 100,
      onSample: (s) => {
        samples.push(s);
        if (samples.length === 3) handle.stop();
      },
      onEnd: (reason) => (ended = reason),
    });
    await handle.done;
    assert.equal(ended, null, 'stopped, not failed');
    assert.equal(samples.length, 3);
    samples.forEach((s, k) => {
      assert.deepEqual(s.gpus.map((g) => g.index), [0, 1]);
      assert.deepEqual(s.gpus.map(pick), [fakeReading(0, k), fakeReading(1, k)]);
    });
    assert.ok(Date.parse(samples[2]!.time) > Date.parse(samples[0]!.time));
  } finally {
    process.env.PATH = oldPath;
    await rm(dir, { recursive: true, force: true });
  }
});

test('watchGpus without nvidia-smi ends at once with the reason', async () => {
  const oldPath = process.env.PATH;
  process.env.PATH = '/nonexistent';
  try {
    let reason: string | null = null;
    const handle = await watchGpus({ onSample: () => assert.fail('no sample expected'), onEnd: (r) => (reason = r) });
    await handle.done;
    assert.match(reason ?? '', /nvidia-smi not found/);
  } finally {
    process.env.PATH = oldPath;
  }
});

test('saenggak devices --watch --json prints one JSON line per sample and stops on SIGINT; without nvidia-smi it fails clearly', async () => {
  const dir = await installFakeNvidiaSmi();
  try {
    const child = spawn(process.execPath, [bin, 'devices', '--watch', '--json', '--interval', '200'], {
      env: { ...process.env, PATH: `${dir}:${process.env.PATH}` },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const lines: TelemetrySample[] = [];
    const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
    for await (const line of createInterface({ input: child.stdout })) {
      lines.push(JSON.parse(line));
      if (lines.length === 3) child.kill('SIGINT');
    }
    assert.equal(await exited, 0);
    assert.equal(lines.length, 3);
    lines.forEach((s, k) => {
      assert.deepEqual(Object.keys(s), ['time', 'gpus']);
      assert.deepEqual(Object.keys(s.gpus[0]!), ['index', 'name', 'uuid', 'memoryTotalMiB', 'memoryUsedMiB', 'utilization', 'temperature', 'powerW', 'driver']);
      assert.deepEqual(s.gpus.map(pick), [fakeReading(0, k), fakeReading(1, k)]);
    });

    const none = spawn(process.execPath, [bin, 'devices', '--watch', '--json'], { env: { ...process.env, PATH: `/nonexistent:${process.execPath.replace(/\/[^/]+$/, '')}` }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    none.stderr.on('data', (c) => (stderr += c));
    const code = await new Promise<number | null>((r) => none.on('close', (c) => r(c)));
    assert.equal(code, 1);
    assert.match(stderr, /cannot watch the GPUs: nvidia-smi not found/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('saenggak devices --json carries each GPU with uuid, memory, utilisation, temperature and power', async () => {
  const dir = await installFakeNvidiaSmi();
  try {
    const child = spawn(process.execPath, [bin, 'devices', '--json'], { env: { ...process.env, PATH: `${dir}:${process.env.PATH}` }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (c) => (stdout += c));
    assert.equal(await new Promise((r) => child.on('close', r)), 0);
    const info = JSON.parse(stdout);
    assert.equal(info.gpuSource, 'nvidia-smi');
    assert.deepEqual(info.gpus[1], {
      index: 1,
      name: 'NVIDIA GeForce RTX 4090',
      uuid: 'GPU-9999bbbb-8888-7777-6666-555544443333',
      memoryTotalMiB: 24564,
      ...fakeReading(1, 0),
      driver: '550.54.15',
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
