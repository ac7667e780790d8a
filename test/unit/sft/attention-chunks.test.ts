// `attentionChunks` (SFT and GRPO configs, with gradientCheckpointing): the trainers pass it to the graph
// builder (attention in that many groups of query heads, each rebuilt on its own in the backward). The
// loss must not move: a tiny run with 2 chunks gives the 1-chunk losses to 1e-6, step by step. A chunk
// count that does not divide the heads is refused by the graph builder, which shows the value reaches it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { stringify } from 'yaml';
import { parseSftConfig } from '../../../main/train/sft/index.ts';
import { parseGrpoConfig } from '../../../main/train/grpo/config.ts';
import { PolicyUpdater } from '../../../main/train/grpo/update.ts';
import { packBatch } from '../../../main/train/grpo/policy.ts';
import { initWeights } from '../../../main/models/init.ts';
import { presetConfig } from '../../../main/models/presets.ts';
import { RunFolder } from '../../../main/train/run/index.ts';
import { arithmeticProblems } from '../../../main/train/tasks/index.ts';
import { makeStudent, writeRows } from './arithmetic-fixture.ts';

const bin = join(import.meta.dirname, '../../../bin/saenggak.js');

test('configs: attentionChunks defaults to 1 and must be a positive integer', () => {
  assert.equal(parseSftConfig({ model: 'm', data: 'd.jsonl' }).attentionChunks, 1);
  assert.equal(parseGrpoConfig({ model: 'm', prompts: { path: 'p' } }).attentionChunks, 1);
  assert.throws(() => parseSftConfig({ model: 'm', data: 'd.jsonl', attentionChunks: 0 }), /attentionChunks/);
  assert.throws(() => parseGrpoConfig({ model: 'm', prompts: { path: 'p' }, attentionChunks: 1.5 }), /attentionChunks/);
});

test('train sft with gradientCheckpointing: attentionChunks 2 gives the 1-chunk losses to 1e-6; 3 (2 heads) is refused', { timeout: 180_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'sft-attn-chunks-'));
  try {
    makeStudent(join(dir, 'model'), { hiddenSize: 16, numLayers: 1, numHeads: 2, intermediateSize: 32 }, 2);
    writeRows(join(dir, 'data', 'train.jsonl'), arithmeticProblems({ count: 30, seed: 4 }));
    const workspace = join(dir, 'ws');
    const run = (name: string, attentionChunks: number) => {
      writeFileSync(join(dir, `${name}.yaml`), stringify({ name, model: 'model', data: 'data/train.jsonl', maxSeqLength: 256, batchSize: 4, maxSteps: 3, evalSplit: 0.1, provider: 'cpu', gradientCheckpointing: true, attentionChunks }));
      return spawnSync(process.execPath, [bin, 'train', 'sft', '--config', join(dir, `${name}.yaml`), '--workspace', workspace, '--json'], { encoding: 'utf8' });
    };
    const losses = (name: string) => RunFolder.inWorkspace(workspace, name).readMetrics().records.filter((r) => r.split === 'train').map((r) => r.loss as number);
    for (const [name, chunks] of [['one', 1], ['two', 2]] as const) {
      const cli = run(name, chunks);
      assert.equal(cli.status, 0, cli.stderr);
    }
    const one = losses('one');
    const two = losses('two');
    assert.equal(one.length, 3);
    assert.equal(two.length, 3);
    one.forEach((l, i) => assert.ok(Math.abs(l - two[i]) < 1e-6, `step ${i + 1}: loss ${l} (1 chunk) vs ${two[i]} (2 chunks)`));
    const bad = run('three', 3);
    assert.notEqual(bad.status, 0);
    assert.match(bad.stderr, /headChunks 3 must divide the 2 query heads/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('GRPO update with gradientCheckpointing: attentionChunks 2 gives the 1-chunk loss to 1e-6; 3 (2 heads) is refused', async () => {
  const config = { ...presetConfig('qwen2', 'tiny', { vocabSize: 24, bosTokenId: null, eosTokenIds: [1], padTokenId: 0 }), hiddenSize: 32, numHeads: 2, numKvHeads: 1, headDim: 16, intermediateSize: 64, numLayers: 2 };
  const hf = { config, weights: initWeights(config, { seed: 7, std: 0.3 }), generationConfig: null };
  const batch = packBatch([{ prompt: [5, 9, 12], response: [3, 8, 17, 4] }, { prompt: [13, 11], response: [6, 19, 2] }], 0);
  const grpo = (attentionChunks: number) => parseGrpoConfig({ model: 'm', prompts: { path: 'p' }, provider: 'cpu', gradientCheckpointing: true, attentionChunks, method: { kind: 'full' } });
  const results: number[][] = [];
  for (const chunks of [1, 2]) {
    const updater = await PolicyUpdater.create(hf, grpo(chunks), undefined, 'fp32');
    try {
      const old = await updater.policy.logProbs(batch);
      const ref = await updater.policy.logProbs(batch, 'reference');
      const first = await updater.policy.update(batch, { oldLogProbs: old, refLogProbs: ref, advantages: Float32Array.of(1, -1) }, 0.005);
      // A second step off-policy (ratio ≠ 1), after the first moved the weights.
      const second = await updater.policy.update(batch, { oldLogProbs: old, refLogProbs: ref, advantages: Float32Array.of(-1, 1) }, 0.005);
      results.push([first.loss, second.loss]);
    } finally {
      await updater.policy.release();
    }
  }
  assert.ok(results[0].every(Number.isFinite) && results[0][0] !== results[0][1]);
  results[0].forEach((l, i) => assert.ok(Math.abs(l - results[1][i]) < 1e-6, `GRPO step ${i + 1}: loss ${l} (1 chunk) vs ${results[1][i]} (2 chunks)`));
  await assert.rejects(() => PolicyUpdater.create(hf, grpo(3), undefined, 'fp32'), /headChunks 3 must divide the 2 query heads/);
});
