import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { connect } from '@lancedb/lancedb';
import { findNearDuplicates } from '../../../main/data/build/near-duplicates.ts';
import { NgramHashEmbedder } from '../../../main/data/embed/index.ts';

test('query batches searched ahead of filing give the same duplicates as one batch, with and without an index', async () => {
  const connection = await connect(mkdtempSync(join(tmpdir(), 'saenggak-nds-')));
  const embedder = new NgramHashEmbedder();
  const texts: string[] = [];
  for (let i = 0; i < 240; i++) texts.push(`문제 ${i}: 바구니에 귤이 ${i * 11 + 2}개 있고 ${i % 9}개를 먹었다. 남은 귤은 몇 개인가? 유형 ${i % 4}`);
  for (let i = 0; i < 40; i++) texts.push(texts[i * 6].replace('바구니에', '바구니 안에').replace('남은 귤은 몇 개인가?', '남은 귤은 몇 개일까?'));
  const vectors = embedder.embedSync(texts);
  for (const indexFrom of [10_000, 100]) {
    const common = { connection, vectors, dimension: embedder.dimension, threshold: 0.7, indexFrom, nprobes: 64 };
    const whole = await findNearDuplicates({ ...common, tableName: 'whole', queryBatch: 4096 });
    const progress: number[] = [];
    const pieces = await findNearDuplicates({ ...common, tableName: 'pieces', queryBatch: 7, onProgress: (done) => progress.push(done) });
    assert.equal(pieces.indexed, indexFrom === 100);
    assert.deepEqual(pieces.duplicateOf, whole.duplicateOf);
    assert.deepEqual(pieces.similarity, whole.similarity);
    assert.equal(progress.length, Math.ceil(texts.length / 7));
    assert.equal(progress.at(-1), texts.length);
    assert.ok(whole.duplicateOf.some((j) => j >= 0), 'the planted rewrites are found');
  }
  // An abort between batches stops the search and still drops the scratch table.
  const controller = new AbortController();
  await assert.rejects(
    findNearDuplicates({ connection, vectors, dimension: embedder.dimension, tableName: 'aborted', queryBatch: 5, signal: controller.signal, onProgress: (done) => done >= 50 && controller.abort(new Error('stop')) }),
    /stop/,
  );
  assert.deepEqual(await connection.tableNames(), []);
});

test('LanceDB gets one compute thread per core unless LANCE_CPU_THREADS is set', () => {
  const probe = `import { useAllCoresForLance } from ${JSON.stringify(new URL('../../../main/data/build/lance-threads.ts', import.meta.url).href)}; console.log(useAllCoresForLance(), process.env.LANCE_CPU_THREADS);`;
  const run = (env: NodeJS.ProcessEnv) => spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', probe], { env, encoding: 'utf8' }).stdout.trim();
  const { LANCE_CPU_THREADS: _, ...unset } = process.env;
  assert.equal(run(unset), `${availableParallelism()} ${availableParallelism()}`);
  assert.equal(run({ ...unset, LANCE_CPU_THREADS: '3' }), '3 3');
});
