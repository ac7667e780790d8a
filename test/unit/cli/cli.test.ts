// End to end through the real entry point: `node bin/saenggak.js ...` in a child process.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const bin = resolve(import.meta.dirname, '..', '..', '..', 'bin', 'saenggak.js');

function saenggak(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [bin, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

test('workspace init, data import --json, data list, data export, and clear failures', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'saenggak-cli-'));
  try {
    const ws = join(dir, 'lab');
    const init = await saenggak(['workspace', 'init', ws]);
    assert.equal(init.code, 0, init.stderr);
    assert.match(init.stdout, /Workspace ready at/);

    const file = join(dir, 'prompts.jsonl');
    await writeFile(file, '{"prompt":"1+1?","answer":"2"}\n[1,2]\n{"prompt":"한국어로 생각하기","answer":"네"}\n{broken\n');
    const imported = await saenggak(['data', 'import', file, '--dataset', 'prompts', '--workspace', ws, '--json']);
    assert.equal(imported.code, 0, imported.stderr);
    // Exactly one JSON object on stdout.
    const lines = imported.stdout.trim().split('\n');
    assert.equal(lines.length, 1);
    const summary = JSON.parse(lines[0]!);
    assert.deepEqual(Object.keys(summary).sort(), ['dataset', 'errors', 'imported', 'rejected']);
    assert.equal(summary.dataset, 'prompts');
    assert.equal(summary.imported, 2);
    assert.equal(summary.rejected, 2);
    assert.deepEqual(summary.errors.map((e: { line: number }) => e.line), [2, 4]);
    assert.ok(summary.errors.every((e: { reason: string }) => e.reason.length > 0));

    // The workspace can come from the environment.
    const listed = await saenggak(['data', 'list', '--json'], { SAENGGAK_WORKSPACE: ws });
    assert.equal(listed.code, 0, listed.stderr);
    const list = JSON.parse(listed.stdout);
    assert.deepEqual(list.datasets.map((d: { name: string; rows: number }) => [d.name, d.rows]), [['prompts', 2]]);
    const human = await saenggak(['data', 'list', '--workspace', ws]);
    assert.match(human.stdout, /^prompts\t2 rows\t/m);

    const out = join(dir, 'out.jsonl');
    const exported = await saenggak(['data', 'export', '--dataset', 'prompts', '--workspace', ws, '--out', out, '--json']);
    assert.equal(exported.code, 0, exported.stderr);
    assert.equal(JSON.parse(exported.stdout).rows, 2);
    assert.deepEqual((await readFile(out, 'utf8')).trim().split('\n').map((l) => JSON.parse(l)), [
      { prompt: '1+1?', answer: '2' },
      { prompt: '한국어로 생각하기', answer: '네' },
    ]);

    const skipped = await saenggak(['data', 'import', file, '--dataset', 'again', '--workspace', ws, '--if-duplicate', 'fail']);
    assert.notEqual(skipped.code, 0);
    assert.match(skipped.stderr, /already imported into "prompts"/);

    const missingDataset = await saenggak(['data', 'export', '--dataset', 'nope', '--workspace', ws, '--out', out]);
    assert.notEqual(missingDataset.code, 0);
    assert.match(missingDataset.stderr, /^saenggak: .*nope/m);
    const noWorkspace = await saenggak(['data', 'list'], { SAENGGAK_WORKSPACE: '' });
    assert.notEqual(noWorkspace.code, 0);
    assert.match(noWorkspace.stderr, /--workspace DIR or set SAENGGAK_WORKSPACE/);
    const notAWorkspace = await saenggak(['data', 'list', '--workspace', dir]);
    assert.notEqual(notAWorkspace.code, 0);
    assert.match(notAWorkspace.stderr, /not a Saenggak Lab workspace/);
    const missingFile = await saenggak(['data', 'import', join(dir, 'none.jsonl'), '--dataset', 'x', '--workspace', ws, '--json']);
    assert.notEqual(missingFile.code, 0);
    assert.equal(missingFile.stdout, '');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('devices --json prints one object with CPU available', async () => {
  const result = await saenggak(['devices', '--json']);
  assert.equal(result.code, 0, result.stderr);
  const info = JSON.parse(result.stdout);
  assert.equal(info.providers.find((p: { name: string }) => p.name === 'cpu').available, true);
  assert.equal(info.gpuSetupCommand, 'npx saenggak setup gpu');
});

test('serve prints a tokenized URL on loopback and warns loudly for other hosts', async () => {
  const child = spawn(process.execPath, [bin, 'serve', '--port', '0', '--host', '0.0.0.0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (c) => (stderr += c));
  const url = await new Promise<string>((done, fail) => {
    child.stdout.on('data', (c) => {
      stdout += c;
      const match = /http:\/\/\S+\/#token=[0-9a-f]{64}/.exec(stdout);
      if (match) done(match[0]);
    });
    child.on('close', () => fail(new Error(`serve exited: ${stderr}`)));
  });
  try {
    assert.match(stderr, /WARNING: listening on 0\.0\.0\.0/);
    const port = new URL(url).port;
    assert.equal((await fetch(`http://127.0.0.1:${port}/api/call/app.info`, { method: 'POST' })).status, 401);
  } finally {
    child.kill('SIGTERM');
  }
});
