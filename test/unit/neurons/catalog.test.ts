// Selection files of a workspace (Neurons page): listed from neurons/ and the alignment stage's folders,
// files that are not selections skipped, reads outside the workspace refused; the SFT config takes a
// selection file's path in method.neurons; random control and overlap are what they claim.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { listSelections, readSelectionIn } from '../../../main/models/neurons/catalog.ts';
import { randomSelectionLike, selectionOverlap, selectTop, SELECTION_FORMAT, type NeuronSelection } from '../../../main/models/neurons/selection-file.ts';
import { parseSftConfig } from '../../../main/train/sft/index.ts';

const selection = (layers: { layer: number; neurons: number[] }[]): NeuronSelection => ({ format: SELECTION_FORMAT, model: 'm', method: 'lape', target: 'ko', layers, stats: {} });

test('workspace selections: listed, validated, confined to the workspace, usable as method.neurons by path', () => {
  const root = mkdtempSync(join(tmpdir(), 'neurons-ws-'));
  try {
    mkdirSync(join(root, 'neurons'));
    mkdirSync(join(root, 'pipelines', 'p', 'alignment'), { recursive: true });
    writeFileSync(join(root, 'neurons', 'a.json'), JSON.stringify(selection([{ layer: 0, neurons: [1, 2] }, { layer: 3, neurons: [] }])));
    writeFileSync(join(root, 'neurons', 'junk.json'), '{"layers": "no"}');
    writeFileSync(join(root, 'pipelines', 'p', 'alignment', 'neurons-discovered.json'), JSON.stringify(selection([{ layer: 1, neurons: [5] }])));
    writeFileSync(join(root, 'pipelines', 'p', 'alignment', 'alignment.json'), '{}');
    const items = listSelections(root);
    assert.deepEqual(items.map((i) => i.name).sort(), ['neurons/a.json', 'pipelines/p/alignment/neurons-discovered.json']);
    const a = items.find((i) => i.name === 'neurons/a.json')!;
    assert.equal(a.selected, 2);
    assert.deepEqual(a.layers, [0]);
    assert.equal(readSelectionIn(root, 'neurons/a.json').layers[0].neurons[1], 2);
    assert.throws(() => readSelectionIn(root, '../outside.json'), /outside the workspace/);
    const config = parseSftConfig({ model: 'm', data: 'd.jsonl', method: { kind: 'selective', neurons: join(root, 'neurons', 'a.json') } });
    assert.deepEqual((config.method as { neurons: Record<string, number[]> }).neurons, { '0': [1, 2] });
    assert.throws(() => parseSftConfig({ model: 'm', data: 'd.jsonl', method: { kind: 'selective', neurons: join(root, 'neurons', 'junk.json') } }), /not a neuron selection file/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('top-k over layers, random control of the same shape, overlap (Jaccard)', () => {
  const scores = [
    { layer: 0, scores: [0.9, 0, 0.5, -1, 0.7] },
    { layer: 2, scores: [0.8, 0.1, 0, 0, 0.6] },
  ];
  const top = selectTop(scores, { topK: 4 });
  assert.deepEqual(top.map((l) => [l.layer, l.neurons]), [[0, [0, 4]], [2, [0, 4]]], 'the four highest scores, sorted per layer');
  assert.deepEqual(selectTop(scores, { topK: 50 }).flatMap((l) => l.neurons).length, 6, 'scores ≤ 0 are never selected');
  assert.throws(() => selectTop(scores, { topK: 2, topShare: 0.1 }), /not both/);
  const base = selection(top);
  const counts = new Map<string, number>();
  for (let seed = 0; seed < 200; seed++) {
    const r = randomSelectionLike(base, 5, seed);
    assert.deepEqual(r.layers.map((l) => l.neurons.length), [2, 2]);
    for (const l of r.layers) {
      assert.equal(new Set(l.neurons).size, l.neurons.length, 'no neuron twice');
      for (const n of l.neurons) counts.set(`${l.layer}:${n}`, (counts.get(`${l.layer}:${n}`) ?? 0) + 1);
    }
  }
  // Uniform: each of the 5 neurons of a layer is drawn 2/5 of the time (200 seeds → 80 ± ~20).
  for (const [key, n] of counts) assert.ok(n > 50 && n < 110, `${key} drawn ${n} times`);
  const o = selectionOverlap(base, selection([{ layer: 0, neurons: [0, 1] }, { layer: 1, neurons: [3] }]));
  assert.equal(o.shared, 1);
  assert.equal(o.jaccard, 1 / 6);
  assert.deepEqual(o.layers.map((l) => [l.layer, l.shared, l.jaccard]), [[0, 1, 1 / 3], [1, 0, 0], [2, 0, 0]]);
});
