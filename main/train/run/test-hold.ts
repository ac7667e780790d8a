// Test hook: makes "stop during training, then resume" deterministic on machines of any speed. A tiny test
// model can finish hundreds of steps between two polls of a browser test, so a test that must click Stop
// mid-run sets SAENGGAK_TEST_HOLD_AT_STEP=N: a fresh (not resumed) run waits after optimizer step N until it
// is stopped (two minutes at most). A resumed run never waits, so the resume finishes. Off unless the variable is set, and never
// without a stop signal to end the wait.

/** Waits until `signal` aborts when the hook is on, this run did not resume, and `step` is the hook's step. */
export async function holdForTest(step: number, resumed: boolean, signal: AbortSignal | undefined): Promise<void> {
  const at = process.env.SAENGGAK_TEST_HOLD_AT_STEP;
  if (!at || resumed || !signal || signal.aborted) return;
  const holdStep = Number(at);
  if (!Number.isInteger(holdStep) || holdStep < 1) throw new Error(`SAENGGAK_TEST_HOLD_AT_STEP must be a positive integer, got '${at}'`);
  if (step !== holdStep) return;
  // At most two minutes: a test that never stops the run then fails on its assertions instead of hanging.
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, 120_000);
    signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
  });
}

/** The hook's step (a run of the loop step must end there, so the hold comes right after it), or null when off. */
export function testHoldStep(): number | null {
  const at = Number(process.env.SAENGGAK_TEST_HOLD_AT_STEP);
  return Number.isInteger(at) && at >= 1 ? at : null;
}
