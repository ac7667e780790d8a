// The JSONL import's byte-level JSON validator, checked against JSON.parse (the independent reference):
// whenever the scanner accepts a line, JSON.parse must accept it as an object with the same top-level keys
// and value kinds; on well-formed objects it must accept (or the import loses its speed, not correctness).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { scanJsonObject } from '../../../main/data/import/json-object-scan.ts';
import { ColumnTracker } from '../../../main/store/columns.ts';

/** What JSON.parse says about `text`: null when it is not a JSON object, else keys and kinds. */
function reference(text: string): { keys: string[]; kinds: number[] } | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const row = value as Record<string, unknown>;
  const keys = Object.keys(row);
  return { keys, kinds: keys.map((key) => ColumnTracker.kindOf(row[key])) };
}

function check(text: string): 'accepted' | 'declined' | 'missed' {
  const shape = scanJsonObject(Buffer.from(text, 'utf8'));
  const expected = reference(text);
  if (shape === null) return expected ? 'missed' : 'declined';
  assert.ok(expected, `scanner accepted what JSON.parse rejects: ${JSON.stringify(text)}`);
  assert.deepEqual({ keys: shape.keys, kinds: shape.kinds }, expected, `shape of ${JSON.stringify(text)}`);
  return 'accepted';
}

const VALID = [
  '{}',
  ' { } ',
  '{"a":1}',
  '{"a":-0,"b":1.0,"c":1e3,"d":1.5,"e":-2.5E-3,"f":12345678901234567890,"g":1e400}',
  '{"s":"x","t":true,"f":false,"n":null,"o":{},"a":[],"deep":[[{"x":[1,{"y":"z"}]}]]}',
  '{"생각":"수학 문제","emoji":"😀","mixed":"a\\"b\\\\c\\/d\\b\\f\\n\\r\\t\\u00e9\\uD83D\\uDE00"}',
  '{"a":1,"a":"again","b":2}',
  '{"__proto__":{"x":1},"constructor":2}',
  '{"k\\u0041y":1,"k\\"q":2}',
  '{\t"a" :\r\n [ 1 , 2 ] }',
  '{"lone":"\\ud800"}',
  '{"nested":{"a":{"b":{"c":[true,false,null,-1,0.5,"s"]}}}}',
];

const INVALID = [
  '',
  '[]',
  '[1,2]',
  '1',
  '"str"',
  'null',
  'true',
  '{',
  '}',
  '{"a"}',
  '{"a":}',
  '{"a":1,}',
  '{,"a":1}',
  '{"a":1 "b":2}',
  '{"a":[1,]}',
  '{"a":[1 2]}',
  '{"a":{"b":1}',
  '{"a":1}}',
  '{"a":1} x',
  '{"a":1}{"b":2}',
  "{'a':1}",
  '{a:1}',
  '{"a":01}',
  '{"a":1.}',
  '{"a":.5}',
  '{"a":-}',
  '{"a":+1}',
  '{"a":1e}',
  '{"a":0x10}',
  '{"a":NaN}',
  '{"a":Infinity}',
  '{"a":tru}',
  '{"a":nul}',
  '{"a":True}',
  '{"a":"\\x"}',
  '{"a":"\\u12"}',
  '{"a":"\\u12G4"}',
  '{"a":"unterminated}',
  '{"a":"raw\ttab"}',
  '{"a":"raw\nnewline"}',
  '{"a":"\u0001"}',
  '{"a":[}',
  '{"a":]}',
  '{"a":{]}',
  '{"a":[1}]}',
  '{"a"::1}',
  '{"a":1:2}',
];

test('scanner: well-formed objects are accepted with the keys and kinds JSON.parse gives', () => {
  for (const text of VALID) assert.equal(check(text), 'accepted', text);
});

test('scanner: anything JSON.parse rejects or that is not an object is declined', () => {
  for (const text of INVALID) assert.equal(check(text), 'declined', text);
});

test('scanner: escapes that need canonical form are flagged, others not', () => {
  assert.equal(scanJsonObject(Buffer.from('{"a":"x\\ny\\"z"}'))?.escapes, false);
  assert.equal(scanJsonObject(Buffer.from('{"a":"\\uc0dd"}'))?.escapes, true);
  assert.equal(scanJsonObject(Buffer.from('{"a":"x\\/y"}'))?.escapes, true);
  assert.equal(scanJsonObject(Buffer.from('{"\\u0061":1}'))?.escapes, true);
});

test('scanner: random mutations of valid lines never pass unless JSON.parse agrees', () => {
  let seed = 7;
  const random = (n: number) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  const alphabet = ['{', '}', '[', ']', '"', '\\', ',', ':', ' ', '0', '1', '-', '.', 'e', 'u', 'n', 't', 'f', 'a', '한', '\n', '\u0001', 'x'];
  let accepted = 0;
  const missed: string[] = [];
  for (let round = 0; round < 20_000; round++) {
    const base = VALID[random(VALID.length)];
    const chars = [...base];
    const edits = 1 + random(3);
    for (let e = 0; e < edits; e++) {
      const at = random(chars.length + 1);
      const op = random(3);
      if (op === 0) chars.splice(at, 1);
      else if (op === 1) chars.splice(at, 0, alphabet[random(alphabet.length)]);
      else chars[at] = alphabet[random(alphabet.length)];
    }
    const outcome = check(chars.join(''));
    if (outcome === 'accepted') accepted++;
    if (outcome === 'missed') missed.push(chars.join(''));
  }
  // Valid objects the scanner declines would still import (through JSON.parse), only slower: none expected.
  assert.deepEqual(missed, []);
  // Some mutations stay valid (e.g. a changed digit): the comparison above covered those too.
  assert.ok(accepted > 100, `accepted ${accepted}`);
});
