// assets/recipes/korean-alignment.yaml on a tiny budget (same stages and arms, a few steps each): every
// arm (full SFT, LoRA, discovered neurons, random neurons) is tuned on the self-correction traces, gets
// the same GRPO and is evaluated before and after RL; the report has every arm, and each arm's selection
// and seed are recorded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { selfCorrectionCharacters } from '../../../main/data/selfcorrect/index.ts';
import { parsePipelineRecipe } from '../../../main/pipeline/recipe.ts';
import { runPipeline } from '../../../main/pipeline/run.ts';
import { arithmeticAlphabet } from '../../../main/train/tasks/index.ts';

test('the korean-alignment recipe runs every arm through SFT → GRPO → evaluation and reports them side by side', { timeout: 300_000 }, async () => {
  const raw = parse(readFileSync('assets/recipes/korean-alignment.yaml', 'utf8'));
  // The compact tokenizer knows every character of the self-correction phrases (none becomes <unk>).
  const known = new Set(arithmeticAlphabet() + raw.model.make.extraCharacters);
  assert.deepEqual([...selfCorrectionCharacters()].filter((c) => !known.has(c)), []);
  raw.model.make.shape = { hiddenSize: 16, numLayers: 2, numHeads: 2, numKvHeads: 2, intermediateSize: 32, maxPositionEmbeddings: 256 };
  raw.data = { ...raw.data, train: 48, prompts: 8, heldout: 4 };
  raw.sft = { ...raw.sft, maxSteps: 4, batchSize: 8, saveEvery: 4 };
  const a = raw.alignment;
  a.selfcorrect.limit = 24;
  a.sft = { ...a.sft, maxSteps: 2, batchSize: 4, saveEvery: 2 };
  a.grpo = { ...a.grpo, steps: 1, saveEvery: 1, rollout: { ...a.grpo.rollout, groupSize: 2, promptsPerStep: 2, maxNewTokens: 24 } };
  a.eval = { maxNewTokens: 24 };
  const recipe = parsePipelineRecipe(raw, 'korean-alignment (tiny)');
  const ws = mkdtempSync(join(tmpdir(), 'alignment-'));
  try {
    const started = performance.now();
    const result = await runPipeline(recipe, { workspace: ws });
    assert.equal(result.status, 'finished', result.error);
    assert.deepEqual(result.stages.map((s) => s.name), ['model', 'data', 'sft', 'alignment', 'report']);
    const dir = join(ws, 'pipelines', 'korean-alignment', 'alignment');
    const results = JSON.parse(readFileSync(join(dir, 'alignment.json'), 'utf8'));
    assert.deepEqual(results.arms.map((r: { arm: string }) => r.arm), ['full', 'lora', 'neurons', 'random']);
    for (const r of results.arms) {
      assert.equal(r.seed, 1, `${r.arm}: seed recorded`);
      for (const phase of ['before', 'after']) {
        assert.ok(r[phase].accuracy >= 0 && r[phase].accuracy <= 1, `${r.arm} ${phase} accuracy`);
        assert.ok(r[phase].korean >= 0 && r[phase].korean <= 1, `${r.arm} ${phase} Korean share`);
      }
      assert.ok(existsSync(join(ws, 'runs', r.sftRun, 'run.json')) && existsSync(join(ws, 'runs', r.grpoRun, 'run.json')));
    }
    const [neurons, random] = [results.arms[2], results.arms[3]];
    assert.equal(neurons.method, 'selective');
    const discovered = JSON.parse(readFileSync(neurons.selection, 'utf8'));
    const control = JSON.parse(readFileSync(random.selection, 'utf8'));
    assert.equal(discovered.method, 'lape');
    assert.equal(control.method, 'random');
    assert.deepEqual(discovered.layers.map((l: { layer: number }) => l.layer), [0], 'early layer only');
    // 10% of the first layer's 32 neurons, and the control has the same count per layer.
    assert.equal(neurons.selected, 3);
    assert.deepEqual(control.layers.map((l: { neurons: number[] }) => l.neurons.length), discovered.layers.map((l: { neurons: number[] }) => l.neurons.length));
    // The other discovery method ran too; how far the two agree is recorded.
    const contrast = JSON.parse(readFileSync(results.neurons.otherSelection, 'utf8'));
    assert.equal(contrast.method, 'contrast');
    const shared = discovered.layers[0].neurons.filter((n: number) => contrast.layers[0].neurons.includes(n)).length;
    assert.equal(results.neurons.shared, shared);
    assert.equal(results.neurons.jaccard, shared / (discovered.layers[0].neurons.length + contrast.layers[0].neurons.length - shared));
    // The SFT run of the neurons arm trained exactly the discovered neurons.
    const sftConfig = parse(readFileSync(join(ws, 'runs', neurons.sftRun, 'config.yaml'), 'utf8'));
    assert.deepEqual(sftConfig.method.neurons, { '0': discovered.layers[0].neurons });
    // The report has every arm's row, before and after RL.
    const report = readFileSync(join(ws, 'pipelines', 'korean-alignment', 'report', 'report.md'), 'utf8');
    for (const arm of ['full', 'lora', 'neurons', 'random']) assert.match(report, new RegExp(`\\| ${arm} \\|`), `report row for ${arm}`);
    assert.match(report, /accuracy before RL \| Korean before RL \| accuracy after RL \| Korean after RL/);
    assert.match(report, /lape and contrast .* select \d+ neurons in common/);
    const html = readFileSync(join(ws, 'pipelines', 'korean-alignment', 'report', 'report.html'), 'utf8');
    assert.match(html, /<table id="alignment">/);
    console.log(`tiny korean-alignment recipe: ${((performance.now() - started) / 1000).toFixed(1)} s`);
  } finally {
    rmSync(ws, { recursive: true, force: true });
  }
});

test('an invalid arm config fails the alignment stage before any arm trains', { timeout: 120_000 }, async () => {
  const raw = parse(readFileSync('assets/recipes/korean-alignment.yaml', 'utf8'));
  raw.model.make.shape = { hiddenSize: 16, numLayers: 1, numHeads: 2, numKvHeads: 2, intermediateSize: 16, maxPositionEmbeddings: 256 };
  raw.data = { ...raw.data, train: 16, prompts: 4, heldout: 2 };
  raw.sft = { ...raw.sft, maxSteps: 1, batchSize: 4, saveEvery: 1 };
  raw.alignment.selfcorrect.limit = 8;
  raw.alignment.eval = { maxNewTokens: 8 };
  raw.alignment.arms = { full: { method: { kind: 'full' } }, broken: { method: { kind: 'lora', r: -1 } } };
  delete raw.report;
  const ws = mkdtempSync(join(tmpdir(), 'alignment-bad-'));
  try {
    const result = await runPipeline(parsePipelineRecipe(raw, 'bad arms'), { workspace: ws });
    assert.equal(result.status, 'failed');
    assert.match(result.error ?? '', /alignment\.arms\.broken \(SFT\)\.method/);
    assert.ok(!readdirSync(join(ws, 'runs')).some((r) => r.includes('-align-')), 'no arm ran');
  } finally {
    rmSync(ws, { recursive: true, force: true });
  }
});
