// How the runner starts a job process. The default forks Node with tsx's loader so TypeScript kinds run
// straight from source; the Electron shell passes its own launcher built on `utilityProcess`.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ParentMessage, WorkerMessage } from './job-kind.ts';

export type JobProcess = {
  readonly pid: number | undefined;
  /** Combined stdout and stderr of the process (what crash reports quote), if captured. */
  readonly stdout: NodeJS.ReadableStream | null;
  readonly stderr: NodeJS.ReadableStream | null;
  send(message: ParentMessage): void;
  onMessage(listener: (message: WorkerMessage) => void): void;
  /** Called once when the process has exited: exit code, or the signal that killed it. */
  onExit(listener: (code: number | null, signal: string | null) => void): void;
  kill(signal: 'SIGTERM' | 'SIGKILL'): void;
};

export type LaunchJobProcess = (entry: string, options: { env: NodeJS.ProcessEnv }) => JobProcess;

/** The worker entry next to this file (source in development; bundled `job-worker.js` in Electron). */
export const defaultWorkerEntry = fileURLToPath(new URL('./worker.ts', import.meta.url));

/** tsx's loader, resolved from this package so a job starts the same whatever the current directory. */
function tsxLoader(): string {
  return import.meta.resolve('tsx');
}

export const forkJobProcess: LaunchJobProcess = (entry, { env }) => {
  const child = fork(entry, [], {
    execArgv: entry.endsWith('.ts') ? ['--import', tsxLoader()] : [],
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    serialization: 'advanced',
    env,
  });
  return {
    pid: child.pid,
    stdout: child.stdout,
    stderr: child.stderr,
    send: (message) => {
      if (child.connected) child.send(message);
    },
    onMessage: (listener) => child.on('message', (message) => listener(message as WorkerMessage)),
    // 'close' (not 'exit'): fires after stdout and stderr are drained, so the log has the last lines.
    onExit: (listener) => child.once('close', (code, signal) => listener(code, signal)),
    kill: (signal) => {
      child.kill(signal);
    },
  };
};
