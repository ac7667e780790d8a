// Row search and the canonical escapes it relies on: case-insensitive substring over values (never keys),
// Korean written as \u escapes (Python's json.dumps default) included. Search results are compared with a
// plain JS reference over the parsed rows, independent of the SQL/regex used by the store.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Field, Int64, Schema, Utf8 } from 'apache-arrow';
import type { Row } from '../../../main/api/contract.ts';
import { openWorkspace, StoreError } from '../../../main/store/index.ts';
import { canonicalizeEscapes, needsCanonicalEscapes } from '../../../main/store/json-escapes.ts';
import { importDataset } from '../../../main/data/import/index.ts';

const tmp = mkdtempSync(join(tmpdir(), 'saenggak-search-'));
test.after(() => rmSync(tmp, { recursive: true, force: true }));

/** JSON the way Python's json.dumps writes it by default: every non-ASCII character and "/" escaped. */
function pythonStyleJson(value: unknown): string {
  return JSON.stringify(value).replace(/[\u007f-\uffff/]/g, (c) => (c === '/' ? '\\/' : `\\u${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`));
}

/** The values a row is searched by, in JS: strings, numbers and booleans at any depth. */
function values(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value);
  else if (typeof value === 'number' || typeof value === 'boolean') out.push(String(value));
  else if (Array.isArray(value)) for (const item of value) values(item, out);
  else if (value && typeof value === 'object') for (const item of Object.values(value)) values(item, out);
  return out;
}

const expectedMatches = (rows: Row[], needle: string) =>
  rows.flatMap((row, i) => (values(row).some((v) => v.toLowerCase().includes(needle.toLowerCase())) ? [i] : []));

test('canonical escapes: Python-style escaped JSON becomes exactly what JSON.stringify writes', () => {
  const row = {
    ko: '생각하는 모델 — 수학',
    emoji: 'ok 😀 done',
    control: 'tab\there\nnew\u0001\u001f\u007f',
    quotes: 'say "hi" \\ back / slash',
    separators: 'a\u2028b\u2029c',
    lone: 'x\ud800y',
    nested: [{ '키': '값 /' }],
    n: 42,
  };
  const escaped = Buffer.from(pythonStyleJson(row));
  assert.equal(needsCanonicalEscapes(escaped), true);
  assert.equal(Buffer.from(canonicalizeEscapes(escaped)).toString('utf8'), JSON.stringify(row));
  // Numbers and spacing stay as written; text without such escapes is returned as is.
  const asWritten = Buffer.from('{"n": 1.0, "big": 12345678901234567890, "s": "\\u00e9\\\\u00e9"}');
  assert.equal(Buffer.from(canonicalizeEscapes(asWritten)).toString(), '{"n": 1.0, "big": 12345678901234567890, "s": "é\\\\u00e9"}');
  const plain = Buffer.from('{"a":"x\\ny \\\\u0041"}');
  assert.equal(needsCanonicalEscapes(plain), false);
  assert.equal(canonicalizeEscapes(plain), plain);
});

test('search: values only, case-insensitive, Korean in \\u escapes, quotes, backslashes, numbers', async () => {
  const rows: Row[] = [
    { prompt: '생각 문제', answer: 'One' },
    { prompt: 'Write a PROMPT about école', answer: 'two' },
    { prompt: 'line1\nline2', tags: ['zeta', 'Omega'] },
    { prompt: 'say "hi" to C:\\Dir', score: 12.5, ok: true },
    { prompt: 'a/b path', meta: { deep: [{ k: '깊은 생각' }] }, score: 7 },
    { prompt: "it's a.c (x)", answer: null },
    { prompt: 'ÉCOLE', answer: 'abc' },
    { prompt: '100% sure_thing', answer: 'a_b' },
  ];
  // Half the lines as Python writes them (\u escapes), half as JS does.
  const lines = rows.map((row, i) => (i % 2 === 0 ? pythonStyleJson(row) : JSON.stringify(row)));
  const path = join(tmp, 'search.jsonl');
  writeFileSync(path, lines.join('\n') + '\n{"bad": "\\u12"}\n');
  const ws = await openWorkspace(join(tmp, 'ws'), { create: true });
  const result = await importDataset({ workspace: ws, dataset: 'rows', path });
  assert.equal(result.imported, rows.length);
  assert.deepEqual(result.errors.map((e) => e.line), [rows.length + 1]);
  assert.match(result.errors[0].reason, /invalid JSON/);
  // Rows read back equal the originals, whichever escaping the file used.
  assert.deepEqual((await ws.datasets.rows('rows')).rows, rows);

  const needles = ['생각', '깊은 생각', 'prompt', 'answer', 'école', 'ÉCOLE', 'one', '"hi"', 'c:\\dir', 'a/b', '12.5', 'true', 'n', 'line1\nline2',
    "it's", 'a.c', '(x)', 'omega', 'zeta', 'k', '2.5', 'abc', 'x', '"', '%', '_', '0% s', 'a_b', 'e_t', '\\'];
  for (const needle of needles) {
    const page = await ws.datasets.rows('rows', { search: needle, limit: 100 });
    assert.deepEqual(page.indices, expectedMatches(rows, needle), `search ${JSON.stringify(needle)}`);
  }
  // The cases the reference covers above, spelled out: keys are not searched, "\n" is not an "n".
  assert.deepEqual((await ws.datasets.rows('rows', { search: 'prompt' })).indices, [1]);
  assert.deepEqual((await ws.datasets.rows('rows', { search: 'k' })).indices, []);
  assert.deepEqual((await ws.datasets.rows('rows', { search: '생각' })).indices, [0, 4]);
  await assert.rejects(ws.datasets.rows('rows', { search: 'x'.repeat(1001) }), (error: StoreError) => error.code === 'invalid_input');
  await ws.close();
});

test('search: tables written before the row_json search keep working through their _text column', async () => {
  const root = join(tmp, 'legacy');
  const ws = await openWorkspace(root, { create: true });
  await importDataset({ workspace: ws, dataset: 'old', path: join(tmp, 'search.jsonl') });
  // Replace the table by one in the earlier layout (_row, row_json, _text) and point the registry at it.
  const legacySchema = new Schema([new Field('_row', new Int64(), false), new Field('row_json', new Utf8(), false), new Field('_text', new Utf8(), false)]);
  const connection = await ws.connection();
  const legacy = await connection.createEmptyTable('ds_legacy', legacySchema);
  await legacy.add([
    { _row: 0n, row_json: '{"a":"Hello"}', _text: 'hello' },
    { _row: 1n, row_json: '{"a":"Bye"}', _text: 'bye' },
  ]);
  legacy.close();
  const registryPath = join(root, 'registry.json');
  const registry = JSON.parse(readFileSync(registryPath, 'utf8'));
  registry.datasets[0].table = 'ds_legacy';
  registry.datasets[0].rows = 2;
  writeFileSync(registryPath, JSON.stringify(registry));
  await ws.close();
  const reopened = await openWorkspace(root);
  const page = await reopened.datasets.rows('old', { search: 'HELLO' });
  assert.deepEqual(page.rows, [{ a: 'Hello' }]);
  await reopened.close();
});
