// Long commands (data build, pairs build, training, the pipeline) stop cleanly on Ctrl-C or SIGTERM: the
// first signal aborts their AbortSignal so they finish the current step, checkpoint and exit; a second
// signal finds no listener left and kills the process as usual.

export type SignalStop = {
  signal: AbortSignal;
  /** Removes the listeners; call in `finally` once the command is done. */
  release(): void;
};

/**
 * @param notice printed on stderr when a signal arrives (e.g. what happens next)
 * @param reason the abort reason handed to the command (an Error message for commands that report it)
 */
export function stopOnSignals(options: { notice?: string; reason?: string } = {}): SignalStop {
  const controller = new AbortController();
  const stop = () => {
    if (options.notice) process.stderr.write(`\n${options.notice}\n`);
    controller.abort(options.reason === undefined ? undefined : new Error(options.reason));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return {
    signal: controller.signal,
    release() {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    },
  };
}
