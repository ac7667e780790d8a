// The binding redirect: with GPU support installed, a process loads onnxruntime's native library from the
// writable copy in user data (checked in /proc/self/maps, not just by our own bookkeeping) and runs a
// session; a copy that fails to load is rolled back to the bundled binding, in the process and in
// state.json, and the start-up check (verifyGpuRuntime) does the same for a copy it cannot use.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundledOrtBinDir, bundledOrtVersion } from '../../../main/devices/gpu-runtime/paths.ts';
import { readState, writeState, EMPTY_STATE } from '../../../main/devices/gpu-runtime/state.ts';
import { verifyGpuRuntime } from '../../../main/devices/gpu-runtime/verify.ts';

const FOLDER = 'onnxruntime-test-linux-x64-cuda12';

/** An installed runtime as install.ts leaves it: the bundled native files copied, state.json pointing at them. */
async function installedCopy(): Promise<{ userData: string; root: string; dir: string; done: () => Promise<void> }> {
  const userData = await mkdtemp(join(tmpdir(), 'saenggak-loader-'));
  const root = join(userData, 'gpu-runtime');
  const dir = join(root, FOLDER);
  mkdirSync(dir, { recursive: true });
  const bundled = bundledOrtBinDir();
  for (const name of readdirSync(bundled)) copyFileSync(join(bundled, name), join(dir, name));
  writeState(root, { ...EMPTY_STATE, active: FOLDER, onnxruntime: bundledOrtVersion(), target: 'linux-x64-cuda12', enabled: true });
  return { userData, root, dir, done: () => rm(userData, { recursive: true, force: true }) };
}

// A child that loads onnxruntime the way the app's entry points do (redirect first), runs a session and
// reports which libonnxruntime the dynamic linker mapped.
const CHILD = `
import { loadedBinding } from './main/devices/gpu-runtime/redirect.ts';
import { identityModel } from './main/devices/probe-model.ts';
import { onnxruntimeBinFolder } from './main/engine/runtime/providers.ts';
import { readFileSync } from 'node:fs';
const ort = await import('onnxruntime-node');
const session = await ort.InferenceSession.create(identityModel());
const { y } = await session.run({ x: new ort.Tensor('float32', new Float32Array([7]), [1]) });
const maps = readFileSync('/proc/self/maps', 'utf8').split('\\n').filter((l) => l.includes('libonnxruntime.so')).map((l) => l.split(/\\s+/).at(-1));
console.log(JSON.stringify({ y: y.data[0], binding: loadedBinding(), libs: [...new Set(maps)], engineFolder: onnxruntimeBinFolder() }));
`;

function runChild(userData: string): { y: number; binding: { path: string; fromGpuRuntime: boolean; reason: string }; libs: string[]; engineFolder: string } {
  const out = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', CHILD], {
    cwd: join(import.meta.dirname, '..', '..', '..'),
    env: { ...process.env, SAENGGAK_USER_DATA: userData },
    encoding: 'utf8',
    timeout: 60_000,
  });
  assert.equal(out.status, 0, out.stderr);
  return JSON.parse(out.stdout.trim().split('\n').at(-1)!);
}

test('with GPU support installed, onnxruntime runs from the copy in user data', { skip: process.platform !== 'linux' && 'reads /proc/self/maps' }, async () => {
  const s = await installedCopy();
  try {
    const r = runChild(s.userData);
    assert.equal(r.y, 7);
    assert.equal(r.binding.fromGpuRuntime, true);
    assert.equal(r.binding.path, join(s.dir, 'onnxruntime_binding.node'));
    assert.deepEqual(r.libs, [join(s.dir, 'libonnxruntime.so.1')], 'the linker mapped the copy, not the bundled library');
    // The engine looks for the CUDA provider libraries where the loaded binding is.
    assert.equal(r.engineFolder, s.dir);

    const verified = await verifyGpuRuntime({ userData: s.userData, probeCuda: false });
    assert.equal(verified.outcome, 'ok');
    assert.equal(verified.state.enabled, true);
    assert.equal(verified.state.verified?.ok, true);
  } finally {
    await s.done();
  }
});

test('a copied binding that fails to load falls back to the bundled one and is rolled back', { skip: process.platform !== 'linux' && 'reads /proc/self/maps' }, async () => {
  const s = await installedCopy();
  try {
    writeFileSync(join(s.dir, 'onnxruntime_binding.node'), 'this is not a shared object');
    const r = runChild(s.userData);
    assert.equal(r.y, 7, 'the session still runs, on the bundled binding');
    assert.equal(r.binding.fromGpuRuntime, false);
    assert.match(r.binding.reason, /failed to load/);
    assert.deepEqual(r.libs, [join(bundledOrtBinDir(), 'libonnxruntime.so.1')]);
    assert.equal(r.engineFolder, bundledOrtBinDir());
    const state = readState(s.root);
    assert.equal(state.enabled, false);
    assert.match(state.rolledBack?.reason ?? '', /failed to load/);

    // Later processes do not try the broken copy again.
    const again = runChild(s.userData);
    assert.equal(again.binding.fromGpuRuntime, false);
    assert.match(again.binding.reason, /disabled/);
  } finally {
    await s.done();
  }
});

test('the start-up check rolls back a copy whose library cannot run a session', { skip: process.platform !== 'linux' && 'linux runtime layout' }, async () => {
  const s = await installedCopy();
  try {
    // The binding itself is intact but its libonnxruntime is truncated: dlopen fails inside the child.
    writeFileSync(join(s.dir, 'libonnxruntime.so.1'), Buffer.alloc(4096));
    const verified = await verifyGpuRuntime({ userData: s.userData, probeCuda: false });
    assert.equal(verified.outcome, 'rolled-back');
    assert.match(verified.detail, /bundled onnxruntime again/);
    assert.equal(readState(s.root).enabled, false);
    assert.equal(verified.cpu?.available, true, 'the probe itself ran, on the bundled binding');
    // Nothing installed: nothing to check.
    const none = await verifyGpuRuntime({ userData: join(s.userData, 'elsewhere'), probeCuda: false });
    assert.equal(none.outcome, 'none');
  } finally {
    await s.done();
  }
});
