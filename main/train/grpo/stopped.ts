// How a stop request leaves the GRPO loop: the phases check the signal at their boundaries and throw
// Stopped; the trainer catches it, saves a checkpoint and ends the run 'stopped' (not 'failed').

export class Stopped extends Error {}

/** Throws Stopped once `signal` has aborted. */
export function throwIfStopped(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new Stopped('stopped');
}
