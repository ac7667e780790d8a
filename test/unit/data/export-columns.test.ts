// Exports fit for trainers (#25.5): `pairs export` writes TRL's conversational layout by default (TRL only
// templates conversational rows), plus trl-plain, verl and raw; dataset exports keep every column
// (answer, gold, category, …) in chat JSONL and Parquet unless --columns narrows them. Parquet files are
// read back with hyparquet, an independent reader of the format.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects, parquetSchema } from 'hyparquet';
import { openWorkspace } from '../../../main/store/index.ts';
import { exportDataset } from '../../../main/data/export.ts';
import { exportPreferenceSet } from '../../../main/pairs/export.ts';
import { writePreferenceSet } from '../../../main/pairs/set-store.ts';
import type { PreferencePair } from '../../../main/pairs/types.ts';

const run = promisify(execFile);
const bin = join(import.meta.dirname, '..', '..', '..', 'bin', 'saenggak.js');

async function readParquet(path: string) {
  const file = await asyncBufferFromFile(path);
  const metadata = await parquetMetadataAsync(file);
  return { schema: parquetSchema(metadata), rows: (await parquetReadObjects({ file, metadata })) as Record<string, unknown>[] };
}
const jsonl = (path: string) => readFileSync(path, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l));

// Build-like rows: messages plus a string answer, an integer, a float, a boolean, a nested object and a
// column missing from one row.
const rows = [
  { messages: [{ role: 'user', content: '2+3?' }, { role: 'assistant', content: '<think>2+3=5</think>\n5' }], answer: '5', gold: 5, score: 0.75, kept: true, provenance: { teacher: 'a', sample_idx: 0 }, category: '산수' },
  { messages: [{ role: 'user', content: '7×6?' }, { role: 'assistant', content: '42' }], answer: '42', gold: 42, score: 1, kept: false, provenance: { teacher: 'b', sample_idx: 1 } },
];

test('dataset export: chat JSONL and Parquet keep every column, typed; --columns narrows; unknown columns are refused', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'export-columns-'));
  const ws = await openWorkspace(join(dir, 'ws'), { create: true });
  try {
    const writer = await ws.datasets.beginWrite('built');
    await writer.append(rows as never);
    await writer.commit();

    await exportDataset({ workspace: ws, dataset: 'built', path: join(dir, 'chat.jsonl'), chat: true });
    assert.deepEqual(jsonl(join(dir, 'chat.jsonl')), rows);

    await exportDataset({ workspace: ws, dataset: 'built', path: join(dir, 'all.parquet') });
    const all = await readParquet(join(dir, 'all.parquet'));
    assert.deepEqual(all.schema.children.map((c) => [c.element.name, c.element.type ?? 'group', c.element.converted_type ?? null]), [
      ['messages', 'group', 'LIST'], ['answer', 'BYTE_ARRAY', 'UTF8'], ['gold', 'INT64', null], ['score', 'DOUBLE', null],
      ['kept', 'BOOLEAN', null], ['provenance', 'BYTE_ARRAY', 'JSON'], ['category', 'BYTE_ARRAY', 'UTF8'],
    ]);
    assert.deepEqual(all.rows.map((r) => ({ ...r, gold: Number(r.gold) })), rows.map((r) => ({ ...r, category: 'category' in r ? r.category : null })));

    await exportDataset({ workspace: ws, dataset: 'built', path: join(dir, 'narrow.parquet'), keepColumns: ['answer'] });
    const narrow = await readParquet(join(dir, 'narrow.parquet'));
    assert.deepEqual(narrow.rows, rows.map((r) => ({ messages: r.messages, answer: r.answer })));
    await exportDataset({ workspace: ws, dataset: 'built', path: join(dir, 'plain.jsonl'), keepColumns: ['answer', 'gold'] });
    assert.deepEqual(jsonl(join(dir, 'plain.jsonl')), rows.map((r) => ({ answer: r.answer, gold: r.gold })));
    await assert.rejects(exportDataset({ workspace: ws, dataset: 'built', path: join(dir, 'x.jsonl'), keepColumns: ['nope'] }), /has no column "nope"/);
  } finally {
    await ws.close();
  }
  // The CLI flag.
  const out = join(dir, 'cli.jsonl');
  await run(process.execPath, [bin, 'data', 'export', '--dataset', 'built', '--out', out, '--chat', '--columns', 'answer,category', '--workspace', join(dir, 'ws')]);
  assert.deepEqual(jsonl(out), [{ messages: rows[0].messages, answer: '5', category: '산수' }, { messages: rows[1].messages, answer: '42' }]);
});

const pair = (i: number): PreferencePair => ({
  pair_id: `pair-${i}`, prompt_id: `p${i}`, prompt: `문제 ${i}`, chosen: `좋은 답 ${i}`, rejected: `나쁜 답 ${i}`, margin: 0.5 + i,
  category: 'math', lang: 'ko', chosen_model: 'big', rejected_model: 'small', chosen_id: `c${i}`, rejected_id: `r${i}`,
  scores: { judge: [0.9, 0.1 * i] }, provenance: { collection: 'c', construction: 'best_vs_worst', options: {}, scorers: ['judge'], built_at: '2026-01-01T00:00:00Z' },
});

test('pairs export: trl-conversational by default, trl-plain, verl and raw layouts, JSONL and Parquet', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'export-pairs-'));
  const ws = await openWorkspace(join(dir, 'ws'), { create: true });
  const pairs = [pair(0), pair(1)];
  try {
    await writePreferenceSet(ws, 'prefs', pairs, { collection: 'c', construction: 'best_vs_worst', options: {}, scorers: ['judge'], builtAt: '2026-01-01T00:00:00Z' });
    const conv = await exportPreferenceSet(ws, { set: 'prefs', out: join(dir, 'conv.jsonl') });
    assert.equal(conv.layout, 'trl-conversational');
    assert.deepEqual(jsonl(join(dir, 'conv.jsonl')), pairs.map((p) => ({
      prompt: [{ role: 'user', content: p.prompt }], chosen: [{ role: 'assistant', content: p.chosen }], rejected: [{ role: 'assistant', content: p.rejected }], margin: p.margin,
    })));
    await exportPreferenceSet(ws, { set: 'prefs', out: join(dir, 'conv.parquet') });
    const parquet = await readParquet(join(dir, 'conv.parquet'));
    assert.deepEqual(parquet.rows, jsonl(join(dir, 'conv.jsonl')));
    assert.equal(parquet.schema.children[0].element.converted_type, 'LIST');

    await exportPreferenceSet(ws, { set: 'prefs', out: join(dir, 'plain.jsonl'), layout: 'trl-plain' });
    assert.deepEqual(jsonl(join(dir, 'plain.jsonl')), pairs.map((p) => ({ prompt: p.prompt, chosen: p.chosen, rejected: p.rejected, margin: p.margin })));
    await exportPreferenceSet(ws, { set: 'prefs', out: join(dir, 'verl.parquet'), layout: 'verl' });
    assert.deepEqual((await readParquet(join(dir, 'verl.parquet'))).rows, pairs.map((p, index) => ({
      data_source: 'saenggak/prefs', prompt: p.prompt, chosen: p.chosen, rejected: p.rejected, extra_info: { index, pair_id: p.pair_id, margin: p.margin },
    })));
    await exportPreferenceSet(ws, { set: 'prefs', out: join(dir, 'raw.jsonl'), layout: 'raw' });
    assert.deepEqual(jsonl(join(dir, 'raw.jsonl')), pairs.map((p) => ({ ...p, human_swapped: false })));
  } finally {
    await ws.close();
  }
  const bad = await run(process.execPath, [bin, 'pairs', 'export', '--set', 'prefs', '--out', join(dir, 'x.jsonl'), '--format', 'sharegpt', '--workspace', join(dir, 'ws')]).then(() => null, (e) => e);
  assert.match(bad.stderr, /--format must be one of trl-conversational, trl-plain, verl, raw/);
  const cli = JSON.parse((await run(process.execPath, [bin, 'pairs', 'export', '--set', 'prefs', '--out', join(dir, 'c.jsonl'), '--json', '--workspace', join(dir, 'ws')])).stdout);
  assert.equal(cli.layout, 'trl-conversational');
});
