// `saenggak … --json | head`: when the reader closes the pipe early, the next write fails with EPIPE,
// emitted as an 'error' event on process.stdout that nothing handles, so Node crashed with a stack trace
// and exit code 1. A closed reader means nobody wants the rest: stop quietly with success, the way
// shell tools behave under `head` (they die of SIGPIPE, which the shell does not report as a failure).
import type { Writable } from 'node:stream';

function guard(stream: Writable): void {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    // Any other write error is real: surface it as before (uncaught).
    throw error;
  });
}

let installed = false;

/** Makes EPIPE on stdout / stderr end the process quietly. Idempotent. */
export function installEpipeGuard(): void {
  if (installed) return;
  installed = true;
  guard(process.stdout);
  guard(process.stderr);
}
