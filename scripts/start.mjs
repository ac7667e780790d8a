#!/usr/bin/env node
// `npm start`: the desktop app where it can run, browser serve mode where it cannot.
//
// 1. Electron's binary: npm 11 (and our ignore-scripts .npmrc) never runs electron's postinstall, so on
//    first start we run `node node_modules/electron/install.js` ourselves.
// 2. Electron needs a display. On Linux without DISPLAY / WAYLAND_DISPLAY (a server, a container) it
//    cannot open a window.
// If either fails, we say why and start serve mode instead (which builds the UI first if needed) and print
// the URL to open. Otherwise we build the Electron bundle and launch it.
// Extra arguments go to `saenggak serve` (e.g. `npm start -- --workspace ~/lab --port 8080`).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const electronDir = join(root, 'node_modules', 'electron');
const passThrough = process.argv.slice(2);

function electronBinary() {
  const pathFile = join(electronDir, 'path.txt');
  if (!existsSync(pathFile)) return null;
  const binary = join(electronDir, 'dist', readFileSync(pathFile, 'utf8').trim());
  return existsSync(binary) ? binary : null;
}

function installElectron() {
  if (!existsSync(join(electronDir, 'install.js'))) return 'the electron package is not installed (run `npm install`)';
  console.log("Installing Electron's binary (first start only)...");
  const result = spawnSync(process.execPath, [join(electronDir, 'install.js')], { cwd: electronDir, stdio: 'inherit', timeout: 10 * 60_000 });
  if (result.status !== 0) return `downloading Electron's binary failed (exit ${result.status ?? result.signal}); no internet access to GitHub?`;
  return electronBinary() ? null : "Electron's installer finished but the binary is missing";
}

function noDisplayReason() {
  if (process.platform !== 'linux') return null;
  if (process.env.DISPLAY || process.env.WAYLAND_DISPLAY) return null;
  return 'no display (neither DISPLAY nor WAYLAND_DISPLAY is set)';
}

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', ...options });
  if (result.status !== 0) {
    console.error(`\`${[command, ...args].join(' ')}\` failed (exit ${result.status ?? result.signal})`);
    process.exit(result.status ?? 1);
  }
}

/** Builds dist/renderer when it is missing or older than its sources (main/server/ui-build.ts says which). */
function buildRendererIfNeeded() {
  run(process.execPath, ['--import', 'tsx', join(root, 'main', 'server', 'ui-build.ts')]);
}

/** Hands the terminal to a child and exits with its status (Ctrl+C reaches it directly). */
function handOver(command, args, env = process.env) {
  const child = spawn(command, args, { cwd: root, stdio: 'inherit', env });
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

let reason = noDisplayReason();
if (!reason && !electronBinary()) reason = installElectron();

if (reason) {
  console.log(`\nCannot start the desktop app: ${reason}.\nStarting serve mode instead: open the URL below in a browser.\n`);
  // `saenggak serve` builds the UI itself when it is missing or stale.
  handOver(process.execPath, [join(root, 'bin', 'saenggak.js'), 'serve', ...passThrough]);
} else {
  buildRendererIfNeeded();
  run(process.execPath, [join(root, 'scripts', 'build-electron.mjs')]);
  // ELECTRON_RUN_AS_NODE from a parent shell would turn the app into plain Node: drop it.
  const env = { ...process.env };
  delete env.ELECTRON_RUN_AS_NODE;
  handOver(electronBinary(), [root], env);
}
