// splitError: a failed job's error text (reason + "Last log lines:" + the log's tail with the worker's stack)
// becomes one sentence and hidden details; the reason must not appear in the sentence twice.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { splitError } from '../../../renderer/src/lib/components/errors/error-text.ts';

test('a job error: the reason once, the log tail and the stack as details', () => {
  const reason = 'Error: benchmark x: row 1 has no answer in column "gold"';
  const text = `${reason}\nLast log lines:\n[1/1] tiny on x\n${reason}\n    at toBenchmark (file:///a.ts:1:2)\n    at run (file:///b.ts:3:4)\n[saenggak] ${reason}`;
  const { message, details } = splitError(text);
  assert.equal(message, 'benchmark x: row 1 has no answer in column "gold"');
  assert.match(details, /^Last log lines:\n\[1\/1\] tiny on x\n/);
  assert.match(details, /\n {4}at run \(file:\/\/\/b\.ts:3:4\)/);
});

test('a bare stack: the message without the Error prefix, the frames as details', () => {
  const { message, details } = splitError('TypeError: cannot read x\n    at f (a.js:1:1)');
  assert.equal(message, 'cannot read x');
  assert.equal(details, 'at f (a.js:1:1)');
  assert.deepEqual(splitError('No workspace is open.'), { message: 'No workspace is open.', details: '' });
  // A multi-line message keeps its lines.
  assert.equal(splitError('Error: first\nsecond\n    at g (b.js:2:2)').message, 'first\nsecond');
});
