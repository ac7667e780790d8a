// What the CUDA provider libraries and WebGPU need from the machine, checked without loading anything:
// the NVIDIA driver's version, and the shared libraries the onnxruntime CUDA 12 build links against, found
// the way the dynamic linker would (ldconfig's cache, LD_LIBRARY_PATH, CUDA's usual folders). Each missing
// piece comes with the line that installs it on the user's distribution.
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GPU_RELEASES } from './releases.ts';

export type InstallLines = { apt: string; dnf: string; windows: string };

export type PrerequisiteCheck = {
  id: string;
  /** What it is, for people. */
  label: string;
  /** Which provider needs it. */
  for: 'cuda' | 'webgpu';
  /** The file looked for, or the minimum driver version. */
  needed: string;
  found: boolean;
  /** Path of the library found, or the driver version seen. */
  where: string | null;
  install: InstallLines;
  /** The line for this machine's package manager (apt, dnf), or the Windows instruction. */
  installLine: string;
};

export type PrerequisiteReport = {
  checks: PrerequisiteCheck[];
  cudaReady: boolean;
  webgpuReady: boolean;
  /** How libraries were searched, for the offline instructions. */
  searched: string[];
};

// CUDA 12 packages from NVIDIA's repositories (developer.download.nvidia.com/compute/cuda/repos/…); any
// 12.x minor works (minor-version compatibility), 12-8 is the line printed.
const CUDA_MINOR = '12-8';
const nvidiaRepo = (apt: string, dnf = apt): Omit<InstallLines, 'windows'> => ({ apt: `sudo apt install ${apt}`, dnf: `sudo dnf install ${dnf}` });
const CUDA_TOOLKIT_WINDOWS = 'install the CUDA Toolkit 12.x from https://developer.nvidia.com/cuda-downloads';

type LibraryNeed = { id: string; label: string; file: string; for: 'cuda' | 'webgpu'; install: InstallLines };

export function libraryNeeds(cudaMajor = 12, cudnnMajor = 9): LibraryNeed[] {
  return [
    { id: 'cudart', label: 'CUDA runtime', file: `libcudart.so.${cudaMajor}`, for: 'cuda', install: { ...nvidiaRepo(`cuda-cudart-${CUDA_MINOR}`), windows: CUDA_TOOLKIT_WINDOWS } },
    { id: 'cublas', label: 'cuBLAS', file: `libcublas.so.${cudaMajor}`, for: 'cuda', install: { ...nvidiaRepo(`libcublas-${CUDA_MINOR}`), windows: CUDA_TOOLKIT_WINDOWS } },
    { id: 'cublasLt', label: 'cuBLASLt', file: `libcublasLt.so.${cudaMajor}`, for: 'cuda', install: { ...nvidiaRepo(`libcublas-${CUDA_MINOR}`), windows: CUDA_TOOLKIT_WINDOWS } },
    { id: 'cufft', label: 'cuFFT', file: 'libcufft.so.11', for: 'cuda', install: { ...nvidiaRepo(`libcufft-${CUDA_MINOR}`), windows: CUDA_TOOLKIT_WINDOWS } },
    { id: 'curand', label: 'cuRAND', file: 'libcurand.so.10', for: 'cuda', install: { ...nvidiaRepo(`libcurand-${CUDA_MINOR}`), windows: CUDA_TOOLKIT_WINDOWS } },
    {
      id: 'cudnn',
      label: `cuDNN ${cudnnMajor}`,
      file: `libcudnn.so.${cudnnMajor}`,
      for: 'cuda',
      install: { ...nvidiaRepo(`libcudnn${cudnnMajor}-cuda-${cudaMajor}`), windows: `install cuDNN ${cudnnMajor} for CUDA ${cudaMajor} from https://developer.nvidia.com/cudnn-downloads` },
    },
    {
      id: 'vulkan',
      label: 'Vulkan loader (WebGPU)',
      file: 'libvulkan.so.1',
      for: 'webgpu',
      install: { apt: 'sudo apt install libvulkan1', dnf: 'sudo dnf install vulkan-loader', windows: 'included with the GPU driver' },
    },
  ];
}

const DRIVER_INSTALL: InstallLines = {
  apt: 'sudo ubuntu-drivers install (Debian: sudo apt install nvidia-driver)',
  dnf: 'sudo dnf install akmod-nvidia (from RPM Fusion)',
  windows: 'install the NVIDIA driver from https://www.nvidia.com/Download/index.aspx',
};

/** `ldconfig -p` lines: "\tlibcudart.so.12 (libc6,x86-64) => /usr/local/cuda/lib64/libcudart.so.12". */
export function parseLdconfig(output: string): Map<string, string> {
  const libs = new Map<string, string>();
  for (const line of output.split('\n')) {
    const m = /^\s*(\S+)\s+\(([^)]*)\)\s+=>\s+(\S+)/.exec(line);
    if (!m) continue;
    // 32-bit copies are of no use to a 64-bit process.
    if (process.arch === 'x64' && !/x86-64/.test(m[2]!)) continue;
    if (!libs.has(m[1]!)) libs.set(m[1]!, m[3]!);
  }
  return libs;
}

/** Folders the loader and CUDA installers use, besides ldconfig's cache. */
export function defaultSearchDirs(env: NodeJS.ProcessEnv = process.env): string[] {
  const dirs = (env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean);
  dirs.push('/usr/local/cuda/lib64', '/usr/local/cuda/targets/x86_64-linux/lib', '/opt/cuda/lib64');
  try {
    for (const name of readdirSync('/usr/local')) if (/^cuda-\d+/.test(name)) dirs.push(`/usr/local/${name}/lib64`);
  } catch {}
  dirs.push('/usr/lib/x86_64-linux-gnu', '/usr/lib64', '/lib/x86_64-linux-gnu');
  return [...new Set(dirs)];
}

/** Splits "550.54.15" into numbers and compares them part by part. */
export function versionAtLeast(version: string, minimum: string): boolean {
  const a = version.split('.').map(Number);
  const b = minimum.split('.').map(Number);
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    if (x !== y) return x > y;
  }
  return true;
}

/** The driver version from /proc (Linux), without needing nvidia-smi. */
export function readProcDriverVersion(path = '/proc/driver/nvidia/version'): string | null {
  try {
    return /Kernel Module\s+(?:for\s+\S+\s+)?([\d.]+)/.exec(readFileSync(path, 'utf8'))?.[1] ?? null;
  } catch {
    return null;
  }
}

/** apt or dnf, from /etc/os-release's ID and ID_LIKE; apt when unknown. */
export function packageManager(osRelease = '/etc/os-release'): 'apt' | 'dnf' {
  try {
    const text = readFileSync(osRelease, 'utf8');
    const ids = /^ID(?:_LIKE)?=.*$/gm;
    const all = (text.match(ids) ?? []).join(' ').toLowerCase();
    if (/fedora|rhel|centos|rocky|alma|suse/.test(all)) return 'dnf';
  } catch {}
  return 'apt';
}

export async function runLdconfig(): Promise<string> {
  for (const command of ['ldconfig', '/sbin/ldconfig', '/usr/sbin/ldconfig']) {
    const out = await new Promise<string | null>((resolve) =>
      execFile(command, ['-p'], { timeout: 10_000, maxBuffer: 16 << 20 }, (error, stdout) => resolve(error ? null : stdout)),
    );
    if (out !== null) return out;
  }
  return '';
}

export type PrerequisiteInputs = {
  /** `ldconfig -p` output; run when not given. */
  ldconfig?: string;
  searchDirs?: string[];
  /** The driver version seen (nvidia-smi or /proc); null when no NVIDIA driver answers. */
  driverVersion?: string | null;
  platform?: string;
  manager?: 'apt' | 'dnf';
  onnxruntime?: string;
};

export async function checkPrerequisites(inputs: PrerequisiteInputs = {}): Promise<PrerequisiteReport> {
  const platform = inputs.platform ?? process.platform;
  const release = Object.values(GPU_RELEASES[inputs.onnxruntime ?? '1.30.0'] ?? {})[0];
  const requires = release?.requires ?? { cudaMajor: 12, cudnnMajor: 9, minDriverLinux: '525.60.13', minDriverWindows: '528.33' };
  const manager = inputs.manager ?? packageManager();
  const lineFor = (install: InstallLines) => (platform === 'win32' ? install.windows : install[manager]);
  const checks: PrerequisiteCheck[] = [];

  const driver = inputs.driverVersion === undefined ? readProcDriverVersion() : inputs.driverVersion;
  const minDriver = platform === 'win32' ? requires.minDriverWindows : requires.minDriverLinux;
  checks.push({
    id: 'nvidia-driver',
    label: `NVIDIA driver for CUDA ${requires.cudaMajor}`,
    for: 'cuda',
    needed: `>= ${minDriver}`,
    found: driver !== null && versionAtLeast(driver, minDriver),
    where: driver,
    install: DRIVER_INSTALL,
    installLine: lineFor(DRIVER_INSTALL),
  });

  const searched: string[] = [];
  const cache = platform === 'linux' ? parseLdconfig(inputs.ldconfig ?? (await runLdconfig())) : new Map<string, string>();
  if (platform === 'linux') searched.push('ldconfig -p');
  const dirs = inputs.searchDirs ?? (platform === 'linux' ? defaultSearchDirs() : []);
  searched.push(...dirs);
  for (const need of libraryNeeds(requires.cudaMajor, requires.cudnnMajor)) {
    let where = cache.get(need.file) ?? null;
    if (!where) where = dirs.map((d) => join(d, need.file)).find((p) => existsSync(p)) ?? null;
    checks.push({ id: need.id, label: need.label, for: need.for, needed: need.file, found: where !== null, where, install: need.install, installLine: lineFor(need.install) });
  }
  return {
    checks,
    cudaReady: checks.filter((c) => c.for === 'cuda').every((c) => c.found),
    webgpuReady: checks.filter((c) => c.for === 'webgpu').every((c) => c.found),
    searched,
  };
}
