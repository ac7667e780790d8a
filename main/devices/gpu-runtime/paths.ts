// Where GPU support lives on disk. The packaged app's own files are read-only (AppImage, signed bundles,
// Program Files), and onnxruntime finds its provider libraries only beside its own library, so GPU support
// is a writable copy of onnxruntime-node's native folder, plus the CUDA provider libraries, under the
// user-data folder. The CLI, the app and its job processes all compute the same folder (see userDataDir).
import os from 'node:os';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** Electron's product name; the user-data folder is named after it on every platform. */
export const PRODUCT_NAME = 'Saenggak Lab';

/**
 * The app's user-data folder: $SAENGGAK_USER_DATA when set (tests, portable installs), otherwise the
 * platform's per-user application-data folder + "Saenggak Lab" (what Electron's app.getPath('userData')
 * gives a product of that name). Not taken from Electron so plain-Node job processes and the CLI agree.
 */
export function userDataDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.SAENGGAK_USER_DATA) return env.SAENGGAK_USER_DATA;
  const home = os.homedir();
  if (process.platform === 'win32') return join(env.APPDATA ?? join(home, 'AppData', 'Roaming'), PRODUCT_NAME);
  if (process.platform === 'darwin') return join(home, 'Library', 'Application Support', PRODUCT_NAME);
  return join(env.XDG_CONFIG_HOME || join(home, '.config'), PRODUCT_NAME);
}

/** <userData>/gpu-runtime: downloads, installed runtimes, state.json. */
export function gpuRuntimeRoot(userData = userDataDir()): string {
  return join(userData, 'gpu-runtime');
}

/** `linux-x64` style name of this machine (onnxruntime-node's bin folder uses `linux/x64`). */
export function hostPlatform(): { platform: string; arch: string } {
  return { platform: process.platform, arch: process.arch };
}

/** onnxruntime-node's package folder as bundled with the app (unpacked from asar in a packaged app). */
export function bundledOrtPackageDir(): string {
  const require = createRequire(import.meta.url);
  return dirname(require.resolve('onnxruntime-node/package.json'));
}

/** The bundled native folder: onnxruntime_binding.node and libonnxruntime beside it. */
export function bundledOrtBinDir(platform: string = process.platform, arch: string = process.arch): string {
  return unpackedPath(join(bundledOrtPackageDir(), 'bin', 'napi-v6', platform, arch));
}

/**
 * In a packaged app require.resolve answers paths inside app.asar; native files are unpacked beside it
 * (electron-builder.yml asarUnpack), and copying them must read the real files there.
 */
export function unpackedPath(path: string): string {
  return path.replace(/([\\/])app\.asar([\\/])/, '$1app.asar.unpacked$2');
}

export function bundledOrtVersion(): string {
  const require = createRequire(import.meta.url);
  return (require('onnxruntime-node/package.json') as { version: string }).version;
}
