// The job process's side of the message channel, for both process kinds it may run in:
// Node's child_process.fork (process.send / process.on('message')) and Electron's utilityProcess
// (process.parentPort). Keeping this seam small is what lets the same worker run in both.
import type { ParentMessage, WorkerMessage } from './job-kind.ts';

type ParentPort = {
  postMessage(message: unknown): void;
  on(event: 'message', listener: (event: { data: unknown }) => void): void;
};

export type WorkerChannel = {
  send(message: WorkerMessage): void;
  onMessage(listener: (message: ParentMessage) => void): void;
  /** Resolves once every sent message has been handed to the OS (so exiting loses nothing). */
  flush(): Promise<void>;
};

export function createWorkerChannel(): WorkerChannel {
  const parentPort = (process as unknown as { parentPort?: ParentPort }).parentPort;
  if (parentPort) {
    return {
      send: (message) => parentPort.postMessage(message),
      onMessage: (listener) => parentPort.on('message', (event) => listener(event.data as ParentMessage)),
      flush: () => new Promise((resolve) => setTimeout(resolve, 50)),
    };
  }
  if (!process.send) throw new Error('the job worker must be started with an IPC channel (fork or utilityProcess)');
  // An orphaned job (the app died) has nobody to report to: stop rather than run on unobserved.
  process.on('disconnect', () => process.exit(1));
  let pending = Promise.resolve();
  return {
    send: (message) => {
      pending = pending.then(
        () => new Promise<void>((resolve) => process.send!(message, undefined, undefined, () => resolve())),
      );
    },
    onMessage: (listener) => process.on('message', (message) => listener(message as ParentMessage)),
    flush: () => pending,
  };
}
