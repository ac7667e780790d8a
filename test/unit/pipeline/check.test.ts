// `pipeline check` offline: the shipped recipes validate; the reference recipe fails only on the
// downloads it names (with the folder each is expected in); bad stage configs and memory are reported.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkRecipe } from '../../../main/pipeline/check.ts';
import { parsePipelineRecipe, readRecipeFile } from '../../../main/pipeline/recipe.ts';

const workspace = () => mkdtempSync(join(tmpdir(), 'pipeline-check-'));

test('the demo recipe passes check with a memory estimate for each training stage', async () => {
  const report = await checkRecipe(await readRecipeFile('assets/recipes/demo.yaml'), { workspace: workspace() });
  assert.deepEqual(report.findings.filter((f) => f.level === 'error'), []);
  assert.equal(report.ok, true);
  assert.deepEqual(report.stages, ['model', 'data', 'sft', 'pairs', 'rewardModel', 'grpo', 'eval', 'report']);
  for (const stage of ['sft', 'rewardModel', 'grpo']) {
    const memory = report.findings.find((f) => f.stage === stage && f.memoryBytes !== undefined);
    // The planner counts the process (~150 MiB) and onnxruntime's working set: the demo's GRPO batch (64 × 368 tokens) plans ~1.4 GiB.
    assert.ok(memory && memory.memoryBytes! > 0 && memory.memoryBytes! < 2 * 2 ** 30, `${stage}: a small memory estimate`);
  }
});

test('the Qwen2.5-1.5B recipe is rejected offline only for its missing downloads, each named with where to put it', async () => {
  const ws = workspace();
  const report = await checkRecipe(await readRecipeFile('assets/recipes/qwen2.5-1.5b-ko.yaml'), { workspace: ws });
  assert.equal(report.ok, false);
  const errors = report.findings.filter((f) => f.level === 'error');
  assert.ok(errors.length > 0);
  for (const e of errors) assert.ok(e.download, `every error is a missing download, got: ${e.message}`);
  assert.deepEqual(report.missingDownloads.map((d) => `${d.kind} ${d.id}`).sort(), ['dataset Maxwell-Jia/AIME_2024', 'dataset open-r1/OpenR1-Math-220k', 'dataset zwhe99/amc23', 'model Qwen/Qwen2.5-1.5B-Instruct']);
  assert.equal(report.missingDownloads.find((d) => d.kind === 'model')!.expectedAt, join(ws, 'models', 'Qwen__Qwen2.5-1.5B-Instruct'));
  // The model is not downloaded, yet the training stages get an estimate from its published config, under
  // the recipe's 141 GiB and (full fine-tuning: two copies of weights and moments, accumulators) over 80.
  for (const stage of ['sft', 'grpo']) {
    const found = report.findings.find((f) => f.stage === stage && f.memoryBytes !== undefined)!;
    assert.ok(found.memoryBytes! > 80 * 2 ** 30 && found.memoryBytes! < 141 * 2 ** 30, `${stage} estimate ${found.memoryBytes}`);
  }
});

test('check names stage-config errors against the stage schema and memory over the limit', async () => {
  const recipe = parsePipelineRecipe({
    name: 'bad',
    memoryGiB: 0.001,
    model: { make: { preset: 'tiny' } },
    data: { task: 'korean-arithmetic', train: 10 },
    sft: { learningRate: -1, maxSeqLength: 128 },
    grpo: { rollout: { groupSize: 1 } },
    eval: { benchmarks: [{ name: 'x', source: 'missing/file.jsonl' }] },
  });
  const report = await checkRecipe(recipe, { workspace: workspace() });
  const messages = report.findings.filter((f) => f.level === 'error').map((f) => f.message).join('\n');
  assert.match(messages, /sft\.learningRate: /);
  assert.match(messages, /grpo\.rollout\.groupSize: /);
  assert.match(messages, /sft: needs about .* more than memoryGiB 0\.001/);
  assert.match(messages, /eval\.benchmarks x: no file .*missing\/file\.jsonl/);
  assert.equal(report.ok, false);
});
