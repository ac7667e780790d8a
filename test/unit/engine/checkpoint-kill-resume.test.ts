// Kill-and-resume: a training process killed with SIGKILL and resumed from its latest checkpoint
// produces exactly the loss sequence of an uninterrupted run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const worker = join(import.meta.dirname, 'checkpoint-kill-resume.worker.ts');
type Line = { step: number; loss: number };

/** Runs the worker; resolves with its lines. With killAtStep, SIGKILLs it once that step's line arrives. */
function runWorker(args: string[], killAtStep?: number): Promise<{ lines: Line[]; signal: NodeJS.Signals | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', worker, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const lines: Line[] = [];
    let buffered = '';
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.stdout.on('data', (chunk) => {
      buffered += chunk;
      let newline;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const line = JSON.parse(buffered.slice(0, newline)) as Line;
        buffered = buffered.slice(newline + 1);
        lines.push(line);
        if (line.step === killAtStep) child.kill('SIGKILL');
      }
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code !== 0 && signal !== 'SIGKILL') reject(new Error(`worker exited with ${code}: ${stderr}`));
      else resolve({ lines, signal });
    });
  });
}

test('SIGKILL after step 3, resume from the checkpoint: same losses as an uninterrupted run', async () => {
  const straightDir = mkdtempSync(join(tmpdir(), 'kill-resume-a-'));
  const killedDir = mkdtempSync(join(tmpdir(), 'kill-resume-b-'));
  try {
    const straight = await runWorker([straightDir, '6']);
    assert.deepEqual(straight.lines.map((l) => l.step), [1, 2, 3, 4, 5, 6]);

    const killed = await runWorker([killedDir, '6', '--hang-after', '3'], 3);
    assert.equal(killed.signal, 'SIGKILL');
    assert.deepEqual(killed.lines.map((l) => l.step), [1, 2, 3]);

    const resumed = await runWorker([killedDir, '6', '--resume']);
    assert.deepEqual(resumed.lines.map((l) => l.step), [4, 5, 6]);
    assert.deepEqual([...killed.lines, ...resumed.lines].map((l) => l.loss), straight.lines.map((l) => l.loss));
  } finally {
    rmSync(straightDir, { recursive: true, force: true });
    rmSync(killedDir, { recursive: true, force: true });
  }
});
