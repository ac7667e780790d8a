// Which ONNX Runtime execution providers can create a session on this machine. Each is probed in a child
// process (probe-provider.ts) with a timeout, so a native crash or a hung driver costs a probe, not the app.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ExecutionProviderStatus } from './types.ts';
import type { LoadedBinding } from './gpu-runtime/redirect.ts';

export type ProviderName = ExecutionProviderStatus['name'];
export const PROVIDERS: readonly ProviderName[] = ['cpu', 'webgpu', 'cuda'];

/** What a probe child must offer: its output and its end (a ChildProcess, or the app's utility process). */
export type ProbeChild = {
  stdout: NodeJS.ReadableStream | null;
  stderr: NodeJS.ReadableStream | null;
  on(event: 'close', listener: (code: number | null, signal: NodeJS.Signals | null) => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  kill(signal?: NodeJS.Signals): unknown;
};
export type BundledProbeLauncher = (script: string, args: string[], env: NodeJS.ProcessEnv) => ProbeChild;
let bundledProbeLauncher: BundledProbeLauncher | null = null;

/**
 * How the packaged app starts the bundled probe. Its RunAsNode fuse is off (electron-builder.yml), so the app
 * binary cannot run a script as Node with ELECTRON_RUN_AS_NODE: main/app.ts passes a utility-process launcher.
 */
export function setBundledProbeLauncher(launch: BundledProbeLauncher | null): void {
  bundledProbeLauncher = launch;
}

/** The probe entry: TypeScript source in development, the bundled device-probe.js in the Electron build. */
function probeCommand(): { command: string; args: string[]; env: NodeJS.ProcessEnv; bundled?: string } {
  const source = new URL('./probe-provider.ts', import.meta.url);
  if (import.meta.url.endsWith('.ts') && existsSync(source)) {
    return { command: process.execPath, args: ['--import', import.meta.resolve('tsx'), fileURLToPath(source)], env: process.env };
  }
  // Bundled: Electron runs the script as plain Node when ELECTRON_RUN_AS_NODE is set.
  const bundled = fileURLToPath(new URL('./device-probe.js', import.meta.url));
  return { command: process.execPath, args: [bundled], env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' }, bundled };
}

/** A probe's answer plus which native binding the child loaded (bundled or the installed GPU runtime). */
export type ProbeResult = ExecutionProviderStatus & { binding?: LoadedBinding | null };

export async function probeProvider(name: ProviderName, timeoutMs = 30_000, extraEnv: NodeJS.ProcessEnv = {}): Promise<ProbeResult> {
  const probe = probeCommand();
  const { command, args } = probe;
  const env = { ...probe.env, ...extraEnv };
  return new Promise((resolve) => {
    const child: ProbeChild =
      probe.bundled && bundledProbeLauncher
        ? bundledProbeLauncher(probe.bundled, [name], env)
        : spawn(command, [...args, name], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk) => (stdout += chunk));
    child.stderr?.on('data', (chunk) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      resolve({ name, available: false, detail: `could not start the probe: ${error.message}` });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const line = stdout.trim().split('\n').at(-1) ?? '';
      try {
        const result = JSON.parse(line) as { ok: boolean; detail: string; binding?: LoadedBinding | null };
        resolve({ name, available: result.ok, detail: result.detail, binding: result.binding ?? null });
      } catch {
        const why = signal === 'SIGKILL' ? `timed out after ${timeoutMs} ms` : signal ? `crashed (${signal})` : `exited with code ${code}`;
        const tail = stderr.trim().split('\n').slice(-2).join(' ');
        resolve({ name, available: false, detail: `the probe ${why}${tail ? `: ${tail}` : ''}` });
      }
    });
  });
}

/** Probes every provider; the probes run one after another (a GPU probe can take seconds of CPU). */
export async function probeProviders(timeoutMs?: number): Promise<ExecutionProviderStatus[]> {
  const out: ExecutionProviderStatus[] = [];
  for (const name of PROVIDERS) out.push(await probeProvider(name, timeoutMs));
  return out;
}
