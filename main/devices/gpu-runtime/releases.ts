// The CUDA provider downloads per onnxruntime version: the same release files onnxruntime-node's own
// installer fetches (node_modules/onnxruntime-node/script/install-metadata.js: on linux/x64 the NuGet
// package Microsoft.ML.OnnxRuntime.Gpu.Linux of the same version, from nuget.org's PackageBaseAddress
// https://api.nuget.org/v3-flatcontainer/, three files from runtimes/linux-x64/native/). onnxruntime-node
// lists no CUDA download for any other platform: Windows and macOS bindings use DirectML / CoreML / WebGPU.
//
// Digests: each archive is checked against a SHA-256 recorded here before anything is installed. A digest
// must come from the real file (`saenggak setup gpu --allow-unrecorded-digest` prints it after a download
// on a machine with internet). Where it has not been recorded yet the entry says `sha256: null` and the
// installer refuses unless the user explicitly accepts an unrecorded digest.

export type ReleaseFile = {
  /** File name of the archive as downloaded. */
  name: string;
  url: string;
  /** Size in bytes, or null where not recorded yet (then only the digest decides). */
  bytes: number | null;
  /** Lower-case hex SHA-256 of the whole archive, or null where not recorded yet. */
  sha256: string | null;
};

export type ReleaseMember = {
  /** Path of the file inside the archive. */
  pathInArchive: string;
  /** File name it gets beside libonnxruntime in the installed runtime. */
  name: string;
};

export type GpuRelease = {
  onnxruntime: string;
  /** `linux-x64-cuda12` style: platform, arch, provider build. */
  target: string;
  files: ReleaseFile[];
  /** Which archive member lands under which name (all members come from files[0]). */
  members: ReleaseMember[];
  /** What the provider libraries need on the machine (checked by prerequisites.ts). */
  requires: { cudaMajor: number; cudnnMajor: number; minDriverLinux: string; minDriverWindows: string };
};

const NUGET_FLAT = 'https://api.nuget.org/v3-flatcontainer/';

function nugetLinuxCuda12(version: string, bytes: number | null, sha256: string | null): GpuRelease {
  const id = 'microsoft.ml.onnxruntime.gpu.linux';
  const name = `${id}.${version}.nupkg`;
  const native = 'runtimes/linux-x64/native/';
  return {
    onnxruntime: version,
    target: 'linux-x64-cuda12',
    files: [{ name, url: `${NUGET_FLAT}${id}/${version}/${name}`, bytes, sha256 }],
    members: ['libonnxruntime_providers_cuda.so', 'libonnxruntime_providers_shared.so', 'libonnxruntime_providers_tensorrt.so'].map(
      (file) => ({ pathInArchive: native + file, name: file }),
    ),
    // CUDA 12.x minor-version compatibility needs driver >= 525.60.13 (Linux) / 528.33 (Windows);
    // onnxruntime's CUDA 12 packages are built against cuDNN 9.
    requires: { cudaMajor: 12, cudnnMajor: 9, minDriverLinux: '525.60.13', minDriverWindows: '528.33' },
  };
}

/**
 * version → target → release. 1.30.0 is the version bundled today; its archive digest and size could not
 * be measured on the build machines (no route to nuget.org) and are to be filled from a real download.
 */
export const GPU_RELEASES: Record<string, Record<string, GpuRelease>> = {
  '1.30.0': { 'linux-x64-cuda12': nugetLinuxCuda12('1.30.0', null, null) },
};

export type ReleaseTable = typeof GPU_RELEASES;

/** The target name for a platform/arch, or null where onnxruntime-node has no CUDA download. */
export function cudaTargetFor(platform: string, arch: string): string | null {
  return platform === 'linux' && arch === 'x64' ? 'linux-x64-cuda12' : null;
}

/** The release for this onnxruntime version and machine, or an error that says what is supported. */
export function resolveRelease(
  onnxruntime: string,
  platform: string,
  arch: string,
  table: ReleaseTable = GPU_RELEASES,
): GpuRelease {
  const target = cudaTargetFor(platform, arch);
  if (!target) {
    throw new Error(
      `onnxruntime-node has no CUDA download for ${platform}/${arch} (only linux/x64); use the WebGPU or CPU provider here`,
    );
  }
  const byTarget = table[onnxruntime];
  if (!byTarget) {
    const known = Object.keys(table).join(', ') || 'none';
    throw new Error(
      `no CUDA download is recorded for onnxruntime ${onnxruntime} (recorded: ${known}); this app version cannot install GPU support for it — update the app, or place the files by hand (docs/gpu.md)`,
    );
  }
  const release = byTarget[target];
  if (!release) throw new Error(`no CUDA download is recorded for onnxruntime ${onnxruntime} on ${target}`);
  return release;
}
