// Prerequisite checks against a fake library folder and a recorded `ldconfig -p`: what is found where,
// what is missing with the install line for the machine's package manager, and the driver minimum.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkPrerequisites, parseLdconfig, versionAtLeast, packageManager, readProcDriverVersion } from '../../../main/devices/gpu-runtime/prerequisites.ts';

const LDCONFIG = `1234 libs found in cache \`/etc/ld.so.cache'
\tlibvulkan.so.1 (libc6,x86-64) => /usr/lib/x86_64-linux-gnu/libvulkan.so.1
\tlibcudnn.so.9 (libc6) => /usr/lib/i386-linux-gnu/libcudnn.so.9
\tlibcudnn.so.9 (libc6,x86-64) => /usr/lib/x86_64-linux-gnu/libcudnn.so.9
\tlibc.so.6 (libc6,x86-64, OS ABI: Linux 3.2.0) => /lib/x86_64-linux-gnu/libc.so.6
`;

test('ldconfig cache lines map a soname to its 64-bit path', { skip: process.arch !== 'x64' && 'x86-64 cache lines' }, () => {
  const libs = parseLdconfig(LDCONFIG);
  assert.equal(libs.get('libcudnn.so.9'), '/usr/lib/x86_64-linux-gnu/libcudnn.so.9');
  assert.equal(libs.get('libc.so.6'), '/lib/x86_64-linux-gnu/libc.so.6');
  assert.equal(libs.size, 3);
});

test('driver versions compare part by part', () => {
  assert.equal(versionAtLeast('550.54.15', '525.60.13'), true);
  assert.equal(versionAtLeast('525.60.13', '525.60.13'), true);
  assert.equal(versionAtLeast('525.60.9', '525.60.13'), false);
  assert.equal(versionAtLeast('470.256.02', '525.60.13'), false);
});

test('a fake CUDA folder: found libraries name their path, missing ones their install line', { skip: process.arch !== 'x64' && 'x86-64 cache lines' }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'saenggak-cuda-'));
  try {
    for (const lib of ['libcudart.so.12', 'libcublas.so.12', 'libcublasLt.so.12', 'libcurand.so.10']) await writeFile(join(dir, lib), '');
    const report = await checkPrerequisites({ ldconfig: LDCONFIG, searchDirs: [dir], driverVersion: '550.54.15', platform: 'linux', manager: 'apt' });
    const byId = Object.fromEntries(report.checks.map((c) => [c.id, c]));
    assert.equal(byId.cudart!.where, join(dir, 'libcudart.so.12'));
    assert.equal(byId.cudnn!.where, '/usr/lib/x86_64-linux-gnu/libcudnn.so.9');
    assert.equal(byId.vulkan!.found, true);
    assert.equal(byId['nvidia-driver']!.found, true);
    // Only cuFFT is missing: CUDA is not ready and the line says what to install.
    assert.deepEqual(report.checks.filter((c) => !c.found).map((c) => c.id), ['cufft']);
    assert.equal(byId.cufft!.installLine, 'sudo apt install libcufft-12-8');
    assert.equal(report.cudaReady, false);
    assert.equal(report.webgpuReady, true);
    assert.deepEqual(report.searched, ['ldconfig -p', dir]);

    await writeFile(join(dir, 'libcufft.so.11'), '');
    const ready = await checkPrerequisites({ ldconfig: LDCONFIG, searchDirs: [dir], driverVersion: '550.54.15', platform: 'linux', manager: 'dnf' });
    assert.equal(ready.cudaReady, true);

    // An old driver, or none, fails CUDA even with every library present; dnf lines for Fedora.
    const old = await checkPrerequisites({ ldconfig: '', searchDirs: [dir], driverVersion: '470.256.02', platform: 'linux', manager: 'dnf' });
    const driver = old.checks.find((c) => c.id === 'nvidia-driver')!;
    assert.equal(driver.found, false);
    assert.equal(driver.needed, '>= 525.60.13');
    assert.match(driver.installLine, /dnf install akmod-nvidia/);
    assert.equal(old.cudaReady, false);
    assert.equal(old.checks.find((c) => c.id === 'vulkan')!.installLine, 'sudo dnf install vulkan-loader');
    const none = await checkPrerequisites({ ldconfig: '', searchDirs: [], driverVersion: null, platform: 'linux', manager: 'apt' });
    assert.equal(none.checks.every((c) => !c.found), true);
    assert.equal(none.checks.find((c) => c.id === 'cudnn')!.installLine, 'sudo apt install libcudnn9-cuda-12');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('the package manager comes from os-release; the driver version from /proc', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'saenggak-os-'));
  try {
    await writeFile(join(dir, 'fedora'), 'NAME="Fedora Linux"\nID=fedora\nVERSION_ID=41\n');
    await writeFile(join(dir, 'ubuntu'), 'NAME="Ubuntu"\nID=ubuntu\nID_LIKE=debian\n');
    await writeFile(join(dir, 'rocky'), 'ID="rocky"\nID_LIKE="rhel centos fedora"\n');
    assert.equal(packageManager(join(dir, 'fedora')), 'dnf');
    assert.equal(packageManager(join(dir, 'ubuntu')), 'apt');
    assert.equal(packageManager(join(dir, 'rocky')), 'dnf');
    await writeFile(
      join(dir, 'version'),
      'NVRM version: NVIDIA UNIX x86_64 Kernel Module  550.54.15  Tue Mar  5 22:23:56 UTC 2024\nGCC version:  gcc version 12.2.0\n',
    );
    assert.equal(readProcDriverVersion(join(dir, 'version')), '550.54.15');
    // The open kernel module words it differently.
    await writeFile(join(dir, 'open'), 'NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  570.86.15  Release Build  (dvs-builder@U16)\n');
    assert.equal(readProcDriverVersion(join(dir, 'open')), '570.86.15');
    assert.equal(readProcDriverVersion(join(dir, 'missing')), null);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
