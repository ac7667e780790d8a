// `setup gpu`'s download and install against a local release server: progress, resume after a cut
// connection and after a restart, a wrong digest refused with nothing left behind, unknown versions and
// unrecorded digests refused before any request, and the installed runtime's layout.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startReleaseServer } from './release-server.ts';
import { installGpuRuntime, dryRunPlan, UnrecordedDigestError } from '../../../main/devices/gpu-runtime/install.ts';
import { DigestMismatchError } from '../../../main/devices/gpu-runtime/download.ts';
import { GPU_RELEASES, type ReleaseTable } from '../../../main/devices/gpu-runtime/releases.ts';
import { readState } from '../../../main/devices/gpu-runtime/state.ts';
import { listZipEntries, extractZipEntry } from '../../../main/devices/gpu-runtime/zip.ts';
import { bundledOrtBinDir } from '../../../main/devices/gpu-runtime/paths.ts';

// An independent ZIP writer (adm-zip, onnxruntime-node's own installer dependency) makes the archives,
// so our reader is checked against someone else's writer.
type AdmZipT = { addFile(name: string, data: Buffer): void; toBuffer(): Buffer; getEntries(): { header: { method: number } }[] };
const AdmZip = createRequire(import.meta.url)('adm-zip') as new () => AdmZipT;

const NATIVE = 'runtimes/linux-x64/native/';
const PROVIDERS = ['libonnxruntime_providers_cuda.so', 'libonnxruntime_providers_shared.so', 'libonnxruntime_providers_tensorrt.so'];

/** A nupkg-shaped archive: the three provider files (compressible and random content) plus NuGet's clutter. */
function releaseArchive(): { zip: Buffer; contents: Record<string, Buffer> } {
  const zip = new AdmZip();
  const contents: Record<string, Buffer> = {};
  PROVIDERS.forEach((name, i) => {
    // Half random (stored-like), half repetitive (deflates well): both code paths of the reader.
    const data = Buffer.concat([randomBytes(150_000 + i * 1000), Buffer.alloc(200_000, i + 1)]);
    contents[name] = data;
    zip.addFile(NATIVE + name, data);
  });
  zip.addFile('Microsoft.ML.OnnxRuntime.Gpu.Linux.nuspec', Buffer.from('<package/>'));
  zip.addFile('runtimes/linux-x64/native/libonnxruntime.so', Buffer.from('not ours: the bundled one is used'));
  return { zip: zip.toBuffer(), contents };
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** The real 1.30.0 release entry, pointed at the local server, with the given digest. */
function tableFor(baseUrl: string, digest: string | null, version = '1.30.0'): ReleaseTable {
  const real = GPU_RELEASES['1.30.0']!['linux-x64-cuda12']!;
  const file = real.files[0]!;
  return {
    [version]: {
      'linux-x64-cuda12': { ...real, onnxruntime: version, files: [{ ...file, url: `${baseUrl}/${file.name}`, sha256: digest }] },
    },
  };
}

async function scratch() {
  const userData = await mkdtemp(join(tmpdir(), 'saenggak-gpu-'));
  return { userData, root: join(userData, 'gpu-runtime'), done: () => rm(userData, { recursive: true, force: true }) };
}

const ARCHIVE = GPU_RELEASES['1.30.0']!['linux-x64-cuda12']!.files[0]!.name;

test('dry run: the 1.30.0 plan names the NuGet package onnxruntime-node installs, from nuget.org', () => {
  const plan = dryRunPlan({ onnxruntime: '1.30.0', platform: 'linux', arch: 'x64' });
  assert.deepEqual(plan, {
    onnxruntime: '1.30.0',
    target: 'linux-x64-cuda12',
    files: [
      {
        name: 'microsoft.ml.onnxruntime.gpu.linux.1.30.0.nupkg',
        url: 'https://api.nuget.org/v3-flatcontainer/microsoft.ml.onnxruntime.gpu.linux/1.30.0/microsoft.ml.onnxruntime.gpu.linux.1.30.0.nupkg',
        bytes: null,
        sha256: null,
      },
    ],
  });
  // The member paths are the ones onnxruntime-node's own install metadata extracts.
  const metadata = createRequire(import.meta.url)('onnxruntime-node/script/install-metadata.js') as {
    manifests: Record<string, Record<string, { path: string }>>;
  };
  const theirs = Object.values(metadata.manifests['linux/x64:cuda12']!).map((m) => m.path).sort();
  assert.deepEqual(GPU_RELEASES['1.30.0']!['linux-x64-cuda12']!.members.map((m) => m.pathInArchive).sort(), theirs);
  assert.throws(() => dryRunPlan({ onnxruntime: '1.30.0', platform: 'win32', arch: 'x64' }), /no CUDA download for win32\/x64/);
});

test('our ZIP reader extracts what an independent writer stored, byte for byte', async () => {
  const { zip, contents } = releaseArchive();
  const s = await scratch();
  try {
    mkdirSync(s.userData, { recursive: true });
    const path = join(s.userData, 'a.zip');
    writeFileSync(path, zip);
    const entries = await listZipEntries(path);
    assert.equal(entries.length, 5);
    for (const name of PROVIDERS) {
      const entry = entries.find((e) => e.name === NATIVE + name)!;
      assert.equal(entry.method, 8, 'adm-zip deflates these');
      await extractZipEntry(path, entry, join(s.userData, name));
      assert.ok(readFileSync(join(s.userData, name)).equals(contents[name]!), name);
    }
  } finally {
    await s.done();
  }
});

test('install: progress events, a connection cut twice is resumed with Range requests, the runtime folder is complete', async () => {
  const { zip, contents } = releaseArchive();
  const server = await startReleaseServer({ [`/${ARCHIVE}`]: zip });
  const s = await scratch();
  try {
    server.cutNext(2, 100_000);
    const progress: { received: number; total: number | null; attempt: number }[] = [];
    const result = await installGpuRuntime({
      userData: s.userData,
      onnxruntime: '1.30.0',
      platform: 'linux',
      arch: 'x64',
      table: tableFor(server.url, sha256(zip)),
      onProgress: (p) => {
        if (p.phase === 'download') progress.push({ received: p.receivedBytes, total: p.totalBytes, attempt: p.attempt });
      },
    });
    // Three requests: fresh, then resumed from what was on disk after each cut. The server sent exactly
    // 100 kB before closing each time; Node's HTTP client may drop the last chunk it had parsed but not yet
    // emitted when the connection ends early, so a resume point is at most, not exactly, 100 kB further.
    const ranges = server.requests.map((r) => r.range);
    assert.equal(ranges.length, 3);
    assert.equal(ranges[0], null);
    const [a, b] = ranges.slice(1).map((r) => Number(/^bytes=(\d+)-$/.exec(r ?? '')?.[1]));
    assert.ok(a! > 0 && a! <= 100_000 && b! > a! && b! - a! <= 100_000, `resumed at ${a} then ${b}`);
    assert.ok(progress.length >= 3);
    for (let i = 1; i < progress.length; i++) assert.ok(progress[i]!.received >= progress[i - 1]!.received, 'progress never goes back');
    assert.deepEqual(progress.at(-1), { received: zip.length, total: zip.length, attempt: 3 });
    assert.equal(result.archives[0]!.sha256, sha256(zip));

    const dir = join(s.root, 'onnxruntime-1.30.0-linux-x64-cuda12');
    assert.equal(result.dir, dir);
    for (const name of PROVIDERS) assert.ok(readFileSync(join(dir, name)).equals(contents[name]!), name);
    // The bundled native files are copied beside the providers, unchanged.
    const bundled = bundledOrtBinDir('linux', 'x64');
    for (const name of readdirSync(bundled)) assert.ok(readFileSync(join(dir, name)).equals(readFileSync(join(bundled, name))), name);
    const manifest = JSON.parse(readFileSync(join(dir, 'install.json'), 'utf8'));
    assert.equal(manifest.files.find((f: { name: string }) => f.name === PROVIDERS[0]).sha256, sha256(contents[PROVIDERS[0]!]!));
    const state = readState(s.root);
    assert.equal(state.active, 'onnxruntime-1.30.0-linux-x64-cuda12');
    assert.equal(state.enabled, true);
    assert.equal(state.onnxruntime, '1.30.0');
    // No staging folder or download left behind.
    assert.deepEqual(readdirSync(s.root).sort(), ['downloads', 'onnxruntime-1.30.0-linux-x64-cuda12', 'state.json']);
    assert.deepEqual(readdirSync(join(s.root, 'downloads')), []);
  } finally {
    await server.close();
    await s.done();
  }
});

test('install resumes a part file left by an interrupted earlier run (app restart)', async () => {
  const { zip } = releaseArchive();
  const server = await startReleaseServer({ [`/${ARCHIVE}`]: zip });
  const s = await scratch();
  try {
    mkdirSync(join(s.root, 'downloads'), { recursive: true });
    writeFileSync(join(s.root, 'downloads', `${ARCHIVE}.part`), zip.subarray(0, 123_456));
    await installGpuRuntime({ userData: s.userData, onnxruntime: '1.30.0', platform: 'linux', arch: 'x64', table: tableFor(server.url, sha256(zip)) });
    assert.deepEqual(server.requests.map((r) => r.range), ['bytes=123456-']);
    assert.equal(readState(s.root).active, 'onnxruntime-1.30.0-linux-x64-cuda12');
  } finally {
    await server.close();
    await s.done();
  }
});

test('a wrong digest is refused: the download is deleted, nothing is installed, an earlier install is untouched', async () => {
  const { zip } = releaseArchive();
  const server = await startReleaseServer({ [`/${ARCHIVE}`]: zip });
  const s = await scratch();
  try {
    const wrong = sha256(Buffer.from('something else'));
    await assert.rejects(
      installGpuRuntime({ userData: s.userData, onnxruntime: '1.30.0', platform: 'linux', arch: 'x64', table: tableFor(server.url, wrong) }),
      (error: unknown) => error instanceof DigestMismatchError && error.actual === sha256(zip) && /nothing was installed/.test(error.message),
    );
    assert.deepEqual(readdirSync(s.root), ['downloads']);
    assert.deepEqual(readdirSync(join(s.root, 'downloads')), []);
    assert.equal(existsSync(join(s.root, 'state.json')), false);

    // With a good install in place, a tampered re-download leaves it exactly as it was.
    await installGpuRuntime({ userData: s.userData, onnxruntime: '1.30.0', platform: 'linux', arch: 'x64', table: tableFor(server.url, sha256(zip)) });
    const before = readFileSync(join(s.root, 'state.json'), 'utf8');
    await assert.rejects(
      installGpuRuntime({ userData: s.userData, onnxruntime: '1.30.0', platform: 'linux', arch: 'x64', table: tableFor(server.url, wrong) }),
      DigestMismatchError,
    );
    assert.equal(readFileSync(join(s.root, 'state.json'), 'utf8'), before);
    assert.deepEqual(readdirSync(s.root).sort(), ['downloads', 'onnxruntime-1.30.0-linux-x64-cuda12', 'state.json']);
  } finally {
    await server.close();
    await s.done();
  }
});

test('an unknown onnxruntime version and an unrecorded digest are refused before any request', async () => {
  const { zip } = releaseArchive();
  const server = await startReleaseServer({ [`/${ARCHIVE}`]: zip });
  const s = await scratch();
  try {
    await assert.rejects(
      installGpuRuntime({ userData: s.userData, onnxruntime: '1.99.0', platform: 'linux', arch: 'x64', table: tableFor(server.url, sha256(zip)) }),
      /no CUDA download is recorded for onnxruntime 1\.99\.0 \(recorded: 1\.30\.0\)/,
    );
    await assert.rejects(
      installGpuRuntime({ userData: s.userData, onnxruntime: '1.30.0', platform: 'linux', arch: 'x64', table: tableFor(server.url, null) }),
      (error: unknown) => error instanceof UnrecordedDigestError && /--allow-unrecorded-digest/.test(error.message),
    );
    assert.equal(server.requests.length, 0);
    // Accepting it installs and reports the measured digest, marked as not recorded.
    const result = await installGpuRuntime({
      userData: s.userData,
      onnxruntime: '1.30.0',
      platform: 'linux',
      arch: 'x64',
      table: tableFor(server.url, null),
      allowUnrecordedDigest: true,
    });
    assert.deepEqual(result.archives, [{ name: ARCHIVE, sha256: sha256(zip), bytes: zip.length, recorded: false }]);
  } finally {
    await server.close();
    await s.done();
  }
});

test('offline: an archive placed by hand in downloads/ is installed without any request, and kept; a wrong one is refused', async () => {
  const { zip, contents } = releaseArchive();
  const server = await startReleaseServer({});
  const s = await scratch();
  try {
    mkdirSync(join(s.root, 'downloads'), { recursive: true });
    const placed = join(s.root, 'downloads', ARCHIVE);
    writeFileSync(placed, Buffer.from('a different file'));
    await assert.rejects(
      installGpuRuntime({ userData: s.userData, onnxruntime: '1.30.0', platform: 'linux', arch: 'x64', table: tableFor(server.url, sha256(zip)) }),
      /left where it is and nothing was installed/,
    );
    assert.equal(existsSync(join(s.root, 'state.json')), false);
    writeFileSync(placed, zip);
    await installGpuRuntime({ userData: s.userData, onnxruntime: '1.30.0', platform: 'linux', arch: 'x64', table: tableFor(server.url, sha256(zip)) });
    assert.equal(server.requests.length, 0);
    assert.ok(readFileSync(join(s.root, 'onnxruntime-1.30.0-linux-x64-cuda12', PROVIDERS[0]!)).equals(contents[PROVIDERS[0]!]!));
    assert.ok(existsSync(placed), "the user's file stays");
  } finally {
    await server.close();
    await s.done();
  }
});
