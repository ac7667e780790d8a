// Import parsers: JSONL, JSON arrays, CSV, Parquet and format detection, fed from memory or temp files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parquetWriteBuffer } from 'hyparquet-writer';
import type { ImportLineError, Row } from '../../../main/api/contract.ts';
import {
  chunksOf,
  detectFormat,
  parseCsv,
  parseJsonArray,
  parseJsonl,
  parseParquet,
  splitCsvRecord,
  type ParseBatch,
} from '../../../main/data/import/index.ts';

type Collected = { rows: Row[]; json: string[]; errors: ImportLineError[] };

async function collect(batches: AsyncIterable<ParseBatch>): Promise<Collected> {
  const out: Collected = { rows: [], json: [], errors: [] };
  for await (const batch of batches) {
    out.rows.push(...batch.rows);
    out.json.push(...batch.json.map((j) => (j === undefined ? '' : typeof j === 'string' ? j : Buffer.from(j).toString('utf8'))));
    // JSONL rows come validated but unparsed: JSON.parse (independent of the parser's validator) reads them.
    for (const row of batch.encoded ?? []) {
      const text = Buffer.from(row.json).toString('utf8');
      out.rows.push(JSON.parse(text) as Row);
      out.json.push(text);
    }
    out.errors.push(...batch.errors);
  }
  return out;
}

/** Splits a string into chunks of `size` bytes, to exercise lines that cross chunk boundaries. */
function bytesInChunks(text: string | Buffer, size: number): Buffer[] {
  const bytes = typeof text === 'string' ? Buffer.from(text) : text;
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size));
  return chunks;
}

const tmp = mkdtempSync(join(tmpdir(), 'saenggak-parsers-'));
test.after(() => rmSync(tmp, { recursive: true, force: true }));

// ---------------------------------------------------------------------------------------------- JSONL

test('jsonl: good rows kept, bad lines reported with line number and reason', async () => {
  const text = '{"a":1}\n\nnot json\n42\n[1,2]\nnull\n{"b":"x"}\r\n  {"c": true}  \n{"d":1}';
  const { rows, errors, json } = await collect(parseJsonl(chunksOf(text)));
  assert.deepEqual(rows, [{ a: 1 }, { b: 'x' }, { c: true }, { d: 1 }]);
  assert.deepEqual(json, ['{"a":1}', '{"b":"x"}', '{"c": true}', '{"d":1}']);
  assert.deepEqual(
    errors.map((e) => e.line),
    [3, 4, 5, 6],
  );
  assert.match(errors[0].reason, /invalid JSON/);
  assert.match(errors[1].reason, /expected a JSON object, found a number/);
  assert.match(errors[2].reason, /found an array/);
  assert.match(errors[3].reason, /found null/);
});

test('jsonl: malformed UTF-8 rejects only its own line, across chunk boundaries too', async () => {
  const good1 = Buffer.from('{"t":"생각"}\n');
  const bad = Buffer.concat([Buffer.from('{"t":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}\n')]); // invalid 2-byte sequence
  const truncated = Buffer.concat([Buffer.from('{"t":"'), Buffer.from([0xea, 0xb0]), Buffer.from('"}\n')]); // cut 3-byte sequence
  const good2 = Buffer.from('{"t":"끝"}\n');
  const all = Buffer.concat([good1, bad, truncated, good2]);
  for (const size of [3, 7, all.length]) {
    const { rows, errors } = await collect(parseJsonl(chunksOf(...bytesInChunks(all, size))));
    assert.deepEqual(rows, [{ t: '생각' }, { t: '끝' }], `chunk size ${size}`);
    assert.deepEqual(
      errors.map((e) => [e.line, /UTF-8/.test(e.reason)]),
      [
        [2, true],
        [3, true],
      ],
    );
  }
});

test('jsonl: a line longer than the limit is rejected without stopping the import', async () => {
  const long = JSON.stringify({ big: 'x'.repeat(5000) });
  const text = `{"a":1}\n${long}\n{"a":2}\n${long}`; // the last long line has no newline
  for (const size of [64, 1000, 100_000]) {
    const { rows, errors } = await collect(parseJsonl(chunksOf(...bytesInChunks(text, size)), { maxLineBytes: 1024 }));
    assert.deepEqual(rows, [{ a: 1 }, { a: 2 }], `chunk size ${size}`);
    assert.deepEqual(
      errors.map((e) => e.line),
      [2, 4],
    );
    assert.match(errors[0].reason, /longer than the limit of 1024 bytes/);
  }
});

test('jsonl: a line exactly at the limit is accepted', async () => {
  const line = JSON.stringify({ v: 'y'.repeat(20) });
  const { rows, errors } = await collect(parseJsonl(chunksOf(line + '\n'), { maxLineBytes: Buffer.byteLength(line) }));
  assert.equal(rows.length, 1);
  assert.equal(errors.length, 0);
});

test('jsonl: UTF-8 BOM at the start is ignored', async () => {
  const { rows, errors } = await collect(parseJsonl(chunksOf(Buffer.from([0xef, 0xbb, 0xbf]), '{"a":1}\n')));
  assert.deepEqual(rows, [{ a: 1 }]);
  assert.equal(errors.length, 0);
});

// ----------------------------------------------------------------------------------------- JSON array

test('json array: elements parsed with the line where each starts', async () => {
  const text = '[\n  {"a": 1, "s": "x,]}"},\n  {"a": [1, {"b": 2}]},\n  7,\n  {"bad": },\n  {"a": "\\"q\\""}\n]\n';
  for (const size of [1, 5, text.length]) {
    const { rows, errors } = await collect(parseJsonArray(chunksOf(...bytesInChunks(text, size))));
    assert.deepEqual(rows, [{ a: 1, s: 'x,]}' }, { a: [1, { b: 2 }] }, { a: '"q"' }], `chunk size ${size}`);
    assert.deepEqual(
      errors.map((e) => e.line),
      [4, 5],
    );
    assert.match(errors[0].reason, /expected a JSON object, found a number/);
    assert.match(errors[1].reason, /invalid JSON/);
  }
});

test('json array: a top-level object is refused as a whole with a clear message', async () => {
  await assert.rejects(collect(parseJsonArray(chunksOf('{"a":1}'))), /top-level array of objects.*JSONL/);
});

test('json array: unclosed array, trailing comma, element too long', async () => {
  const unclosed = await collect(parseJsonArray(chunksOf('[{"a":1},\n{"a":2}')));
  assert.deepEqual(unclosed.rows, [{ a: 1 }]);
  assert.match(unclosed.errors[0].reason, /not closed/);
  assert.equal(unclosed.errors[0].line, 2);

  const trailing = await collect(parseJsonArray(chunksOf('[{"a":1},]')));
  assert.deepEqual(trailing.rows, [{ a: 1 }]);
  assert.match(trailing.errors[0].reason, /trailing comma/);

  const long = `[{"a":1}, {"x":"${'z'.repeat(3000)}"}, {"a":2}]`;
  const guarded = await collect(parseJsonArray(chunksOf(...bytesInChunks(long, 100)), { maxLineBytes: 500 }));
  assert.deepEqual(guarded.rows, [{ a: 1 }, { a: 2 }]);
  assert.match(guarded.errors[0].reason, /array element is longer than the limit/);
});

// ------------------------------------------------------------------------------------------------ CSV

test('csv: RFC 4180 quoting, embedded newlines, CRLF and BOM', async () => {
  const text = '\ufeffname,note,n\r\n"Kim, J","said ""hi""\r\nthen left",1\r\nLee,,2\r\n\r\n"multi\nline","",3\r\n';
  for (const size of [1, 4, text.length]) {
    const { rows, errors } = await collect(parseCsv(chunksOf(...bytesInChunks(text, size))));
    assert.deepEqual(errors, [], `chunk size ${size}`);
    assert.deepEqual(rows, [
      { name: 'Kim, J', note: 'said "hi"\r\nthen left', n: '1' },
      { name: 'Lee', note: '', n: '2' },
      { name: 'multi\nline', note: '', n: '3' },
    ]);
  }
});

test('csv: wrong field counts, bad UTF-8 and unterminated quotes are reported by line', async () => {
  const bytes = Buffer.concat([
    Buffer.from('a,b\n1,2\n3\n4,5,6\n'),
    Buffer.from([0x37, 0x2c, 0xff, 0x0a]), // "7,\xff\n"
    Buffer.from('"x\ny",8\n9,"open\n'),
  ]);
  const { rows, errors } = await collect(parseCsv(chunksOf(bytes)));
  assert.deepEqual(rows, [
    { a: '1', b: '2' },
    { a: 'x\ny', b: '8' },
  ]);
  assert.deepEqual(
    errors.map((e) => e.line),
    [3, 4, 5, 8],
  );
  assert.match(errors[0].reason, /expected 2 fields .* found 1/);
  assert.match(errors[2].reason, /UTF-8/);
  assert.match(errors[3].reason, /quoted field/);
});

test('csv: duplicate and empty header names are made unique; records over the limit are skipped', async () => {
  const { rows, errors } = await collect(
    parseCsv(chunksOf(`x,x,\n1,2,3\n"${'q'.repeat(400)}",2,3\n4,5,6\n`), { maxLineBytes: 100 }),
  );
  assert.deepEqual(rows, [
    { x: '1', x_2: '2', column_3: '3' },
    { x: '4', x_2: '5', column_3: '6' },
  ]);
  assert.equal(errors[0].line, 3);
  assert.match(errors[0].reason, /record is longer than the limit/);
});

test('csv: splitCsvRecord handles trailing delimiters and tabs', () => {
  assert.deepEqual(splitCsvRecord('a,b,', ',').fields, ['a', 'b', '']);
  assert.deepEqual(splitCsvRecord('"a\tb"\tc', '\t').fields, ['a\tb', 'c']);
  assert.deepEqual(splitCsvRecord('5" screen,x', ',').fields, ['5" screen', 'x']);
});

test('csv: a file with no header is an error', async () => {
  await assert.rejects(collect(parseCsv(chunksOf('\n\n'))), /empty/);
});

// -------------------------------------------------------------------------------------------- Parquet

test('parquet: int64, doubles, strings, timestamps, dates, binary, lists and structs become JSON values', async () => {
  const path = join(tmp, 'types.parquet');
  const buffer = parquetWriteBuffer({
    columnData: [
      { name: 'i32', data: [1, -2, null], type: 'INT32' },
      { name: 'i64', data: [1n, 9007199254740993n, -5n], type: 'INT64' },
      { name: 'f', data: [1.5, Number.NaN, Number.POSITIVE_INFINITY], type: 'DOUBLE' },
      { name: 's', data: ['a', '한국어', null], type: 'STRING' },
      { name: 'b', data: [true, false, null], type: 'BOOLEAN' },
      { name: 'ts', data: [new Date('2024-01-02T03:04:05Z'), new Date(0), null], type: 'TIMESTAMP' },
      { name: 'bin', data: [new Uint8Array([1, 2, 3]), new Uint8Array([255]), null], type: 'BYTE_ARRAY' },
      { name: 'list', data: [[1, 2], [3], []] },
      { name: 'obj', data: [{ x: 1, y: 'a' }, { x: 2, y: 'b' }, { x: 3, y: null }] },
    ],
  });
  writeFileSync(path, new Uint8Array(buffer));
  const { rows, errors } = await collect(parseParquet(path, { sliceRows: 2 }));
  assert.deepEqual(errors, []);
  assert.deepEqual(rows, [
    { i32: 1, i64: 1, f: 1.5, s: 'a', b: true, ts: '2024-01-02T03:04:05.000Z', bin: 'AQID', list: [1, 2], obj: { x: 1, y: 'a' } },
    // 2^53 + 1 is not a safe integer: kept exact as a decimal string. NaN and Infinity are not JSON: null.
    { i32: -2, i64: '9007199254740993', f: null, s: '한국어', b: false, ts: '1970-01-01T00:00:00.000Z', bin: '/w==', list: [3], obj: { x: 2, y: 'b' } },
    { i32: null, i64: -5, f: null, s: null, b: null, ts: null, bin: null, list: [], obj: { x: 3, y: null } },
  ]);
  // Every row survives a JSON round trip unchanged (they are plain JSON values).
  assert.deepEqual(JSON.parse(JSON.stringify(rows)), rows);
});

test('parquet: DATE columns become ISO dates', async () => {
  const path = join(tmp, 'date.parquet');
  const buffer = parquetWriteBuffer({
    columnData: [{ name: 'd', data: [19000, 0] }],
    schema: [
      { name: 'root', num_children: 1 },
      { name: 'd', type: 'INT32', converted_type: 'DATE', logical_type: { type: 'DATE' }, repetition_type: 'REQUIRED' },
    ] as never,
  });
  writeFileSync(path, new Uint8Array(buffer));
  const { rows } = await collect(parseParquet(path));
  // 19000 days after 1970-01-01, computed independently of the reader.
  const expected = new Date(Date.UTC(1970, 0, 1) + 19000 * 86_400_000).toISOString();
  assert.deepEqual(rows, [{ d: expected }, { d: '1970-01-01T00:00:00.000Z' }]);
});

test('parquet: a file that is not Parquet fails with a clear error', async () => {
  const path = join(tmp, 'fake.parquet');
  writeFileSync(path, 'PAR1 this is not parquet at all');
  await assert.rejects(collect(parseParquet(path)), /not a readable Parquet file/);
});

// ------------------------------------------------------------------------------------------ detection

test('format detection from extension, then content', async () => {
  const cases: [string, string | Buffer, string][] = [
    ['a.jsonl', '{"a":1}\n', 'jsonl'],
    ['a.ndjson', '{"a":1}\n', 'jsonl'],
    ['a.json', '[{"a":1}]', 'json'],
    ['lines.json', '{"a":1}\n{"a":2}\n', 'jsonl'],
    ['a.csv', 'x,y\n1,2\n', 'csv'],
    ['noext', '  [{"a":1}]', 'json'],
    ['noext2', '{"a":1}\n', 'jsonl'],
    ['noext3', 'x,y\n', 'csv'],
    ['noext4', Buffer.from(parquetWriteBuffer({ columnData: [{ name: 'a', data: [1], type: 'INT32' }] })), 'parquet'],
  ];
  for (const [name, content, format] of cases) {
    const path = join(tmp, name);
    writeFileSync(path, content);
    assert.equal(await detectFormat(path), format, name);
  }
});
