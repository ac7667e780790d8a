// "Open file" in the desktop app (#24): the preload exposes openPath, which asks the main process on its own
// channel; the main process hands a path to shell.openPath only when it comes from the app's own frame and
// lies inside the open workspace. The Electron binary cannot run here: the handler runs with a recording
// fake of shell.openPath (the one fake), on real folders, files and links; the wiring is read from source
// and from the built preload bundle.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { openPathHandler } from '../../../main/api/open-path.ts';
import { OPEN_PATH_CHANNEL } from '../../../main/api/bridge.ts';

const root = resolve(import.meta.dirname, '..', '..', '..');
const base = realpathSync(mkdtempSync(join(tmpdir(), 'open-path-')));
const ws = join(base, 'lab');
mkdirSync(join(ws, 'runs', 'demo-sft-1', 'output'), { recursive: true });
writeFileSync(join(ws, 'runs', 'demo-sft-1', 'report.html'), 'r');
writeFileSync(join(base, 'outside.sh'), 'echo no');
symlinkSync(join(base, 'outside.sh'), join(ws, 'runs', 'sneaky.sh'));

function handler(workspace: string | null, failure = '') {
  const opened: string[] = [];
  const open = openPathHandler({
    openPath: async (path) => {
      opened.push(path);
      return failure;
    },
    workspaceRoot: () => workspace,
    isOwnFrame: (url) => typeof url === 'string' && url.startsWith('app://saenggak/'),
  });
  return { open, opened };
}

test('a file or folder inside the workspace reaches shell.openPath, by its real path', async () => {
  const { open, opened } = handler(ws);
  assert.deepEqual(await open('app://saenggak/', join(ws, 'runs', 'demo-sft-1', 'report.html')), { ok: true, value: { opened: join(ws, 'runs', 'demo-sft-1', 'report.html') } });
  assert.equal((await open('app://saenggak/recipe', 'runs/demo-sft-1/output')).ok, true, 'a run folder, relative to the workspace');
  assert.deepEqual(opened, [join(ws, 'runs', 'demo-sft-1', 'report.html'), join(ws, 'runs', 'demo-sft-1', 'output')]);
  // shell.openPath's own failure (no app for the type) comes back as an error value.
  const failing = handler(ws, 'no application is registered');
  assert.deepEqual(await failing.open('app://saenggak/', 'runs/demo-sft-1/report.html'), { ok: false, error: { code: 'open_failed', message: 'no application is registered' } });
});

test('outside the workspace, through a link, from a foreign frame or without a workspace: refused, nothing opened', async () => {
  const { open, opened } = handler(ws);
  for (const path of [join(base, 'outside.sh'), '../outside.sh', 'runs/sneaky.sh', '/bin/sh']) {
    const result = await open('app://saenggak/', path);
    assert.equal(result.ok, false, path);
    assert.equal(!result.ok && result.error.code, 'forbidden', path);
  }
  const foreign = await open('https://evil.example/', 'runs/demo-sft-1/report.html');
  assert.equal(!foreign.ok && foreign.error.code, 'forbidden');
  const noWorkspace = await handler(null).open('app://saenggak/', join(ws, 'runs'));
  assert.equal(!noWorkspace.ok && noWorkspace.error.code, 'no_workspace');
  assert.equal((await open('app://saenggak/', 'runs/missing.html')).ok, false);
  assert.deepEqual(opened, [], 'shell.openPath was never called');
});

test('the preload exposes openPath on its own channel; the main process wires it through the checked handler only', () => {
  const preload = readFileSync(join(root, 'main', 'preload.ts'), 'utf8');
  assert.match(preload, /openPath: \(path: string\)[^\n]*ipcRenderer\.invoke\(OPEN_PATH_CHANNEL, path\)/);
  const app = readFileSync(join(root, 'main', 'app.ts'), 'utf8');
  // shell.openPath appears once, inside the handler's deps; the channel is handled by that handler.
  assert.equal([...app.matchAll(/shell\.openPath\(/g)].length, 1);
  assert.match(app, /openPathHandler\(\{ openPath: \(path\) => shell\.openPath\(path\), workspaceRoot: \(\) => apiSession\.current\?\.workspace\.root, isOwnFrame \}\)/);
  assert.match(app, /ipcMain\.handle\(OPEN_PATH_CHANNEL, \(event, path: unknown\) => openPath\(event\.senderFrame\?\.url, path\)\)/);
  // The sandboxed bundle still needs nothing but electron, and carries the channel name.
  // Built into its own folder: electron-shell.test.ts rebuilds dist-electron/ in parallel (it deletes it first).
  const out = mkdtempSync(join(tmpdir(), 'saenggak-electron-'));
  const built = spawnSync(process.execPath, [join(root, 'scripts', 'build-electron.mjs'), '--out', out], { cwd: root, encoding: 'utf8' });
  assert.equal(built.status, 0, built.stderr);
  const bundle = readFileSync(join(out, 'preload.cjs'), 'utf8');
  rmSync(out, { recursive: true, force: true });
  assert.deepEqual([...new Set([...bundle.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]))], ['electron']);
  assert.ok(bundle.includes(JSON.stringify(OPEN_PATH_CHANNEL)), 'the preload bundle invokes the open-path channel');
});
