// Estimated start of a job waiting for its device (#21): the running job's ETA plus the mean past run time
// of each kind ahead in line; null where a part is unknown.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { JobRecord } from '../../../main/api/contract.ts';
import { estimatedStartSeconds } from '../../../renderer/src/lib/components/queueEta.ts';

const job = (over: Partial<JobRecord>): JobRecord => ({ id: 'x', kind: 'sft', title: '', status: 'queued', createdAt: '2026-01-01T00:00:00Z', startedAt: null, endedAt: null, progress: null, ...over }) as JobRecord;
const done = (id: string, kind: string, secs: number) => job({ id, kind, status: 'succeeded', device: 'cuda:0', startedAt: '2026-01-01T00:00:00Z', endedAt: new Date(Date.parse('2026-01-01T00:00:00Z') + secs * 1000).toISOString() });

test('estimated start: running ETA, plus the mean past duration of each kind ahead', () => {
  const running = job({ id: 'r', status: 'running', device: 'cuda:0', progress: { etaSeconds: 120 } as JobRecord['progress'] });
  const first = job({ id: 'a', kind: 'sft', device: 'cuda:0', queue: { device: 'cuda:0', position: 1 } });
  const second = job({ id: 'b', kind: 'grpo', device: 'cuda:0', queue: { device: 'cuda:0', position: 2 } });
  const history = [done('h1', 'sft', 100), done('h2', 'sft', 300)];
  const all = [running, first, second, ...history];
  assert.equal(estimatedStartSeconds(first, all), 120);
  assert.equal(estimatedStartSeconds(second, all), 120 + 200);
  // No past GRPO run: the third in line cannot be told.
  const third = job({ id: 'c', kind: 'sft', device: 'cuda:0', queue: { device: 'cuda:0', position: 3 } });
  assert.equal(estimatedStartSeconds(third, [...all, third]), null);
  // The running job has no rate yet: unknown.
  assert.equal(estimatedStartSeconds(first, [job({ ...running, progress: null }), first]), null);
  // Paused and idle device: nothing running, first in line starts when resumed (0 s of waiting on others).
  assert.equal(estimatedStartSeconds(first, [first]), 0);
});
