// Neuron discovery on a model with a planted Korean-specific neuron set (planted-model.ts): both methods
// recover it, and the engine's in-graph activation statistics match a plain float64 loop over the
// reference forward pass.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { ActivationRecorder, recordActivations } from '../../../main/models/neurons/activation-stats.ts';
import { discoverNeurons } from '../../../main/models/neurons/discover.ts';
import { referenceHiddenStates } from '../../../main/models/reference.ts';
import { PLANTED, PLANTED_COUNT, languageTexts, plantedModel } from './planted-model.ts';

const recall = (layers: { layer: number; neurons: number[] }[]) => {
  let hit = 0;
  for (const { layer, neurons } of layers) for (const n of neurons) if (PLANTED[layer]?.includes(n)) hit++;
  return hit / PLANTED_COUNT;
};

test('lape and contrast recover the planted Korean neurons (recall ≥ 0.9 at the planted count)', { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'neurons-'));
  try {
    const { config, weights, tokenizer } = plantedModel(join(dir, 'model'));
    const { ko, en } = languageTexts(60);
    for (const method of ['lape', 'contrast'] as const) {
      const { selection, languages } = await discoverNeurons({ config, weights, tokenizer, model: 'planted', languages: [{ lang: 'ko', texts: ko }, { lang: 'en', texts: en }], method, topK: PLANTED_COUNT });
      const got = recall(selection.layers);
      assert.ok(got >= 0.9, `${method}: recall ${got} (${JSON.stringify(selection.layers.map((l) => [l.layer, l.neurons]))})`);
      assert.equal(selection.layers.reduce((n, l) => n + l.neurons.length, 0), PLANTED_COUNT);
      assert.equal(selection.method, method);
      assert.equal(selection.target, 'ko');
      // A planted neuron fires on Hangul tokens only: never in English text, on most Korean tokens.
      const koStats = languages.find((s) => s.lang === 'ko')!;
      const enStats = languages.find((s) => s.lang === 'en')!;
      for (const [layer, list] of Object.entries(PLANTED)) {
        for (const n of list) {
          assert.equal(enStats.layers[Number(layer)].probability[n], 0, `layer ${layer} neuron ${n} fired on English`);
          assert.ok(koStats.layers[Number(layer)].probability[n] > 0.4, `layer ${layer} neuron ${n} fires on ${koStats.layers[Number(layer)].probability[n]} of Korean tokens`);
        }
      }
      const stats = selection.stats as { heat: { layer: number; buckets: number[] }[]; layers: { layer: number; share: number }[] };
      assert.equal(stats.heat.length, 2);
      assert.equal(stats.layers.find((l) => l.layer === 0)!.share, selection.layers[0].neurons.length / 48);
    }
    // Scores are in the file, best first per the method: every chosen score is positive.
    const { selection } = await discoverNeurons({ config, weights, tokenizer, model: 'planted', languages: [{ lang: 'en', texts: en }, { lang: 'ko', texts: ko }], layers: [0], topShare: 6 / 48 });
    assert.deepEqual(selection.layers.map((l) => l.layer), [0], 'only the searched layer');
    assert.deepEqual(selection.layers[0].neurons, PLANTED[0], 'target defaults to ko even when en comes first; top share 6/48 of one layer');
    assert.ok(selection.layers[0].scores!.every((s) => s > 0.4 && s <= 1));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('activation statistics from the engine match a float64 loop over the reference forward', { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'neurons-'));
  try {
    const { config, weights, tokenizer } = plantedModel(join(dir, 'model'));
    const { ko, en } = languageTexts(4);
    // Different lengths, so the batch is padded and padding must not count.
    const sequences = [...ko.slice(0, 3), en[0]].map((t, i) => tokenizer.encode(t).slice(0, 10 + 7 * i));
    const I = config.intermediateSize;
    const expected = [0, 1].map(() => ({ positive: new Float64Array(I), sum: new Float64Array(I), sumSq: new Float64Array(I) }));
    let tokens = 0;
    for (const ids of sequences) {
      tokens += ids.length;
      referenceHiddenStates(config, weights, { inputIds: [ids] }, {
        mlpActivation(layer, _t, act) {
          for (let i = 0; i < I; i++) {
            if (act[i] > 0) expected[layer].positive[i]++;
            expected[layer].sum[i] += act[i];
            expected[layer].sumSq[i] += act[i] * act[i];
          }
        },
      });
    }
    for (const dtype of ['float64', 'float32'] as const) {
      const recorder = await ActivationRecorder.create(config, weights, [0, 1], { dtype });
      try {
        const sums = await recordActivations(recorder, sequences, { batchSize: 3 });
        assert.equal(sums.tokens, tokens);
        const tol = dtype === 'float64' ? 1e-9 : 1e-4;
        for (const layer of [0, 1]) {
          const got = sums.layers[layer];
          assert.equal(got.layer, layer);
          for (let i = 0; i < I; i++) {
            // float32 may flip the sign of an activation within rounding of zero (non-planted SiLU tails).
            if (dtype === 'float64') assert.equal(got.positive[i], expected[layer].positive[i], `layer ${layer} neuron ${i} positive count`);
            else assert.ok(Math.abs(got.positive[i] - expected[layer].positive[i]) <= 1, `layer ${layer} neuron ${i} positive count`);
            for (const key of ['sum', 'sumSq'] as const) {
              const e = expected[layer][key][i];
              assert.ok(Math.abs(got[key][i] - e) <= tol * Math.max(1, Math.abs(e)), `${dtype} layer ${layer} neuron ${i} ${key}: ${got[key][i]} vs ${e}`);
            }
          }
        }
      } finally {
        await recorder.release();
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
