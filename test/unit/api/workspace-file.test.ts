// The path check behind "open file" (#24): the desktop app's openPath and serve mode's download open only
// what lies inside the open workspace, after resolving links. Real folders, files and symbolic links.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { workspaceFile } from '../../../main/api/workspace-file.ts';

const base = realpathSync(mkdtempSync(join(tmpdir(), 'ws-file-')));
const ws = join(base, 'lab');
const outside = join(base, 'secret.txt');
mkdirSync(join(ws, 'pipelines', 'demo', 'report'), { recursive: true });
writeFileSync(join(ws, 'pipelines', 'demo', 'report', 'report.html'), '<h1>report</h1>');
writeFileSync(outside, 'not yours');
symlinkSync(outside, join(ws, 'link-out.txt'));
symlinkSync(base, join(ws, 'link-dir'));
symlinkSync(join(ws, 'pipelines'), join(ws, 'link-in'));

const code = (fn: () => unknown) => {
  try {
    fn();
    return 'ok';
  } catch (error) {
    return (error as { code?: string }).code;
  }
};

test('a file or folder inside the workspace opens: absolute or relative, with its kind and size', () => {
  const report = join(ws, 'pipelines', 'demo', 'report', 'report.html');
  assert.deepEqual(workspaceFile(ws, report), { path: report, name: 'report.html', kind: 'file', size: 15 });
  assert.deepEqual(workspaceFile(ws, 'pipelines/demo/report/report.html'), { path: report, name: 'report.html', kind: 'file', size: 15 });
  assert.equal(workspaceFile(ws, join(ws, 'pipelines', 'demo')).kind, 'folder');
  assert.equal(workspaceFile(ws, ws).kind, 'folder', 'the workspace itself');
  // A link that stays inside is followed to its real path.
  assert.equal(workspaceFile(ws, 'link-in/demo/report/report.html').path, report);
});

test('anything outside the workspace is refused, through .., an absolute path or a symbolic link', () => {
  assert.equal(code(() => workspaceFile(ws, outside)), 'forbidden');
  assert.equal(code(() => workspaceFile(ws, '../secret.txt')), 'forbidden');
  assert.equal(code(() => workspaceFile(ws, join(ws, 'pipelines', '..', '..', 'secret.txt'))), 'forbidden');
  assert.equal(code(() => workspaceFile(ws, 'link-out.txt')), 'forbidden');
  assert.equal(code(() => workspaceFile(ws, 'link-dir/secret.txt')), 'forbidden');
  assert.equal(code(() => workspaceFile(ws, '/etc/passwd')), 'forbidden');
  // A sibling folder whose name starts like the workspace's is not inside it.
  mkdirSync(join(base, 'lab2'), { recursive: true });
  writeFileSync(join(base, 'lab2', 'x.txt'), 'x');
  assert.equal(code(() => workspaceFile(ws, join(base, 'lab2', 'x.txt'))), 'forbidden');
});

test('no workspace, a missing file or a malformed path is an error, never a guess', () => {
  assert.equal(code(() => workspaceFile(null, join(ws, 'pipelines'))), 'no_workspace');
  assert.equal(code(() => workspaceFile(ws, 'pipelines/nope.html')), 'not_found');
  for (const bad of ['', '   ', 42, null, 'a\0b']) assert.equal(code(() => workspaceFile(ws, bad)), 'invalid_input', String(bad));
});
