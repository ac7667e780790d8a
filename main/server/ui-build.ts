// The built UI (dist/renderer) that serve mode and the desktop shell load. A fresh clone has no dist/, and a
// pulled change can leave an old build behind, so `saenggak serve` and `npm start` build it when it is
// missing or older than its sources, saying so on one progress line (#31). An installed package that ships
// a built UI but no sources is left alone.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, rename, rm, rmdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

/** The package root (this file is main/server/ui-build.ts). */
export const PACKAGE_ROOT = resolve(import.meta.dirname, '..', '..');

export type UiState = 'fresh' | 'missing' | 'stale' | 'no-sources';

/** Newest modification time under a path (a file, or a folder walked recursively); 0 when absent. */
async function newestMtime(path: string): Promise<number> {
  const info = await stat(path).catch(() => null);
  if (!info) return 0;
  if (!info.isDirectory()) return info.mtimeMs;
  let newest = info.mtimeMs; // a deleted file shows as a newer folder
  for (const entry of await readdir(path, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
    newest = Math.max(newest, await newestMtime(join(path, entry.name)));
  }
  return newest;
}

/** What goes into the bundle: the renderer's sources and the build config. */
function sourcePaths(root: string): string[] {
  return [join(root, 'renderer'), join(root, 'vite.config.ts')];
}

export function uiOutDir(root = PACKAGE_ROOT): string {
  return join(root, 'dist', 'renderer');
}

export async function uiBuildState(root = PACKAGE_ROOT): Promise<UiState> {
  if (!existsSync(join(root, 'renderer', 'index.html')) || !existsSync(join(root, 'vite.config.ts'))) return 'no-sources';
  const built = await stat(join(uiOutDir(root), 'index.html')).catch(() => null);
  if (!built) return 'missing';
  let sources = 0;
  for (const path of sourcePaths(root)) sources = Math.max(sources, await newestMtime(path));
  return sources > built.mtimeMs ? 'stale' : 'fresh';
}

function runVite(root: string, outDir: string): Promise<void> {
  const vite = join(root, 'node_modules', 'vite', 'bin', 'vite.js');
  if (!existsSync(vite)) {
    return Promise.reject(
      new Error('the UI is not built and vite is not installed: run `npm install` (with dev dependencies), then start again'),
    );
  }
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [vite, 'build', '--logLevel', 'warn', '--outDir', outDir, '--emptyOutDir'], {
      cwd: root,
      stdio: ['ignore', 'inherit', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', fail);
    child.on('exit', (code, signal) => {
      if (code === 0) done();
      else fail(new Error(`building the UI failed (vite exit ${code ?? signal}):\n${stderr.trim().slice(-2000)}`));
    });
  });
}

/** A build lock (a folder: mkdir is atomic) so two starts at once do not swap folders under each other. */
async function withBuildLock<T>(root: string, fn: () => Promise<T>): Promise<T> {
  const lock = join(root, 'dist', '.renderer-build.lock');
  await mkdir(join(root, 'dist'), { recursive: true });
  const deadline = Date.now() + 5 * 60_000;
  for (;;) {
    try {
      await mkdir(lock);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const age = Date.now() - ((await stat(lock).catch(() => null))?.mtimeMs ?? Date.now());
      // A build takes seconds; a lock minutes old was left by a killed start.
      if (age > 2 * 60_000) await rmdir(lock).catch(() => undefined);
      else if (Date.now() > deadline) throw new Error(`another UI build holds ${lock}; remove it if no build is running`);
      else await new Promise((r) => setTimeout(r, 200));
    }
  }
  try {
    return await fn();
  } finally {
    await rmdir(lock).catch(() => undefined);
  }
}

/**
 * Builds the UI when it is missing or stale. The build goes to a temporary folder and replaces
 * dist/renderer only when it succeeded, so a page being served never sees a half-written folder for longer
 * than two renames, and a failed build leaves the old one.
 */
export async function ensureUiBuilt(root = PACKAGE_ROOT, log: (line: string) => void = (l) => process.stderr.write(l + '\n')): Promise<UiState> {
  const state = await uiBuildState(root);
  if (state === 'fresh' || state === 'no-sources') return state;
  return withBuildLock(root, async () => {
    const again = await uiBuildState(root); // another start may have built it while we waited
    if (again === 'fresh') return again;
    const why = again === 'missing' ? 'dist/renderer is missing' : 'dist/renderer is older than its sources';
    log(`Building the UI (${why})…`);
    const started = Date.now();
    const outDir = uiOutDir(root);
    const temp = `${outDir}.build-${process.pid}`;
    const old = `${outDir}.old-${process.pid}`;
    try {
      await runVite(root, temp);
      if (existsSync(outDir)) await rename(outDir, old);
      await rename(temp, outDir);
    } finally {
      await rm(temp, { recursive: true, force: true });
      await rm(old, { recursive: true, force: true });
    }
    log(`Built the UI in ${((Date.now() - started) / 1000).toFixed(1)} s.`);
    return again;
  });
}

// `node --import tsx main/server/ui-build.ts`: what `npm start` runs before the desktop shell.
if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  ensureUiBuilt().catch((error: Error) => {
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  });
}
