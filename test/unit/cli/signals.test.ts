// A long CLI command must stop cleanly on the first SIGTERM/SIGINT (its AbortSignal fires with the given
// reason and the notice reaches stderr) and must not swallow signals after it has released them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const signalsModule = fileURLToPath(new URL('../../../main/cli/signals.ts', import.meta.url));

function runChild(script: string, signal: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let sent = false;
    child.stdout.on('data', (d) => {
      stdout += d;
      if (!sent && stdout.includes('ready')) {
        sent = true;
        child.kill(signal);
      }
    });
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code, sig) => resolve({ code, signal: sig, stdout, stderr }));
  });
}

test('the first signal aborts with the reason and prints the notice; the command then exits on its own', async () => {
  const script = `
    const { stopOnSignals } = await import(${JSON.stringify(signalsModule)});
    const stop = stopOnSignals({ notice: 'stopping soon', reason: 'stopped by signal' });
    const keepAlive = setInterval(() => {}, 1000);
    stop.signal.addEventListener('abort', () => {
      process.stdout.write('aborted: ' + stop.signal.reason.message + '\\n');
      stop.release();
      clearInterval(keepAlive);
    });
    process.stdout.write('ready\\n');`;
  for (const sig of ['SIGTERM', 'SIGINT'] as const) {
    const result = await runChild(script, sig);
    assert.equal(result.code, 0, `${sig}: ${result.stderr}`);
    assert.match(result.stdout, /aborted: stopped by signal/);
    assert.match(result.stderr, /stopping soon/);
  }
});

test('after release a signal terminates the process as usual', async () => {
  const script = `
    const { stopOnSignals } = await import(${JSON.stringify(signalsModule)});
    const stop = stopOnSignals();
    stop.release();
    setInterval(() => {}, 1000);
    process.stdout.write('ready\\n');`;
  const result = await runChild(script, 'SIGTERM');
  assert.equal(result.signal, 'SIGTERM');
});
