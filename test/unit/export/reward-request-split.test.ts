// splitRewardItems against JSON.parse: for every body it accepts, each byte range decodes and parses to
// exactly the item JSON.parse finds at that position; bodies of any other shape get null (the server then
// parses them whole, which also words the error).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { splitRewardItems } from '../../../main/reward-server/request-split.ts';

function itemsOf(body: string): unknown[] | null {
  const bytes = Buffer.from(body, 'utf8');
  const ranges = splitRewardItems(bytes);
  if (!ranges) return null;
  const items: unknown[] = [];
  for (let k = 0; k < ranges.length; k += 2) items.push(JSON.parse(bytes.subarray(ranges[k], ranges[k + 1]).toString('utf8')));
  return items;
}

const TRICKY_STRINGS = [
  '',
  'plain',
  '따옴표 "안에" 있는 {중괄호}와 [대괄호]',
  'ends with a backslash \\',
  'two backslashes then a quote \\\\"',
  '\\"}]},{"response": "not an item',
  'emoji 🧮 and \u0000 control \n\t characters',
  '$$\\frac{1}{2}$$ \\boxed{42}',
];

test('every accepted body splits into exactly the items JSON.parse sees', () => {
  const items = TRICKY_STRINGS.map((s, i) => ({ prompt: s, response: s.split('').reverse().join(''), ground_truth: i % 2 ? i : null, lang: 'ko', data_source: `src-${i}`, extra: { nested: [s, { deeper: [s] }] } }));
  const bodies = [
    JSON.stringify({ items }),
    JSON.stringify({ items }, null, 2),
    ` \n{ "items" :\t[ ${items.map((i) => JSON.stringify(i)).join(' ,\n ')} ] } \r\n`,
    JSON.stringify({ items: [] }),
    '{"items":[ ]}',
  ];
  for (const body of bodies) {
    assert.deepEqual(itemsOf(body), (JSON.parse(body) as { items: unknown[] }).items, body.slice(0, 80));
  }
});

test('randomised bodies: the split agrees with JSON.parse', () => {
  let seed = 7;
  const random = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  const alphabet = ['a', '가', '"', '\\', '{', '}', '[', ']', ',', ':', ' ', '\n', '😀', '$'];
  const text = () => Array.from({ length: Math.floor(random() * 30) }, () => alphabet[Math.floor(random() * alphabet.length)]).join('');
  for (let round = 0; round < 200; round++) {
    const items = Array.from({ length: Math.floor(random() * 6) }, () => ({ prompt: text(), response: text(), deep: [text(), { x: text() }] }));
    const body = JSON.stringify({ items }, null, round % 3);
    assert.deepEqual(itemsOf(body), items);
  }
});

test('bodies of any other shape are left to the ordinary parser', () => {
  for (const body of [
    '',
    '[]',
    '{}',
    '{"items": {}}',
    '{"items": [1, 2]}',
    '{"items": ["text"]}',
    '{"items": [{"a": 1}], "extra": true}',
    '{"extra": true, "items": [{"a": 1}]}',
    '{"items": [{"a": 1}]} trailing',
    '{"items": [{"a": 1}]',
    '{"items": [{"a": "unclosed}]}',
    '{"items": [{"a": [1}]}',
    '{"items": [{"a": 1} {"b": 2}]}',
    '{"\\u0069tems": [{"a": 1}]}',
  ]) {
    assert.equal(splitRewardItems(Buffer.from(body)), null, body);
  }
});

test('an item that is balanced but not valid JSON is still cut out (its worker rejects it)', () => {
  const body = '{"items": [{"a": 1}, {"b": tru}]}';
  const ranges = splitRewardItems(Buffer.from(body))!;
  assert.equal(Buffer.from(body).subarray(ranges[2], ranges[3]).toString(), '{"b": tru}');
});
