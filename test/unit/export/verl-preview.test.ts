// The Recipe page's verl export preview (export/verl/preview.ts, served by the pipeline handler): a dry run of
// `saenggak export verl` for a recipe — the files and row counts it would write, nothing written — or the
// reason it cannot, directly and through the contract's pipeline.exportPreview. The counts are the recipe's own (40 train problems: 38 SFT + 2 SFT validation; 30 RL
// prompts; 8 held out), and the files are the exporter's list.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verlExportPreview } from '../../../main/export/verl/preview.ts';
import { startServer } from '../../../main/server.ts';
import { workspacePaths } from '../../../main/store/index.ts';

const RECIPE = `name: preview-verl
model:
  hub: Qwen/Qwen2.5-1.5B-Instruct
data:
  task: korean-arithmetic
  train: 40
  prompts: 30
  heldout: 8
  seed: 3
grpo:
  method: { kind: full }
  rollout: { groupSize: 8, promptsPerStep: 16, maxNewTokens: 256 }
  rewards: { accuracy: { weight: 1 } }
  steps: 20
`;

test('preview: what the export would write for a recipe, without writing it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'verl-preview-'));
  try {
    writeFileSync(join(dir, 'preview-verl.yaml'), RECIPE);
    const preview = await verlExportPreview(dir, join(dir, 'preview-verl.yaml'));
    assert.equal(preview.reason, undefined);
    assert.equal(preview.available, true);
    assert.deepEqual(preview.rows, { train: 30, val: 8, sftTrain: 38, sftVal: 2 });
    for (const file of ['train.parquet', 'val.parquet', 'saenggak_reward.py', 'run_single_node.sh']) assert.ok(preview.files?.includes(file), file);
    assert.match(preview.verl ?? '', /^\d+\.\d+/);
    assert.ok(Array.isArray(preview.warnings));
    // A dry run: the exporter's output folder under the workspace artifacts was not created.
    assert.equal(existsSync(join(workspacePaths(dir).artifacts, 'verl', 'preview-verl')), false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('preview: a recipe the exporter cannot take says why', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'verl-preview-'));
  try {
    writeFileSync(join(dir, 'sft-only.yaml'), RECIPE.slice(0, RECIPE.indexOf('grpo:')));
    const preview = await verlExportPreview(dir, join(dir, 'sft-only.yaml'));
    assert.equal(preview.available, true);
    assert.match(preview.reason ?? '', /grpo/i);
    assert.equal(preview.files, undefined);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('preview through the app contract: pipeline.exportPreview in serve mode gives the same dry run', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'verl-preview-'));
  mkdirSync(join(dir, 'ui'));
  writeFileSync(join(dir, 'ui', 'index.html'), '<!doctype html>');
  const ws = join(dir, 'ws');
  const server = await startServer({ staticDir: join(dir, 'ui'), workspace: ws, port: 0 });
  try {
    const recipePath = join(ws, 'preview-verl.yaml');
    writeFileSync(recipePath, RECIPE);
    const response = await fetch(`${server.origin}/api/call/pipeline.exportPreview`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ recipePath }),
    });
    const result = (await response.json()) as { ok: boolean; value: { available: boolean; rows: Record<string, number>; files: string[] } };
    assert.equal(result.ok, true, JSON.stringify(result));
    assert.equal(result.value.available, true);
    assert.deepEqual(result.value.rows, { train: 30, val: 8, sftTrain: 38, sftVal: 2 });
    assert.deepEqual(result.value, await verlExportPreview(ws, recipePath));
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
