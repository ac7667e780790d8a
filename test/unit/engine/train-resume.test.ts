// Kill-and-resume: a training process SIGKILLed between checkpoints, restarted, produces the same
// per-step losses as an uninterrupted run (CPU, float32, bit for bit).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const worker = join(import.meta.dirname, 'train-resume-worker.ts');
const TOTAL = 10, EVERY = 3, KILL_AFTER = 7; // checkpoints at 3 and 6; step 7 is lost and redone

function runWorker(dir: string, hangAfter?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  return new Promise((resolve) => {
    const args = ['--import', 'tsx', worker, dir, String(TOTAL), String(EVERY), ...(hangAfter ? [String(hangAfter)] : [])];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.stdout.on('data', (d: Buffer) => {
      if (hangAfter && d.toString().includes(`step ${hangAfter}\n`)) child.kill('SIGKILL');
    });
    child.on('exit', (code, signal) => resolve({ code, signal, stderr }));
  });
}

function losses(dir: string): { step: number; loss: number }[] {
  return readFileSync(join(dir, 'losses.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
}

test('SIGKILL mid-run, resume from the last checkpoint: same loss sequence as an uninterrupted run', async () => {
  const straightDir = mkdtempSync(join(tmpdir(), 'resume-straight-'));
  const killedDir = mkdtempSync(join(tmpdir(), 'resume-killed-'));
  try {
    const straight = await runWorker(straightDir);
    assert.equal(straight.code, 0, straight.stderr);
    const expected = losses(straightDir);
    assert.deepEqual(expected.map((l) => l.step), [...Array(TOTAL).keys()].map((i) => i + 1));

    const killed = await runWorker(killedDir, KILL_AFTER);
    assert.equal(killed.signal, 'SIGKILL', killed.stderr);
    assert.equal(losses(killedDir).length, KILL_AFTER, 'killed after step 7, before finishing');
    const resumed = await runWorker(killedDir);
    assert.equal(resumed.code, 0, resumed.stderr);

    const log = losses(killedDir);
    // The restart begins right after the last checkpoint (step 6), so step 7 appears twice.
    assert.deepEqual(log.map((l) => l.step), [1, 2, 3, 4, 5, 6, 7, 7, 8, 9, 10]);
    const lastPerStep = new Map(log.map((l) => [l.step, l.loss]));
    assert.deepEqual([...lastPerStep.entries()].sort((a, b) => a[0] - b[0]).map(([, loss]) => loss), expected.map((l) => l.loss));
    assert.equal(log[6].loss, log[7].loss, 'the redone step 7 reproduces the lost one');
    assert.ok(expected[0].loss > expected[TOTAL - 1].loss, 'training makes progress');
  } finally {
    rmSync(straightDir, { recursive: true, force: true });
    rmSync(killedDir, { recursive: true, force: true });
  }
});
