#!/usr/bin/env node
// `npm run setup:gpu`: for a source checkout only. The app itself (and `npx saenggak setup gpu`) installs
// GPU support into the user-data folder instead, digest-checked and without writing into node_modules
// (main/devices/gpu-runtime/, docs/gpu.md); a runtime installed there takes precedence when the app loads.
//
// This script installs onnxruntime-node's CUDA execution provider libraries, which the default
// `npm install` skips (.npmrc: onnxruntime-node-install=skip, ignore-scripts=true) because they come from
// NuGet, not the npm registry.
//
// It runs onnxruntime-node's own installer (node_modules/onnxruntime-node/script/install.js) with its
// CUDA option `--onnxruntime-node-install=cuda12`, then checks that the provider libraries landed and
// that a CUDA session can be created. Needs internet access to api.nuget.org, an NVIDIA driver and the
// CUDA 12 + cuDNN 9 runtime libraries on the library path.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import os from 'node:os';

const require = createRequire(import.meta.url);
const ortRoot = dirname(require.resolve('onnxruntime-node/package.json'));
const platform = `${os.platform()}/${os.arch()}`;
const binDir = join(ortRoot, 'bin', 'napi-v6', platform);
const metadata = require(join(ortRoot, 'script', 'install-metadata.js'));

const manifestNames = metadata.requirements[platform] ?? [];
if (!manifestNames.includes('cuda12')) {
  console.log(
    `onnxruntime-node ships no separate CUDA download for ${platform}: nothing to install.\n` +
      'CPU and WebGPU work out of the box; run `npx saenggak devices` to see what is available.',
  );
  process.exit(0);
}
const expected = Object.keys(metadata.manifests[`${platform}:cuda12`]).map((file) => join(binDir, file));

console.log('Installing onnxruntime-node CUDA 12 provider libraries from NuGet (a few hundred MB)...');
// The installer reads its option from ONNXRUNTIME_NODE_INSTALL before the command line, and `npm run`
// exports our .npmrc's `onnxruntime-node-install=skip` as npm_config_onnxruntime_node_install: set the
// variable it reads first and drop the npm one, so the CUDA option really applies.
const env = { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'cuda12' };
delete env.npm_config_onnxruntime_node_install;
const install = spawnSync(process.execPath, [join(ortRoot, 'script', 'install.js'), '--onnxruntime-node-install=cuda12'], {
  cwd: ortRoot,
  env,
  stdio: 'inherit',
});
if (install.status !== 0) {
  console.error(
    `\nonnxruntime-node's installer failed (exit ${install.status}). It downloads from https://api.nuget.org: check the` +
      ' internet connection or proxy (GLOBAL_AGENT_HTTPS_PROXY), then run `npm run setup:gpu` again.',
  );
  process.exit(1);
}

const missing = expected.filter((path) => !existsSync(path));
if (missing.length) {
  console.error(`The installer finished but these libraries are missing:\n  ${missing.join('\n  ')}`);
  process.exit(1);
}
console.log(`Provider libraries present in ${binDir}:\n  ${expected.map((p) => p.slice(binDir.length + 1)).join('\n  ')}`);

// A library on disk is not a working provider: CUDA and cuDNN must load too. Probe in a child process.
const probe = spawnSync(
  process.execPath,
  ['--import', 'tsx', join(import.meta.dirname, '..', 'main', 'devices', 'probe-provider.ts'), 'cuda'],
  { encoding: 'utf8', timeout: 120_000 },
);
let result = { ok: false, detail: probe.error?.message ?? `probe exited with ${probe.status}` };
try {
  result = JSON.parse(probe.stdout.trim().split('\n').at(-1));
} catch {}
if (result.ok) {
  console.log('CUDA execution provider: available (created and ran a session).');
} else {
  console.error(
    `CUDA execution provider: not usable yet: ${result.detail}\n` +
      'The libraries are installed; the CUDA 12 runtime and cuDNN 9 must also be installed and on the library path' +
      ' (e.g. LD_LIBRARY_PATH), with an NVIDIA driver that supports CUDA 12.',
  );
  process.exit(2);
}
