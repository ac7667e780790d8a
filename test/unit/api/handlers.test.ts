import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dispatch } from '../../../main/api/router.ts';
import { handlers } from '../../../main/api/handlers/index.ts';
import { AppSession } from '../../../main/api/session.ts';
import type { EventMessage, MethodInput, MethodName, MethodOutput, Result } from '../../../main/api/contract.ts';

async function withSession(fn: (call: Caller, session: AppSession, dir: string) => Promise<void>) {
  const dir = await mkdtemp(join(tmpdir(), 'saenggak-api-'));
  const session = new AppSession();
  const call: Caller = (method, input) => dispatch(method, input, { transport: 'http', session }, handlers) as never;
  try {
    await fn(call, session, dir);
  } finally {
    await session.close();
    await rm(dir, { recursive: true, force: true });
  }
}
type Caller = <M extends MethodName>(method: M, input: MethodInput<M> | Record<string, unknown>) => Promise<Result<MethodOutput<M>>>;

function value<T>(result: Result<T>): T {
  if (!result.ok) assert.fail(`expected ok, got ${JSON.stringify(result.error)}`);
  return result.value;
}
function errorCode(result: Result<unknown>): string {
  assert.equal(result.ok, false, `expected an error, got ${JSON.stringify(result)}`);
  return (result as { error: { code: string } }).error.code;
}

test('without a workspace: app.info says so and workspace-bound methods answer no_workspace', async () => {
  await withSession(async (call) => {
    const info = value(await call('app.info', {}));
    assert.equal(info.workspace, null);
    assert.equal(info.transport, 'http');
    assert.match(info.version, /^\d+\.\d+\.\d+/);
    assert.equal(value(await call('workspace.current', {})), null);
    assert.equal(errorCode(await call('datasets.list', {})), 'no_workspace');
    assert.equal(errorCode(await call('jobs.list', {})), 'no_workspace');
  });
});

test('workspace.open creates a workspace on request, refuses a non-workspace folder otherwise, and emits workspace.changed', async () => {
  await withSession(async (call, session, dir) => {
    const events: EventMessage[] = [];
    session.events.subscribe((m) => events.push(m));
    const notThere = join(dir, 'ws');
    assert.equal(errorCode(await call('workspace.open', { path: notThere })), 'no_workspace');
    assert.equal(errorCode(await call('workspace.open', { path: '' })), 'invalid_input');
    assert.equal(errorCode(await call('workspace.open', { path: notThere, create: 'yes' })), 'invalid_input');

    const opened = value(await call('workspace.open', { path: notThere, create: true }));
    assert.equal(opened.path, notThere);
    assert.equal(opened.datasets, 0);
    assert.ok(JSON.parse(await readFile(join(notThere, 'saenggak.json'), 'utf8')).createdAt);
    assert.deepEqual(value(await call('workspace.current', {})), opened);
    assert.deepEqual(events.map((e) => e.event), ['workspace.changed']);
    assert.deepEqual(value(await call('datasets.list', {})), []);
  });
});

test('datasets and jobs handlers validate input and report missing things as not_found', async () => {
  await withSession(async (call, _session, dir) => {
    value(await call('workspace.open', { path: join(dir, 'ws'), create: true }));
    assert.equal(errorCode(await call('datasets.get', { name: 'missing' })), 'not_found');
    assert.equal(errorCode(await call('datasets.get', { name: 'a/b' })), 'invalid_input');
    assert.equal(errorCode(await call('datasets.rows', { name: 'missing' })), 'not_found');
    assert.equal(errorCode(await call('datasets.rows', { name: 'x', limit: 5000 })), 'invalid_input');
    assert.equal(errorCode(await call('datasets.rows', { name: 'x', offset: -1 })), 'invalid_input');
    assert.equal(value(await call('datasets.delete', { name: 'missing' })).deleted, false);
    assert.deepEqual(value(await call('jobs.list', {})), []);
    assert.equal(errorCode(await call('jobs.list', { limit: 0 })), 'invalid_input');
    assert.equal(errorCode(await call('jobs.get', { id: '20240101T000000-abcdef' })), 'not_found');
    assert.equal(errorCode(await call('jobs.get', { id: '../../etc' })), 'not_found');
    assert.equal(errorCode(await call('jobs.cancel', { id: '' })), 'invalid_input');
    assert.equal(errorCode(await call('jobs.log', { id: '20240101T000000-abcdef' })), 'not_found');
    assert.equal(errorCode(await call('datasets.import', { dataset: 'd', source: { kind: 'path' } })), 'invalid_input');
    assert.equal(
      errorCode(await call('datasets.import', { dataset: 'd', source: { kind: 'path', path: join(dir, 'nope.jsonl') } })),
      'not_found',
    );
    await writeFile(join(dir, 'data.jsonl'), '{"a":1}\n');
    assert.equal(
      errorCode(await call('datasets.import', { dataset: 'd', source: { kind: 'path', path: join(dir, 'data.jsonl') }, format: 'xlsx' })),
      'invalid_input',
    );
    assert.equal(
      errorCode(await call('datasets.import', { dataset: 'd', source: { kind: 'upload', uploadId: '../x', fileName: 'a.jsonl' } })),
      'invalid_input',
    );
  });
});

test('devices.info lists CPU as available and the GPU set-up command; refresh must be a boolean', async () => {
  await withSession(async (call) => {
    const info = value(await call('devices.info', {}));
    assert.deepEqual(info.providers.map((p) => p.name), ['cpu', 'webgpu', 'cuda']);
    assert.equal(info.providers[0]!.available, true);
    assert.equal(info.gpuSetupCommand, 'npx saenggak setup gpu');
    assert.match(info.onnxruntimeVersion, /^1\./);
    assert.ok(info.cpu.cores >= 1);
    assert.equal(errorCode(await call('devices.info', { refresh: 1 })), 'invalid_input');
  });
});

test('datasets.import runs an import job; re-importing the same bytes asks, skips or imports; rows, export and delete work', async () => {
  await withSession(async (call, session, dir) => {
    const events: EventMessage[] = [];
    session.events.subscribe((m) => events.push(m));
    value(await call('workspace.open', { path: join(dir, 'ws'), create: true }));
    const file = join(dir, 'prompts.jsonl');
    await writeFile(file, '{"q":"1+1","a":"2"}\n{"q":"2+2","a":"4"}\nnot json\n{"q":"이차방정식","a":"x=1"}\n');

    const started = value(await call('datasets.import', { dataset: 'prompts', source: { kind: 'path', path: file } }));
    assert.equal(started.dataset, 'prompts');
    assert.ok(started.jobId);
    const final = await session.current!.jobs.wait(started.jobId!);
    assert.equal(final.status, 'succeeded', final.error);
    const summary = final.result as { dataset: string; imported: number; rejected: number; errors: { line: number }[] };
    assert.deepEqual([summary.dataset, summary.imported, summary.rejected], ['prompts', 3, 1]);
    assert.deepEqual(summary.errors.map((e) => e.line), [3]);
    assert.equal(value(await call('jobs.get', { id: started.jobId! })).status, 'succeeded');
    assert.ok(value(await call('jobs.log', { id: started.jobId! })).lines.some((l) => /imported 3 rows/.test(l)));
    assert.ok(events.some((e) => e.event === 'job.updated' && e.data.status === 'succeeded'));
    assert.ok(events.some((e) => e.event === 'datasets.changed' && e.data.name === 'prompts'));

    const info = value(await call('datasets.get', { name: 'prompts' }));
    assert.equal(info.rows, 3);
    assert.equal(info.source?.fileName, 'prompts.jsonl');
    const page = value(await call('datasets.rows', { name: 'prompts', offset: 1, limit: 1 }));
    assert.equal(page.total, 3);
    assert.deepEqual(page.rows, [{ q: '2+2', a: '4' }]);
    const found = value(await call('datasets.rows', { name: 'prompts', search: '이차' }));
    assert.equal(found.total, 1);
    assert.equal(found.rows[0]!.a, 'x=1');

    // The same bytes again: 'ask' fails with the earlier import as details; 'skip' starts nothing.
    const again = await call('datasets.import', { dataset: 'other', source: { kind: 'path', path: file } });
    assert.equal(errorCode(again), 'duplicate');
    assert.equal((again as { error: { details: { dataset: string } } }).error.details.dataset, 'prompts');
    assert.deepEqual(value(await call('datasets.import', { dataset: 'other', source: { kind: 'path', path: file }, onDuplicate: 'skip' })), {
      jobId: null,
      dataset: 'prompts',
    });
    const forced = value(await call('datasets.import', { dataset: 'copy', source: { kind: 'path', path: file }, onDuplicate: 'import' }));
    assert.equal((await session.current!.jobs.wait(forced.jobId!)).status, 'succeeded');
    assert.deepEqual(value(await call('datasets.list', {})).map((d) => d.name), ['copy', 'prompts']);

    const out = join(dir, 'out.jsonl');
    assert.deepEqual(value(await call('datasets.export', { name: 'prompts', path: out })), { path: out, rows: 3, format: 'jsonl', chat: false });
    assert.deepEqual((await readFile(out, 'utf8')).trim().split('\n').map((l) => JSON.parse(l)), [
      { q: '1+1', a: '2' },
      { q: '2+2', a: '4' },
      { q: '이차방정식', a: 'x=1' },
    ]);
    assert.equal(value(await call('datasets.delete', { name: 'copy' })).deleted, true);
    assert.deepEqual(value(await call('datasets.list', {})).map((d) => d.name), ['prompts']);
    assert.equal(value(await call('jobs.list', {})).length, 2);
  });
});
