// Benchmark loading: layout detection for AIME 2024, AMC 2023, MATH-500 and GSM8K column names, Hugging Face
// folder layouts (Parquet shards, JSONL), workspace datasets, explicit mappings, and the offline downloader.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { benchmarkColumns, detectColumns, loadBenchmark, toBenchmark } from '../../../main/eval/benchmarks.ts';
import { downloadHfDataset } from '../../../main/store/hf-download.ts';
import { openWorkspace } from '../../../main/store/index.ts';
import { writeBenchmark } from './helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'eval-bench-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('layouts are detected from the column names', () => {
  assert.deepEqual(detectColumns([{ ID: '2024-I-1', Problem: 'p', Solution: 's', Answer: 204 }]), { layout: 'aime', columns: { problem: 'Problem', answer: 'Answer', id: 'ID' } });
  assert.deepEqual(detectColumns([{ question: 'q', answer: '27' }]), { layout: 'amc', columns: { problem: 'question', answer: 'answer' } });
  assert.deepEqual(detectColumns([{ problem: 'p', solution: 's', answer: '\\frac12', subject: 'Algebra', level: 3, unique_id: 'test/x.json' }]), {
    layout: 'math500', columns: { problem: 'problem', answer: 'answer', id: 'unique_id' },
  });
  assert.equal(detectColumns([{ question: 'q', answer: 'She pays 3 * 4 = 12.\n#### 12' }])?.layout, 'gsm8k');
  assert.equal(detectColumns([{ text: 'q', label: 1 }]), null);
});

test('any dataset: prompt / problem / question with answer / gold / solution are found by name', () => {
  assert.deepEqual(detectColumns([{ id: 'heldout-0', prompt: '3 더하기 4는?', answer: '7', lang: 'ko' }]), { layout: 'custom', columns: { problem: 'prompt', answer: 'answer', id: 'id' } });
  assert.deepEqual(detectColumns([{ prompt: 'p', gold: '7' }]), { layout: 'custom', columns: { problem: 'prompt', answer: 'gold' } });
  assert.deepEqual(detectColumns([{ problem: 'p', solution: 'so \\boxed{2}' }]), { layout: 'custom', columns: { problem: 'problem', answer: 'solution' } });
  assert.deepEqual(detectColumns([{ question: 'q', gold: '2' }])?.columns, { problem: 'question', answer: 'gold' });
  // `answer` beats `gold` and `solution` when several are there.
  assert.equal(detectColumns([{ prompt: 'p', solution: 's', gold: 'g', answer: 'a' }])?.columns.answer, 'answer');
  const b = toBenchmark([{ prompt: '2 더하기 2는?', answer: 4 }], { source: 'x' }, 'plain');
  assert.deepEqual(b.problems, [{ id: '0', problem: '2 더하기 2는?', answer: '4' }]);
});

test('a mapping naming a missing column says which columns exist', () => {
  assert.throws(() => toBenchmark([{ q: 'a', a: '1' }], { source: 'x', columns: { problem: 'q', answer: 'gold' } }, 'b'), /no column "gold" for the answer \(columns: q, a\)/);
});

test('benchmarkColumns lists the columns, the detected mapping and the first row', async () => {
  const file = join(dir, 'plain.jsonl');
  writeFileSync(file, [{ prompt: 'What is 2+2?', gold: '4', note: { x: 1 } }, { prompt: 'And 3+3?', gold: '6', note: null }].map((r) => JSON.stringify(r)).join('\n') + '\n');
  const info = await benchmarkColumns({ source: file });
  assert.equal(info.name, 'plain');
  assert.equal(info.rows, 2);
  assert.deepEqual(info.columns, ['prompt', 'gold', 'note']);
  assert.deepEqual(info.detected, { problem: 'prompt', answer: 'gold' });
  assert.deepEqual(info.example, { prompt: 'What is 2+2?', gold: '4', note: '{"x":1}' });
  const odd = join(dir, 'odd.jsonl');
  writeFileSync(odd, JSON.stringify({ text: 't', label: 1 }) + '\n');
  assert.equal((await benchmarkColumns({ source: odd })).detected, null);
});

test('GSM8K answers keep the number after ####, without thousands separators', () => {
  const b = toBenchmark([{ question: 'How much?', answer: 'Work...\n#### 1,250' }, { question: 'And?', answer: 'x\n#### 7' }], { source: 'x' }, 'gsm8k');
  assert.deepEqual(b.problems.map((p) => p.answer), ['1250', '7']);
  assert.deepEqual(b.problems.map((p) => p.id), ['0', '1']);
});

test('language: detected from the problems, or given', () => {
  const ko = toBenchmark([{ problem: '다음 식의 값을 구하시오: 3 + 4', answer: '7' }], { source: 'x' }, 'ko-amc');
  assert.equal(ko.lang, 'ko');
  const en = toBenchmark([{ problem: 'Find the value of 3 + 4.', answer: '7' }], { source: 'x' }, 'amc');
  assert.equal(en.lang, 'en');
  assert.equal(toBenchmark([{ problem: 'Find 3 + 4.', answer: '7' }], { source: 'x', lang: 'ko' }, 'b').lang, 'ko');
});

test('explicit column mappings, limits and clear errors', () => {
  const rows = [{ q: 'a?', gold: 1, key: 'k1' }, { q: 'b?', gold: 2, key: 'k2' }, { q: 'c?', gold: 3, key: 'k3' }];
  const b = toBenchmark(rows, { source: 'x', columns: { problem: 'q', answer: 'gold', id: 'key' }, limit: 2 }, 'custom');
  assert.equal(b.layout, 'custom');
  assert.deepEqual(b.problems, [{ id: 'k1', problem: 'a?', answer: '1' }, { id: 'k2', problem: 'b?', answer: '2' }]);
  assert.throws(() => toBenchmark(rows, { source: 'x' }, 'custom'), /cannot tell which columns.*columns: q, gold, key/);
  assert.throws(() => toBenchmark([{ problem: 'a', answer: '1', id: 'x' }, { problem: 'b', answer: '2', id: 'x' }], { source: 'x' }, 'dup'), /"x" occurs twice/);
  assert.throws(() => toBenchmark([{ problem: 'a', answer: '' }], { source: 'x' }, 'b'), /row 1 has no answer/);
});

test('a Hugging Face folder: Parquet shards under data/, the test split preferred', async () => {
  const folder = join(dir, 'aime24');
  mkdirSync(join(folder, 'data'), { recursive: true });
  const shard = (ids: string[], answers: number[]) =>
    new Uint8Array(parquetWriteBuffer({
      columnData: [
        { name: 'ID', data: ids, type: 'STRING' },
        { name: 'Problem', data: ids.map((id) => `Problem ${id}: find x.`), type: 'STRING' },
        { name: 'Answer', data: answers.map(BigInt), type: 'INT64' },
      ],
    }));
  writeFileSync(join(folder, 'data', 'test-00000-of-00002.parquet'), shard(['a', 'b'], [204, 25]));
  writeFileSync(join(folder, 'data', 'test-00001-of-00002.parquet'), shard(['c'], [7]));
  writeFileSync(join(folder, 'data', 'train-00000-of-00001.parquet'), shard(['t'], [1]));
  writeFileSync(join(folder, 'README.md'), '# AIME 2024\n');
  const b = await loadBenchmark({ source: folder });
  assert.equal(b.name, 'aime24');
  assert.equal(b.layout, 'aime');
  assert.deepEqual(b.problems.map((p) => [p.id, p.answer]), [['a', '204'], ['b', '25'], ['c', '7']]);
  const train = await loadBenchmark({ source: folder, split: 'train' });
  assert.deepEqual(train.problems.map((p) => p.id), ['t']);
});

test('a JSONL file and a workspace dataset load the same problems', async () => {
  const rows = [{ question: 'What is 2+2?', answer: '4' }, { question: 'What is 3+5?', answer: '8' }];
  const file = writeBenchmark(join(dir, 'amc23.jsonl'), rows);
  const fromFile = await loadBenchmark({ source: file });
  assert.equal(fromFile.layout, 'amc');
  const ws = await openWorkspace(join(dir, 'ws'), { create: true });
  try {
    const writer = await ws.datasets.beginWrite('amc23');
    await writer.append(rows);
    await writer.commit();
    const fromDataset = await loadBenchmark({ source: 'amc23' }, ws);
    assert.deepEqual(fromDataset.problems, fromFile.problems);
    await assert.rejects(loadBenchmark({ source: 'nope' }, ws), /not a file, folder or dataset of the workspace \(datasets: amc23\)/);

    // A Hugging Face id is read from artifacts/hf/<owner>__<name>/ (offline: the files are put there by hand).
    const hfDir = join(ws.paths.artifacts, 'hf', 'AI-MO__aimo-validation-amc');
    await assert.rejects(loadBenchmark({ source: 'AI-MO/aimo-validation-amc' }, ws), (err: Error) => err.message.includes(`put its Parquet/JSONL files at ${hfDir}`));
    writeBenchmark(join(hfDir, 'data', 'train.jsonl'), [{ id: 0, problem: 'What is 6 × 7?', answer: 42.0, url: 'x' }]);
    const hf = await loadBenchmark({ source: 'AI-MO/aimo-validation-amc' }, ws);
    assert.equal(hf.name, 'aimo-validation-amc');
    assert.deepEqual(hf.problems, [{ id: '0', problem: 'What is 6 × 7?', answer: '42' }]);
  } finally {
    await ws.close();
  }
});

test('downloading by name fails offline with where to put the files', async () => {
  const offlineFetch = (async () => {
    throw new Error('getaddrinfo ENOTFOUND huggingface.co');
  }) as unknown as typeof fetch;
  await assert.rejects(
    downloadHfDataset('Maxwell-Jia/AIME_2024', join(dir, 'dl'), { fetch: offlineFetch }),
    (err: Error) => err.message.startsWith('offline: cannot download Maxwell-Jia/AIME_2024') && err.message.includes(`put the files at ${join(dir, 'dl')}`),
  );
  await assert.rejects(downloadHfDataset('not a name', join(dir, 'dl')), /not a Hugging Face dataset name/);
});
