// #23 point 2/3: serve mode reads and writes only inside the open workspace and the `--allow-path` folders,
// and every name that becomes a folder name is one path segment. Before: `/etc/passwd` imported as a CSV,
// `datasets.export` to `../../…` overwrote a file outside the workspace, `workspace.open {create:true}` made
// folders anywhere, `pipeline.get` / `pipeline.report` / `eval.get` accepted `../` in names.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer } from '../../../main/server.ts';
import { isInside, realPathOf } from '../../../main/api/path-scope.ts';

test('serve mode refuses paths outside the workspace and --allow-path folders, and names that climb', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'saenggak-scope-'));
  const ws = join(dir, 'ws');
  const allowed = join(dir, 'allowed');
  const outside = join(dir, 'outside');
  await mkdir(join(dir, 'ui'));
  await mkdir(allowed);
  await mkdir(outside);
  await writeFile(join(dir, 'ui', 'index.html'), '<!doctype html>');
  await writeFile(join(outside, 'secret.csv'), 'a,b\n1,2\n');
  await writeFile(join(allowed, 'rows.jsonl'), '{"q":"1+1"}\n');
  await writeFile(join(outside, 'victim.jsonl'), 'keep me\n');
  // A link inside an allowed folder that leads out of it.
  await symlink(outside, join(allowed, 'link-out'));
  const server = await startServer({ staticDir: join(dir, 'ui'), workspace: ws, allowPaths: [allowed], port: 0 });
  const call = async (method: string, input: unknown) =>
    (await fetch(`${server.origin}/api/call/${method}`, { method: 'POST', headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/json' }, body: JSON.stringify(input) })).json();
  const refused = async (method: string, input: unknown, code = 'forbidden') => {
    const result = await call(method, input);
    assert.equal(result.ok, false, `${method} ${JSON.stringify(input)} was refused`);
    assert.equal(result.error.code, code, `${method}: ${result.error.message}`);
    return result.error.message as string;
  };
  try {
    // Imports: /etc/passwd, a file beside the workspace, and one reached through a link are refused.
    const message = await refused('datasets.import', { dataset: 'pw', source: { kind: 'path', path: '/etc/passwd' }, format: 'csv' });
    assert.match(message, /outside the folders this server may use/);
    assert.match(message, /--allow-path/);
    await refused('datasets.import', { dataset: 'sec', source: { kind: 'path', path: join(outside, 'secret.csv') } });
    await refused('datasets.import', { dataset: 'sec', source: { kind: 'path', path: join(allowed, 'link-out', 'secret.csv') } });
    await refused('datasets.import', { dataset: 'sec', source: { kind: 'path', path: join(ws, '..', 'outside', 'secret.csv') } });
    assert.deepEqual((await call('datasets.list', {})).value, []);
    // An allowed folder's file imports.
    const started = await call('datasets.import', { dataset: 'ok', source: { kind: 'path', path: join(allowed, 'rows.jsonl') } });
    assert.equal(started.ok, true, JSON.stringify(started));
    for (;;) {
      const job = (await call('jobs.get', { id: started.value.jobId })).value;
      if (job.status === 'succeeded') break;
      assert.ok(job.status === 'queued' || job.status === 'running', job.error);
      await new Promise((r) => setTimeout(r, 50));
    }

    // Exports: `../` out of the workspace is refused and the file outside is untouched; inside works.
    await refused('datasets.export', { name: 'ok', path: join(ws, '..', 'outside', 'victim.jsonl') });
    await refused('datasets.export', { name: 'ok', path: join(allowed, 'link-out', 'victim.jsonl') });
    assert.equal(await readFile(join(outside, 'victim.jsonl'), 'utf8'), 'keep me\n');
    assert.equal((await call('datasets.export', { name: 'ok', path: join(ws, 'out.jsonl') })).ok, true);
    assert.equal((await call('datasets.export', { name: 'ok', path: join(allowed, 'out.jsonl') })).ok, true);

    // Workspaces: creating one outside the folders is refused (nothing made); inside an allowed one works.
    await refused('workspace.open', { path: join(outside, 'new-ws'), create: true });
    await refused('workspace.open', { path: '/tmp', create: false });
    assert.equal(existsSync(join(outside, 'new-ws')), false);

    // Recipes and model paths outside are refused before anything runs.
    await writeFile(join(outside, 'r.yaml'), 'name: x\n');
    await refused('pipeline.check', { recipePath: join(outside, 'r.yaml') });
    await refused('pipeline.start', { recipePath: join(outside, 'r.yaml') });
    await refused('runs.start', { kind: 'sft', config: { model: '/etc', data: { source: 'ok' } } });
    await refused('runs.start', { kind: 'sft', config: { model: join(ws, 'models', 'm'), data: { source: join(outside, 'secret.jsonl') } } });
    await refused('runs.estimate', { kind: 'sft', config: { model: '/etc', data: { source: 'ok' } } });
    await refused('eval.start', { models: ['/etc'], benchmarks: ['ok'] });

    // Names are one folder name everywhere.
    for (const name of ['../x', '..', 'a/b', 'a\\b', '../../etc/passwd']) {
      await refused('pipeline.get', { name }, 'invalid_input');
      await refused('pipeline.report', { name }, 'invalid_input');
      await refused('eval.get', { name }, 'invalid_input');
      await refused('eval.report', { names: [name] }, 'invalid_input');
    }
    // The folders are shown to the page.
    const info = await call('app.info', {});
    assert.deepEqual(info.value.allowedPaths, [realPathOf(allowed), realPathOf(ws)]);

    const opened = await call('workspace.open', { path: join(allowed, 'second-ws'), create: true });
    assert.equal(opened.ok, true, JSON.stringify(opened));
  } finally {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test('isInside compares whole path segments', () => {
  assert.equal(isInside('/a/b', '/a/b'), true);
  assert.equal(isInside('/a/b', '/a/b/c'), true);
  assert.equal(isInside('/a/b', '/a/bc'), false);
  assert.equal(isInside('/a/b', '/a'), false);
  assert.equal(isInside('/a/b', '/a/b/../c'), false);
});
