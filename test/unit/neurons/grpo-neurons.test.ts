// GRPO's selective method takes a neuron selection file as is (method.neurons): only the selected rows of
// gate/up_proj and columns of down_proj change in the output model; every other weight is bit-identical.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { SELECTION_FORMAT } from '../../../main/models/neurons/selection-file.ts';
import { loadModel } from '../../../main/models/weights.ts';
import { runGrpo } from '../../../main/train/grpo/trainer.ts';
import { arithmeticProblems } from '../../../main/train/tasks/index.ts';
import { makeStudent, writeRows } from '../sft/arithmetic-fixture.ts';

test('GRPO with method.neurons from a selection file trains exactly those neurons', { timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'grpo-neurons-'));
  try {
    const I = 32;
    const H = 16;
    makeStudent(join(dir, 'model'), { hiddenSize: H, numLayers: 2, numHeads: 2, intermediateSize: I }, 4);
    writeRows(join(dir, 'prompts.jsonl'), arithmeticProblems({ count: 8, seed: 3 }));
    const selection = { format: SELECTION_FORMAT, model: join(dir, 'model'), method: 'lape', target: 'ko', layers: [{ layer: 0, neurons: [2, 9, 30], scores: [0.9, 0.8, 0.7] }, { layer: 1, neurons: [], scores: [] }], stats: {} };
    writeFileSync(join(dir, 'selection.json'), JSON.stringify(selection));
    const result = await runGrpo(
      {
        name: 'neurons-grpo',
        model: join(dir, 'model'),
        method: { kind: 'selective', neurons: join(dir, 'selection.json') },
        prompts: { path: join(dir, 'prompts.jsonl') },
        rollout: { groupSize: 4, promptsPerStep: 2, maxNewTokens: 16, temperature: 1 },
        rewards: { language: { weight: 1 }, format: { weight: 1 } },
        optimization: { learningRate: 0.05 },
        steps: 2,
        saveEvery: 2,
        evalEvery: 0,
        provider: 'cpu',
      } as never,
      { workspace: join(dir, 'ws') },
    );
    const before = loadModel(join(dir, 'model')).weights;
    const after = loadModel(result.output).weights;
    assert.deepEqual([...after.keys()].sort(), [...before.keys()].sort(), 'no slice params leak into the saved model');
    const chosen = new Set([2, 9, 30]);
    let changed = 0;
    for (const [name, t] of before) {
      const a = t.data as Float32Array;
      const b = after.get(name)!.data as Float32Array;
      const m = /^model\.layers\.0\.mlp\.(gate_proj|up_proj|down_proj)\.weight$/.exec(name);
      for (let k = 0; k < a.length; k++) {
        const neuron = m ? (m[1] === 'down_proj' ? k % I : Math.floor(k / H)) : -1;
        if (chosen.has(neuron)) changed += a[k] !== b[k] ? 1 : 0;
        else assert.equal(b[k], a[k], `${name}[${k}] changed`);
      }
    }
    assert.ok(changed > 0, 'the selected neurons trained');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
