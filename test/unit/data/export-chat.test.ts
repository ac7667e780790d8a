import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects, parquetSchema } from 'hyparquet';
import { openWorkspace } from '../../../main/store/index.ts';
import { exportDataset } from '../../../main/data/export.ts';
import { chatMessages } from '../../../main/data/chat-format.ts';

// Rows as a build writes them (messages plus other columns), with Korean, emoji, empty content and a
// three-turn conversation, so the nested encoding is exercised beyond the two-turn case.
const built = [
  { messages: [{ role: 'user', content: '3 더하기 4는?' }, { role: 'assistant', content: '<think>3+4=7</think>\n답: 7' }], prompt: '3 더하기 4는?', provenance: { teacher: 'a' } },
  { messages: [{ role: 'system', content: '' }, { role: 'user', content: 'emoji 🙂?' }, { role: 'assistant', content: 'yes 🙂' }], prompt: 'emoji 🙂?', provenance: { teacher: 'b' } },
  { messages: [{ role: 'user', content: 'x'.repeat(5000) }, { role: 'assistant', content: '' }], prompt: 'long', provenance: { teacher: 'a' } },
];

async function workspaceWith(name: string, rows: Record<string, unknown>[]) {
  const dir = mkdtempSync(join(tmpdir(), 'saenggak-export-chat-'));
  const ws = await openWorkspace(join(dir, 'ws'), { create: true });
  const writer = await ws.datasets.beginWrite(name);
  await writer.append(rows as never);
  await writer.commit();
  return { dir, ws };
}

async function readParquet(path: string) {
  const file = await asyncBufferFromFile(path);
  const metadata = await parquetMetadataAsync(file);
  return { metadata, rows: (await parquetReadObjects({ file, metadata })) as { messages: { role: string; content: string }[] }[] };
}

test('Parquet export round-trips messages as list<struct<role, content>> (read back with hyparquet)', async () => {
  const { dir, ws } = await workspaceWith('built', built);
  try {
    const out = join(dir, 'out', 'built.parquet');
    const result = await exportDataset({ workspace: ws, dataset: 'built', path: out });
    assert.deepEqual(result, { path: out, rows: 3, format: 'parquet', chat: true });
    const { metadata, rows } = await readParquet(out);
    // Every column comes along (#25.5): the nested provenance as a JSON column.
    assert.deepEqual(rows, built);
    // The standard three-level LIST of a struct, as pyarrow writes it.
    const schema = parquetSchema(metadata);
    assert.deepEqual(schema.children.map((c) => c.element.name), ['messages', 'prompt', 'provenance']);
    assert.deepEqual(schema.children.slice(1).map((c) => [c.element.type, c.element.converted_type]), [['BYTE_ARRAY', 'UTF8'], ['BYTE_ARRAY', 'JSON']]);
    const messages = schema.children[0];
    assert.equal(messages.element.converted_type, 'LIST');
    assert.equal(messages.children[0].element.repetition_type, 'REPEATED');
    assert.deepEqual(messages.children[0].children[0].children.map((c) => [c.element.name, c.element.type, c.element.converted_type]), [
      ['role', 'BYTE_ARRAY', 'UTF8'],
      ['content', 'BYTE_ARRAY', 'UTF8'],
    ]);
    assert.deepEqual(readdirSync(join(dir, 'out')), ['built.parquet'], 'no temp file left behind');
  } finally {
    await ws.close();
  }
});

test('Parquet export of many rows writes one row group per batch and keeps row order', async () => {
  const rows = Array.from({ length: 9000 }, (_, i) => ({ prompt: `문제 ${i}`, response: `답 ${i * 7}` }));
  const { dir, ws } = await workspaceWith('many', rows);
  try {
    const out = join(dir, 'many.parquet');
    await exportDataset({ workspace: ws, dataset: 'many', path: out, format: 'parquet' });
    const { metadata, rows: back } = await readParquet(out);
    assert.equal(Number(metadata.num_rows), 9000);
    assert.ok(metadata.row_groups.length >= 2, `expected several row groups, got ${metadata.row_groups.length}`);
    for (const i of [0, 4095, 4096, 8999]) {
      assert.deepEqual(back[i].messages, [{ role: 'user', content: `문제 ${i}` }, { role: 'assistant', content: `답 ${i * 7}` }]);
    }
  } finally {
    await ws.close();
  }
});

test('JSONL chat export: messages per line; rows without messages are mapped from columns', async () => {
  const rows = [
    { question: '1+1?', solution: '2', sys: '수학 선생님처럼 답하세요.' },
    { question: '2+2?', solution: '4', sys: '' },
  ];
  const { dir, ws } = await workspaceWith('qa', rows);
  try {
    const out = join(dir, 'qa.jsonl');
    const result = await exportDataset({ workspace: ws, dataset: 'qa', path: out, chat: true, columns: { prompt: 'question', response: 'solution', system: 'sys' } });
    assert.equal(result.chat, true);
    assert.deepEqual(readFileSync(out, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l)), [
      { messages: [{ role: 'system', content: '수학 선생님처럼 답하세요.' }, { role: 'user', content: '1+1?' }, { role: 'assistant', content: '2' }], ...rows[0] },
      { messages: [{ role: 'user', content: '2+2?' }, { role: 'assistant', content: '4' }], ...rows[1] },
    ]);
    // Without a column mapping the row cannot become a conversation: the error names the row and its columns, and no file is written.
    const bad = join(dir, 'bad.parquet');
    await assert.rejects(exportDataset({ workspace: ws, dataset: 'qa', path: bad }), /row 1 has no "messages" list .*it has question, solution, sys/);
    assert.equal(existsSync(bad), false);
    assert.deepEqual(readdirSync(dir).filter((f) => f.startsWith('bad')), []);
  } finally {
    await ws.close();
  }
});

test('chatMessages: messages win; response falls back to answer; malformed messages are refused', () => {
  assert.deepEqual(chatMessages({ messages: [{ role: 'user', content: 'a' }], prompt: 'ignored' }), [{ role: 'user', content: 'a' }]);
  assert.deepEqual(chatMessages({ prompt: 'p', answer: 'a' }), [{ role: 'user', content: 'p' }, { role: 'assistant', content: 'a' }]);
  assert.throws(() => chatMessages({ messages: [{ role: 'user', content: 3 }] }, {}, 7), /row 7: "messages" must be a list of \{role, content\}/);
});
