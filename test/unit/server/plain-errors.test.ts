// #23 point 4: no raw ENOTDIR / EEXIST from a careless path, and a proper not-found for a missing evaluation.
// Before: `workspace.open` on a file answered `internal` "ENOTDIR: not a directory, open '…/saenggak.json'",
// an export under a file `internal` "EEXIST: file already exists, mkdir …".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer } from '../../../main/server.ts';
import { toApiError } from '../../../main/api/errors.ts';

test('careless paths get plain coded errors, never a raw system error or `internal`', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'saenggak-plain-'));
  await mkdir(join(dir, 'ui'));
  await writeFile(join(dir, 'ui', 'index.html'), '<!doctype html>');
  await writeFile(join(dir, 'a-file'), 'x');
  await writeFile(join(dir, 'rows.jsonl'), '{"a":1}\n');
  const server = await startServer({ staticDir: join(dir, 'ui'), workspace: join(dir, 'ws'), allowPaths: [dir], port: 0 });
  const call = async (method: string, input: unknown) =>
    (await fetch(`${server.origin}/api/call/${method}`, { method: 'POST', headers: { authorization: `Bearer ${server.token}` }, body: JSON.stringify(input) })).json();
  const failure = async (method: string, input: unknown) => {
    const result = await call(method, input);
    assert.equal(result.ok, false, method);
    assert.notEqual(result.error.code, 'internal', `${method}: ${result.error.message}`);
    assert.doesNotMatch(result.error.message, /\bE[A-Z]{3,}\b|syscall/, `${method}: ${result.error.message}`);
    return result.error as { code: string; message: string };
  };
  try {
    assert.match((await failure('workspace.open', { path: join(dir, 'a-file') })).message, /a-file is a file, not a folder/);
    assert.match((await failure('workspace.open', { path: join(dir, 'a-file', 'ws'), create: true })).message, /a-file is a file, not a folder/);
    const started = await call('datasets.import', { dataset: 'rows', source: { kind: 'path', path: join(dir, 'rows.jsonl') } });
    for (;;) {
      const job = (await call('jobs.get', { id: started.value.jobId })).value;
      if (job.status === 'succeeded') break;
      await new Promise((r) => setTimeout(r, 50));
    }
    for (const target of [join(dir, 'a-file', 'out.jsonl'), join(dir, 'a-file', 'deeper', 'out.parquet')]) {
      const error = await failure('datasets.export', { name: 'rows', path: target });
      assert.equal(error.code, 'invalid_input');
      assert.match(error.message, /a-file is a file, not a folder/);
    }
    assert.match((await failure('datasets.export', { name: 'rows', path: dir })).message, /is a folder: give a file name/);
    assert.equal((await failure('eval.get', { name: 'no-such-eval' })).code, 'not_found');
  } finally {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test('any raw file-system error crossing the API boundary is described in words', () => {
  const raw = Object.assign(new Error("ENOTDIR: not a directory, open '/x/f/saenggak.json'"), { code: 'ENOTDIR', errno: -20, syscall: 'open', path: '/x/f/saenggak.json' });
  assert.deepEqual(toApiError(raw), { code: 'invalid_input', message: '/x/f/saenggak.json: part of this path is a file, not a folder' });
  const denied = Object.assign(new Error('EACCES'), { code: 'EACCES', syscall: 'open', path: '/root/x' });
  assert.deepEqual(toApiError(denied), { code: 'forbidden', message: 'permission denied: /root/x' });
  // Coded errors of the app pass through untouched.
  assert.deepEqual(toApiError(Object.assign(new Error('no run named "x"'), { code: 'not_found' })), { code: 'not_found', message: 'no run named "x"' });
});
