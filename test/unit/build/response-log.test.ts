import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ResponseLog, type LoggedResponse } from '../../../main/llm/response-log.ts';

const entry = (i: number): LoggedResponse => ({
  prompt_id: `p${i}`,
  teacher: 't',
  sample_idx: 0,
  status: 'ok',
  thinking: `생각 ${i}`,
  answer: `답 ${i}`,
  thinking_source: 'think_tags',
  finish_reason: 'stop',
  usage: null,
  created_at: '2026-01-01T00:00:00.000Z',
});

test('async flushes run in order off the event loop; what they acknowledge is on disk and reads back', async () => {
  const path = join(mkdtempSync(join(tmpdir(), 'saenggak-log-')), 'responses.jsonl');
  const log = ResponseLog.open(path);
  const flushes: Promise<LoggedResponse[]>[] = [];
  for (let i = 0; i < 50; i++) {
    log.add(entry(i));
    if (i % 7 === 6) flushes.push(log.flushAsync());
  }
  log.add(entry(3)); // a duplicate key is ignored
  const acknowledged = (await Promise.all(flushes)).flat();
  // A flush takes what is queued when it starts, so the later ones also took p49; each line exactly once, in order.
  assert.deepEqual(acknowledged.map((e) => e.prompt_id), Array.from({ length: 50 }, (_, i) => `p${i}`));
  // Everything acknowledged is in the file already, before close.
  assert.equal(readFileSync(path, 'utf8').trimEnd().split('\n').length, 50);
  log.add(entry(50));
  await log.idle();
  assert.deepEqual(log.flush().map((e) => e.prompt_id), ['p50']);
  log.close();
  const reopened = ResponseLog.open(path);
  assert.deepEqual(reopened.all().map((e) => e.prompt_id), Array.from({ length: 51 }, (_, i) => `p${i}`));
  assert.deepEqual(reopened.all()[7], entry(7));
  reopened.close();
});
