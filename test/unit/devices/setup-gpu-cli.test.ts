// `saenggak setup gpu` through the real entry point, against a local mirror of nuget.org's flat container.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startReleaseServer } from './release-server.ts';

const bin = resolve(import.meta.dirname, '..', '..', '..', 'bin', 'saenggak.js');
type AdmZipT = { addFile(name: string, data: Buffer): void; toBuffer(): Buffer };
const AdmZip = createRequire(import.meta.url)('adm-zip') as new () => AdmZipT;

function saenggak(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [bin, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

const NAME = 'microsoft.ml.onnxruntime.gpu.linux.1.30.0.nupkg';

test('setup gpu --dry-run --json prints the plan; an install from a mirror verifies, loads the copy, and says CUDA is not usable here', { skip: !(process.platform === 'linux' && process.arch === 'x64') && 'linux-x64 CUDA download only' }, async () => {
  const zip = new AdmZip();
  for (const f of ['cuda', 'shared', 'tensorrt']) zip.addFile(`runtimes/linux-x64/native/libonnxruntime_providers_${f}.so`, randomBytes(50_000));
  const archive = zip.toBuffer();
  const digest = createHash('sha256').update(archive).digest('hex');
  const server = await startReleaseServer({ [`/microsoft.ml.onnxruntime.gpu.linux/1.30.0/${NAME}`]: archive });
  const userData = await mkdtemp(join(tmpdir(), 'saenggak-setup-'));
  const env = { SAENGGAK_USER_DATA: userData };
  try {
    const plan = await saenggak(['setup', 'gpu', '--dry-run', '--json'], env);
    assert.equal(plan.code, 0, plan.stderr);
    assert.deepEqual(Object.keys(JSON.parse(plan.stdout)), ['onnxruntime', 'target', 'files']);
    assert.deepEqual(Object.keys(JSON.parse(plan.stdout).files[0]), ['name', 'url', 'bytes', 'sha256']);

    // No digest recorded for 1.30.0 yet: refused without one.
    const refused = await saenggak(['setup', 'gpu', '--mirror', server.url, '--json'], env);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /no SHA-256 is recorded/);
    assert.equal(server.requests.length, 0);

    const wrong = await saenggak(['setup', 'gpu', '--mirror', server.url, '--sha256', 'ab'.repeat(32), '--json'], env);
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /does not match the expected/);
    assert.deepEqual(readdirSync(join(userData, 'gpu-runtime')), ['downloads']);

    const ok = await saenggak(['setup', 'gpu', '--mirror', server.url, '--sha256', digest, '--json'], env);
    // Exit 2: installed and verified, but no CUDA on this machine.
    assert.equal(ok.code, 2, ok.stderr);
    assert.match(ok.stderr, /downloading microsoft\.ml\.onnxruntime\.gpu\.linux\.1\.30\.0\.nupkg/);
    const lines = ok.stdout.trim().split('\n');
    assert.equal(lines.length, 1);
    const result = JSON.parse(lines[0]!);
    assert.equal(result.archives[0].sha256, digest);
    assert.equal(result.status.runtimeDir, join(userData, 'gpu-runtime', 'onnxruntime-1.30.0-linux-x64-cuda12'));
    assert.equal(result.status.check.ok, true, 'a CPU session ran through the copy');
    assert.equal(result.status.check.cuda.available, false);
    assert.equal(result.status.cudaUsable, false);
    assert.ok(Array.isArray(result.prerequisitesBefore.checks));
    assert.ok(existsSync(join(result.status.runtimeDir, 'libonnxruntime_providers_cuda.so')));
  } finally {
    await server.close();
    await rm(userData, { recursive: true, force: true });
  }
});
