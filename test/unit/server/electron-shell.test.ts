// The Electron shell cannot run here (no binary), so these tests check what can be checked without it:
// the bundle builds, the sandboxed preload needs nothing but 'electron', the hardening options are set,
// and electron-builder.yml is valid with the targets and unpacked native modules we document.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, existsSync } from 'node:fs';
import { resolve } from 'node:path';
import YAML from 'yaml';

const root = resolve(import.meta.dirname, '..', '..', '..');

test('build-electron bundles app, preload (CJS, only requires electron), job worker and device probe', () => {
  const result = spawnSync(process.execPath, [resolve(root, 'scripts', 'build-electron.mjs')], { cwd: root, encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
  for (const file of ['app.js', 'preload.cjs', 'job-worker.js', 'device-probe.js']) {
    assert.ok(existsSync(resolve(root, 'dist-electron', file)), file);
  }
  const preload = readFileSync(resolve(root, 'dist-electron', 'preload.cjs'), 'utf8');
  const required = [...preload.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]);
  assert.deepEqual([...new Set(required)], ['electron']);
  assert.match(preload, /exposeInMainWorld\(/);
  // The probe runs as plain Node (ELECTRON_RUN_AS_NODE in the app): check it works from the bundle.
  const probe = spawnSync(process.execPath, [resolve(root, 'dist-electron', 'device-probe.js'), 'cpu'], { encoding: 'utf8' });
  const answer = JSON.parse(probe.stdout);
  assert.deepEqual({ ok: answer.ok, detail: answer.detail }, { ok: true, detail: 'created and ran a session' });
});

// Code that reads a file beside itself (`new URL('./x', import.meta.url)`) reads it beside the bundle in the
// packaged app, where there is no source tree: every such file must be in dist-electron/. The exceptions are
// development-only paths the code checks before using (TypeScript sources, the source tree's assets).
const DEVELOPMENT_ONLY = new Set(['./probe-provider.ts', './worker.ts', '../../assets/recipes/']);

test('every file the bundle reads beside itself is in dist-electron (the packaged app has no source tree)', () => {
  const result = spawnSync(process.execPath, [resolve(root, 'scripts', 'build-electron.mjs')], { cwd: root, encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
  const dir = resolve(root, 'dist-electron');
  const missing: string[] = [];
  let references = 0;
  for (const file of ['app.js', 'job-worker.js', 'device-probe.js', 'reward-worker.js']) {
    const code = readFileSync(resolve(dir, file), 'utf8');
    for (const [, path] of code.matchAll(/new URL\("([^"]+)", import\.meta\.url\)/g)) {
      references++;
      if (!DEVELOPMENT_ONLY.has(path!) && !existsSync(resolve(dir, path!))) missing.push(`${file}: ${path}`);
    }
  }
  assert.ok(references >= 3, 'the scan finds the references (saenggak_reward.py, recipes, device-probe.js)');
  assert.deepEqual(missing, []);
  assert.ok(existsSync(resolve(dir, 'recipes', 'demo.yaml')), 'the demo recipe ships with the app');
  // The pipeline's stage modules are in the job worker's bundle, not loaded from source paths at run time.
  const jobWorker = readFileSync(resolve(dir, 'job-worker.js'), 'utf8');
  for (const entry of ['runSft', 'runGrpo']) assert.match(jobWorker, new RegExp(`function ${entry}\\(`), entry);
  // The verl exporter is loaded by the pipeline handler's preview (export/verl/preview.ts), in the app's bundle.
  assert.match(readFileSync(resolve(dir, 'app.js'), 'utf8'), /function exportVerl\(/, 'exportVerl');
});

test('the main window is hardened', () => {
  const app = readFileSync(resolve(root, 'main', 'app.ts'), 'utf8');
  for (const option of ['contextIsolation: true', 'sandbox: true', 'nodeIntegration: false', 'webviewTag: false']) {
    assert.ok(app.includes(option), option);
  }
  assert.match(app, /setWindowOpenHandler\([\s\S]*action: 'deny'/);
  assert.match(app, /'will-navigate'/);
  assert.match(app, /setPermissionRequestHandler\(\(_contents, _permission, callback\) => callback\(false\)\)/);
  assert.match(app, /Content-Security-Policy/);
});

test('electron-builder.yml is valid YAML with the four targets and native modules unpacked', () => {
  const config = YAML.parse(readFileSync(resolve(root, 'electron-builder.yml'), 'utf8'));
  assert.deepEqual(config.linux.target, ['AppImage', 'deb']);
  assert.deepEqual(config.win.target, ['nsis']);
  assert.deepEqual(config.mac.target, ['dmg']);
  assert.ok(config.asarUnpack.some((p: string) => p.includes('onnxruntime-node')));
  assert.ok(config.asarUnpack.some((p: string) => p.includes('@lancedb')));
  const pkg = JSON.parse(readFileSync(resolve(root, 'package.json'), 'utf8'));
  assert.equal(pkg.main, 'dist-electron/app.js', 'package.json main points at the bundle');
  assert.ok(config.files.includes('dist-electron/**/*'));
});

// #23 point 5: no fuses were configured, shell.openExternal opened any https URL, DevTools were in the
// production menu. What can be checked without the Electron binary is checked here.
test('electron-builder flips the fuses: no RunAsNode, no NODE_OPTIONS, cookie encryption, ASAR integrity', () => {
  const config = YAML.parse(readFileSync(resolve(root, 'electron-builder.yml'), 'utf8'));
  assert.deepEqual(config.electronFuses, {
    runAsNode: false,
    enableNodeOptionsEnvironmentVariable: false,
    enableNodeCliInspectArguments: false,
    enableCookieEncryption: true,
    enableEmbeddedAsarIntegrityValidation: true,
    onlyLoadAppFromAsar: true,
    grantFileProtocolExtraPrivileges: false,
  });
  // Every key is one electron-builder knows (a misspelt fuse would be ignored silently).
  const scheme = JSON.parse(readFileSync(resolve(root, 'node_modules', 'app-builder-lib', 'scheme.json'), 'utf8'));
  const known = Object.keys(scheme.definitions.FuseOptionsV1.properties);
  for (const key of Object.keys(config.electronFuses)) assert.ok(known.includes(key), `electronFuses.${key} is a fuse electron-builder knows`);
  // With RunAsNode off the app binary cannot run scripts as Node: the device probe uses a utility process.
  const app = readFileSync(resolve(root, 'main', 'app.ts'), 'utf8');
  assert.match(app, /setBundledProbeLauncher\([\s\S]*utilityProcess\.fork\(/);
});

test('the app opens only https links to the docs and the Hub, and has no DevTools when packaged', async () => {
  const { isAllowedExternalUrl } = await import('../../../main/external-links.ts');
  for (const url of ['https://huggingface.co/Qwen/Qwen2.5-1.5B-Instruct', 'https://hf.co/datasets/x', 'https://onnxruntime.ai/docs/execution-providers/CUDA-ExecutionProvider.html']) {
    assert.equal(isAllowedExternalUrl(url), true, url);
  }
  for (const url of [
    'https://evil.example/',
    'http://huggingface.co/',
    'https://huggingface.co.evil.example/',
    'https://user:pass@huggingface.co/',
    'https://huggingface.co:8443/',
    'file:///etc/passwd',
    'javascript:alert(1)',
    'ms-settings:',
    'not a url',
  ]) {
    assert.equal(isAllowedExternalUrl(url), false, url);
  }
  const app = readFileSync(resolve(root, 'main', 'app.ts'), 'utf8');
  // Every openExternal call sits behind the allowlist.
  const calls = [...app.matchAll(/shell\.openExternal\(/g)].length;
  const guarded = [...app.matchAll(/if \(isAllowedExternalUrl\(url\)\) void shell\.openExternal\(url\)/g)].length;
  assert.ok(calls >= 1 && calls === guarded, `${guarded} of ${calls} openExternal calls use the allowlist`);
  assert.match(app, /devTools: devToolsAllowed\(\)/);
  assert.match(app, /const devToolsAllowed = \(\): boolean => !app\.isPackaged/);
  assert.doesNotMatch(app, /^\s*\{ role: 'toggleDevTools' \},?$/m, 'the DevTools menu item is not unconditional');
});
