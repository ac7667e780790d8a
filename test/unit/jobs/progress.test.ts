import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProgressTracker } from '../../../main/jobs/progress.ts';

test('a steady reporter gets its true rate and the ETA remaining / rate', () => {
  const tracker = new ProgressTracker(3);
  let p = tracker.update({ done: 0, total: 1000, unit: 'rows' }, 0);
  assert.equal(p.rate, null);
  assert.equal(p.etaSeconds, null);
  // 50 rows every 0.5 s = 100 rows/s.
  for (let i = 1; i <= 10; i++) p = tracker.update({ done: 50 * i, total: 1000 }, 500 * i);
  assert.ok(Math.abs(p.rate! - 100) < 1e-9, `rate ${p.rate}`);
  assert.ok(Math.abs(p.etaSeconds! - 5) < 1e-9, `eta ${p.etaSeconds}`);
  assert.equal(p.unit, 'rows');
});

test('the rate follows a change of speed smoothly (exponential average by elapsed time)', () => {
  const tracker = new ProgressTracker(2);
  tracker.update({ done: 0 }, 0);
  tracker.update({ done: 100 }, 1000); // 100/s
  const p = tracker.update({ done: 400 }, 2000); // 300/s for 1 s
  const alpha = 1 - Math.exp(-1 / 2);
  assert.ok(Math.abs(p.rate! - (100 + alpha * 200)) < 1e-9);
  assert.equal(p.total, null);
  assert.equal(p.etaSeconds, null, 'no ETA without a total');
});

test('reports in the same instant do not produce a rate spike', () => {
  const tracker = new ProgressTracker(3);
  tracker.update({ done: 0, total: 100 }, 0);
  const p = tracker.update({ done: 50, total: 100 }, 1);
  assert.equal(p.rate, null);
});
