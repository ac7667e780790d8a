// Crash safety: an import process killed (SIGKILL) at any point leaves the previous dataset version or the
// new complete one, never a torn mix, and reopening the workspace removes the half-written table.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openWorkspace } from '../../../main/store/index.ts';
import { importDataset } from '../../../main/data/import/index.ts';

const tmp = mkdtempSync(join(tmpdir(), 'saenggak-crash-'));
test.after(() => rmSync(tmp, { recursive: true, force: true }));

const OLD_ROWS = 100;
const NEW_ROWS = 20_000;
const child = join(import.meta.dirname, 'fixtures', 'import-child.ts');

/** Runs the child import and SIGKILLs it once `killWhen` says so; resolves with what it saw. */
async function runAndKill(root: string, file: string, killWhen: (message: { type: string; rows?: number }) => boolean) {
  const proc = fork(child, [root, 'data', file], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  let killed = false;
  let done = false;
  proc.on('message', (message: { type: string; rows?: number }) => {
    if (message.type === 'done') done = true;
    if (!killed && killWhen(message)) {
      killed = true;
      proc.kill('SIGKILL');
    }
  });
  await once(proc, 'exit');
  return { killed: killed && !done, done };
}

test('a killed import leaves the old version or the new one, never a torn one', async () => {
  const oldFile = join(tmp, 'old.jsonl');
  writeFileSync(oldFile, Array.from({ length: OLD_ROWS }, (_, i) => JSON.stringify({ v: 'old', i })).join('\n'));
  const newFile = join(tmp, 'new.jsonl');
  writeFileSync(newFile, Array.from({ length: NEW_ROWS }, (_, i) => JSON.stringify({ v: 'new', i, pad: 'p'.repeat(50) })).join('\n'));

  // Kill points: early, in the middle, after the last row was parsed (around the commit), and never.
  const plans: [string, (m: { type: string; rows?: number }) => boolean][] = [
    ['early', (m) => m.type === 'progress' && (m.rows ?? 0) >= 1000],
    ['middle', (m) => m.type === 'progress' && (m.rows ?? 0) >= NEW_ROWS / 2],
    ['late', (m) => m.type === 'progress' && (m.rows ?? 0) >= NEW_ROWS],
    ['never', () => false],
  ];
  const outcomes: string[] = [];
  for (const [label, killWhen] of plans) {
    const root = join(tmp, label);
    const ws = await openWorkspace(root, { create: true });
    await importDataset({ workspace: ws, dataset: 'data', path: oldFile });
    await ws.close();

    const run = await runAndKill(root, newFile, killWhen);

    const reopened = await openWorkspace(root);
    const info = await reopened.datasets.get('data');
    const tables = await (await reopened.connection()).tableNames();
    assert.equal(tables.length, 1, `${label}: only the current version's table remains`);
    if (info.rows === OLD_ROWS) {
      const page = await reopened.datasets.rows('data', { limit: 1000 });
      assert.ok(page.rows.every((row, i) => row.v === 'old' && row.i === i), `${label}: old version intact`);
      assert.equal(info.source?.fileName, 'old.jsonl');
      outcomes.push(`${label}:old`);
    } else {
      assert.equal(info.rows, NEW_ROWS, `${label}: a new version is complete`);
      assert.equal((await reopened.datasets.rows('data', { search: 'new' })).total, NEW_ROWS);
      assert.equal((await reopened.datasets.rows('data', { search: 'old' })).total, 0);
      const last = await reopened.datasets.rows('data', { offset: NEW_ROWS - 5, limit: 5 });
      assert.deepEqual(last.rows.map((row) => row.i), [19995, 19996, 19997, 19998, 19999]);
      assert.equal(info.source?.fileName, 'new.jsonl');
      outcomes.push(`${label}:new`);
    }
    if (label === 'never') assert.ok(run.done && info.rows === NEW_ROWS, 'an import that finishes is visible');
    if (label === 'early' || label === 'middle') assert.ok(run.killed && info.rows === OLD_ROWS, `${label}: killed before commit keeps the old version`);
    await reopened.close();
  }
  assert.ok(outcomes.includes('early:old') && outcomes.includes('never:new'), outcomes.join(' '));
});
