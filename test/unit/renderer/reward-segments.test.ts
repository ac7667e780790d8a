// The playground's response view: pieces of the thinking with the stripped spans marked. The pieces must
// put the text back together exactly, mark exactly the span texts, and cope with spans that are clipped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { responseView, segment, spanCounts } from '../../../renderer/src/lib/rewards/segments.ts';
import type { RewardEvaluation, TextSpan } from '../../../main/api/contract.ts';

test('segments rebuild the range and mark exactly the spans', () => {
  const text = 'ab $x$ cd `y` ef 12';
  const spans: TextSpan[] = [
    { start: 3, end: 6, kind: 'math' },
    { start: 10, end: 13, kind: 'code' },
    { start: 17, end: 19, kind: 'number' },
  ];
  const pieces = segment(text, 0, text.length, spans);
  assert.equal(pieces.map((p) => p.text).join(''), text);
  assert.deepEqual(
    pieces.filter((p) => p.kind).map((p) => [p.kind, p.text]),
    [['math', '$x$'], ['code', '`y`'], ['number', '12']],
  );
  // A sub-range clips spans at its edges and drops those outside it.
  const clipped = segment(text, 4, 12, spans);
  assert.equal(clipped.map((p) => p.text).join(''), text.slice(4, 12));
  assert.deepEqual(clipped.map((p) => p.kind), ['math', null, 'code']);
  assert.deepEqual(spanCounts(spans), { math: 1, code: 1, number: 1 });
});

test('the view trims the thinking block and separates the summary', () => {
  const response = '<think>\n  풀이 $x=1$\n</think>\n답: 1';
  const start = response.indexOf('$');
  const result = {
    split: { status: 'ok', blocks: 1, thinking: { start: 7, end: response.indexOf('</think>') }, summaryStart: response.indexOf('</think>') + 8, thinkingEmpty: false, summaryEmpty: false },
    spans: [{ start, end: start + 5, kind: 'math' }],
  } as unknown as RewardEvaluation;
  const view = responseView(response, result);
  assert.deepEqual(view.thinking, [
    { text: '풀이 ', kind: null },
    { text: '$x=1$', kind: 'math' },
  ]);
  assert.equal(view.summary, '답: 1');
  const none = responseView('just 1', { ...result, split: { ...result.split, thinking: null, summaryStart: 0 }, spans: [] });
  assert.equal(none.thinking, null);
  assert.equal(none.summary, 'just 1');
});
