// Import jobs run in their own processes and each opens the workspace, which collects garbage (tables of
// dead writers, stale temp files). A concurrent open must never delete another live process's table in
// progress, nor an upload waiting in tmp/uploads for its import job.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openWorkspace } from '../../../main/store/index.ts';

const tmp = mkdtempSync(join(tmpdir(), 'saenggak-concurrent-'));
test.after(() => rmSync(tmp, { recursive: true, force: true }));

const ROWS = 40_000;
const child = join(import.meta.dirname, 'fixtures', 'import-child.ts');

test('opening the workspace while another process imports keeps its table and pending uploads', async () => {
  const root = join(tmp, 'ws');
  await (await openWorkspace(root, { create: true })).close();
  const upload = join(root, 'tmp', 'uploads', '0123456789abcdef0123456789abcdef');
  mkdirSync(join(root, 'tmp', 'uploads'), { recursive: true });
  writeFileSync(upload, '{"waiting":"for its import job"}\n');
  const file = join(tmp, 'rows.jsonl');
  writeFileSync(file, Array.from({ length: ROWS }, (_, i) => JSON.stringify({ i, text: `행 ${i}` })).join('\n'));

  const proc = fork(child, [root, 'data', file], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  let done = false;
  let checked = false;
  const exited = once(proc, 'exit');
  await new Promise<void>((resolve, reject) => {
    proc.on('message', (message: { type: string; rows?: number }) => {
      if (message.type === 'done') done = true;
      if (checked || message.type !== 'progress' || (message.rows ?? 0) < 2000) return;
      checked = true;
      // Freeze the importer mid-write (alive, table half written), open the workspace, then let it go on.
      proc.kill('SIGSTOP');
      (async () => {
        const other = await openWorkspace(root);
        const tables = await (await other.connection()).tableNames();
        const pending = readdirSync(join(root, 'tmp', 'pending-tables')).filter((name) => !name.startsWith('.'));
        await other.close();
        proc.kill('SIGCONT');
        assert.equal(done, false, 'the import was still running when the workspace was opened');
        assert.equal(pending.length, 1, 'the importer has one table in progress');
        assert.ok(tables.includes(pending[0]), 'its table survived the concurrent open');
        assert.ok(existsSync(upload), 'the pending upload survived the concurrent open');
      })().then(resolve, (error) => {
        proc.kill('SIGCONT');
        reject(error);
      });
    });
    proc.on('exit', () => (checked ? undefined : reject(new Error('the importer exited before the check'))));
  });
  const [code] = (await exited) as [number | null];
  assert.equal(code, 0, 'the import finished normally');

  const ws = await openWorkspace(root);
  const info = await ws.datasets.get('data');
  assert.equal(info.rows, ROWS);
  const last = await ws.datasets.rows('data', { offset: ROWS - 2, limit: 2 });
  assert.deepEqual(last.rows, [{ i: ROWS - 2, text: `행 ${ROWS - 2}` }, { i: ROWS - 1, text: `행 ${ROWS - 1}` }]);
  assert.equal((await (await ws.connection()).tableNames()).length, 1);
  assert.ok(existsSync(upload));
  await ws.close();
});

test('a marker being written (temp file of a live process) is not taken for a dead writer', async () => {
  const root = join(tmp, 'markers');
  await (await openWorkspace(root, { create: true })).close();
  const pendingDir = join(root, 'tmp', 'pending-tables');
  mkdirSync(pendingDir, { recursive: true });
  const live = join(pendingDir, `.ds_0011223344556677.${process.pid}.abcd1234.tmp`);
  const dead = join(pendingDir, '.ds_8899aabbccddeeff.999999999.abcd1234.tmp');
  writeFileSync(live, '');
  writeFileSync(dead, '');
  writeFileSync(join(pendingDir, 'ds_ffeeddccbbaa9988'), '999999999');
  await (await openWorkspace(root)).close();
  assert.deepEqual(readdirSync(pendingDir), [`.ds_0011223344556677.${process.pid}.abcd1234.tmp`]);
});
