// `saenggak setup gpu` / the Devices page's "Install GPU support": download the release archive for the
// bundled onnxruntime version (resumable, digest-checked), build a complete runtime folder beside the
// others in a staging folder (the bundled native files + the CUDA provider libraries), and only then swap
// it in with a rename. A failure at any step leaves the previous state untouched: no half-installed runtime.
import { copyFileSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DigestMismatchError, downloadVerified, sha256File, type DownloadProgress } from './download.ts';
import { extractZipEntry, listZipEntries } from './zip.ts';
import { resolveRelease, type GpuRelease, type ReleaseTable } from './releases.ts';
import { bundledOrtBinDir, bundledOrtVersion, gpuRuntimeRoot } from './paths.ts';
import { readState, writeState } from './state.ts';
import { writeFile } from 'node:fs/promises';

export type InstallProgress =
  | ({ phase: 'download' } & DownloadProgress)
  | { phase: 'extract'; file: string }
  | { phase: 'installed'; dir: string };

export type InstallOptions = {
  userData?: string;
  /** Defaults to the bundled onnxruntime-node version. */
  onnxruntime?: string;
  platform?: string;
  arch?: string;
  table?: ReleaseTable;
  /** The native folder to copy (default: the bundled onnxruntime-node's). */
  bundledBinDir?: string;
  /** Install although the project has no digest for the archive (its measured digest is reported). */
  allowUnrecordedDigest?: boolean;
  /** Base URL replacing nuget.org's flat container (same paths below it). */
  mirror?: string;
  /** Expected SHA-256 of the archive where the app has none recorded. */
  sha256?: string;
  onProgress?: (p: InstallProgress) => void;
  signal?: AbortSignal;
  retries?: number;
};

export type InstalledFile = { name: string; bytes: number; sha256: string; from: 'bundled' | 'archive' };

export type InstallResult = {
  onnxruntime: string;
  target: string;
  dir: string;
  archives: { name: string; sha256: string; bytes: number; recorded: boolean }[];
  files: InstalledFile[];
};

export class UnrecordedDigestError extends Error {}

/**
 * `--mirror URL` serves the same files from elsewhere (a company NuGet mirror): only the URL prefix
 * changes, the recorded digests still decide. `--sha256 HEX` supplies a digest for an archive the app has
 * none for; where one is recorded it must agree.
 */
/** $SAENGGAK_GPU_MIRROR: the mirror for the app and serve mode (the Devices page has no field for it). */
function mirrorFromEnv(): string | undefined {
  return process.env.SAENGGAK_GPU_MIRROR || undefined;
}

function withOverrides(release: GpuRelease, options: Pick<InstallOptions, 'mirror' | 'sha256'>): GpuRelease {
  const files = release.files.map((file, i) => {
    let { url, sha256 } = file;
    if (options.mirror) url = options.mirror.replace(/\/?$/, '/') + url.replace(/^https:\/\/api\.nuget\.org\/v3-flatcontainer\//, '');
    if (options.sha256 && i === 0) {
      const given = options.sha256.toLowerCase();
      if (!/^[0-9a-f]{64}$/.test(given)) throw new Error(`--sha256 must be 64 hex digits, got "${options.sha256}"`);
      if (sha256 && sha256 !== given) throw new Error(`--sha256 ${given} disagrees with the digest recorded for ${file.name} (${sha256}); refusing`);
      sha256 = given;
    }
    return { ...file, url, sha256 };
  });
  return { ...release, files };
}

export function runtimeFolderName(release: Pick<GpuRelease, 'onnxruntime' | 'target'>): string {
  return `onnxruntime-${release.onnxruntime}-${release.target}`;
}

/** Refuses before any byte is fetched when a digest is missing and the user did not accept that. */
export function checkDigestsRecorded(release: GpuRelease, allowUnrecorded: boolean): void {
  const missing = release.files.filter((f) => !f.sha256).map((f) => f.name);
  if (missing.length && !allowUnrecorded) {
    throw new UnrecordedDigestError(
      `no SHA-256 is recorded in this app for ${missing.join(', ')} (onnxruntime ${release.onnxruntime}, ${release.target}), ` +
        'so a download cannot be checked. Install with --allow-unrecorded-digest (the Devices page: "Install without a recorded digest") ' +
        'to accept the file nuget.org serves over HTTPS; the measured digest is printed so it can be recorded in main/devices/gpu-runtime/releases.ts.',
    );
  }
}

export async function installGpuRuntime(options: InstallOptions = {}): Promise<InstallResult> {
  const root = gpuRuntimeRoot(options.userData);
  const onnxruntime = options.onnxruntime ?? bundledOrtVersion();
  const platform = options.platform ?? process.platform;
  const arch = options.arch ?? process.arch;
  const release = withOverrides(resolveRelease(onnxruntime, platform, arch, options.table), { ...options, mirror: options.mirror ?? mirrorFromEnv() });
  checkDigestsRecorded(release, options.allowUnrecordedDigest ?? false);

  const downloads = join(root, 'downloads');
  mkdirSync(downloads, { recursive: true });
  const archives: InstallResult['archives'] = [];
  const archivePaths: string[] = [];
  for (const file of release.files) {
    const partPath = join(downloads, `${file.name}.part`);
    const placed = join(downloads, file.name);
    if (existsSync(placed)) {
      // Offline: the user put the archive here by hand. Same digest rule, no network.
      const got = { sha256: await sha256File(placed), bytes: statSync(placed).size };
      if (file.sha256 && got.sha256 !== file.sha256.toLowerCase()) {
        throw new DigestMismatchError(file.name, file.sha256, got.sha256, `${placed} was left where it is and nothing was installed`);
      }
      options.onProgress?.({ phase: 'download', file: file.name, receivedBytes: got.bytes, totalBytes: got.bytes, resumedFrom: got.bytes, attempt: 0 });
      archives.push({ name: file.name, sha256: got.sha256, bytes: got.bytes, recorded: Boolean(file.sha256) });
      archivePaths.push(placed);
      continue;
    }
    const got = await downloadVerified({
      file: file.name,
      url: file.url,
      partPath,
      expectedSha256: file.sha256,
      expectedBytes: file.bytes,
      onProgress: (p) => options.onProgress?.({ phase: 'download', ...p }),
      signal: options.signal,
      retries: options.retries,
    });
    archives.push({ name: file.name, sha256: got.sha256, bytes: got.bytes, recorded: Boolean(file.sha256) });
    archivePaths.push(partPath);
  }

  const folder = runtimeFolderName(release);
  const finalDir = join(root, folder);
  const staging = join(root, `.staging-${folder}-${process.pid}-${Date.now()}`);
  mkdirSync(staging, { recursive: true });
  const files: InstalledFile[] = [];
  try {
    // The bundled binding and libonnxruntime: onnxruntime looks for provider libraries beside its own
    // library (and the binding's RUNPATH is $ORIGIN), so the providers need a copy of both.
    const binDir = options.bundledBinDir ?? bundledOrtBinDir(platform, arch);
    for (const name of readdirSync(binDir)) {
      if (!statSync(join(binDir, name)).isFile()) continue;
      copyFileSync(join(binDir, name), join(staging, name));
      files.push({ name, bytes: statSync(join(staging, name)).size, sha256: await sha256File(join(staging, name)), from: 'bundled' });
    }
    if (!files.some((f) => f.name === 'onnxruntime_binding.node')) throw new Error(`${binDir} has no onnxruntime_binding.node`);
    const entries = await listZipEntries(archivePaths[0]!);
    for (const member of release.members) {
      const entry = entries.find((e) => e.name === member.pathInArchive);
      if (!entry) throw new Error(`${release.files[0]!.name} has no ${member.pathInArchive}`);
      options.onProgress?.({ phase: 'extract', file: member.name });
      const dest = join(staging, member.name);
      await extractZipEntry(archivePaths[0]!, entry, dest);
      files.push({ name: member.name, bytes: entry.size, sha256: await sha256File(dest), from: 'archive' });
    }
    const manifest = { onnxruntime, target: release.target, installedAt: new Date().toISOString(), archives, files };
    await writeFile(join(staging, 'install.json'), JSON.stringify(manifest, null, 2) + '\n');

    // Swap: the old runtime (if any) moves aside first, so a crash between the renames leaves either the
    // old or the new one under its name, never a mixture.
    const old = existsSync(finalDir) ? `${finalDir}.old-${Date.now()}` : null;
    if (old) renameSync(finalDir, old);
    renameSync(staging, finalDir);
    if (old) rmSync(old, { recursive: true, force: true });
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    throw error;
  }
  // The verified archive is no longer needed (hundreds of MB); a hand-placed one is the user's to keep.
  for (const path of archivePaths) if (path.endsWith('.part')) rmSync(path, { force: true });
  const previous = readState(root);
  writeState(root, {
    ...previous,
    active: folder,
    onnxruntime,
    target: release.target,
    enabled: true,
    installedAt: new Date().toISOString(),
    verified: null,
    rolledBack: null,
  });
  options.onProgress?.({ phase: 'installed', dir: finalDir });
  return { onnxruntime, target: release.target, dir: finalDir, archives, files };
}

/** `--dry-run --json`: what would be fetched, without touching the network or the disk. */
export function dryRunPlan(options: Pick<InstallOptions, 'onnxruntime' | 'platform' | 'arch' | 'table' | 'mirror' | 'sha256'> = {}) {
  const onnxruntime = options.onnxruntime ?? bundledOrtVersion();
  const release = withOverrides(resolveRelease(onnxruntime, options.platform ?? process.platform, options.arch ?? process.arch, options.table), {
    ...options,
    mirror: options.mirror ?? mirrorFromEnv(),
  });
  return {
    onnxruntime,
    target: release.target,
    files: release.files.map((f) => ({ name: f.name, url: f.url, bytes: f.bytes, sha256: f.sha256 })),
  };
}
