// `saenggak neurons find` writes a selection file that selective SFT takes as is: through
// `train sft --neurons selection.json` and inside `method.neurons` of a config. Only the selected rows of
// gate/up_proj and columns of down_proj change; every other weight stays bit-identical.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { stringify } from 'yaml';
import { loadModel } from '../../../main/models/weights.ts';
import { parseSftConfig } from '../../../main/train/sft/index.ts';
import { arithmeticProblems } from '../../../main/train/tasks/index.ts';
import { writeRows } from '../sft/arithmetic-fixture.ts';
import { PLANTED, languageTexts, plantedModel } from './planted-model.ts';

const CLI = join(import.meta.dirname, '../../../bin/saenggak.js');
const run = (args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });

test('neurons find → selection.json → train sft --neurons: only the selected neurons train', { timeout: 180_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'neurons-cli-'));
  try {
    const modelDir = join(dir, 'model');
    plantedModel(modelDir);
    const { ko, en } = languageTexts(40);
    writeFileSync(join(dir, 'ko.txt'), ko.join('\n') + '\n');
    writeFileSync(join(dir, 'en.jsonl'), en.map((text) => JSON.stringify({ text, id: 1 })).join('\n') + '\n');
    const find = run(['neurons', 'find', '--model', modelDir, '--lang', `ko=${join(dir, 'ko.txt')}`, '--lang', `en=${join(dir, 'en.jsonl')}`, '--layers', '0-1', '--top-k', '10', '--method', 'contrast', '--out', join(dir, 'selection.json'), '--json']);
    assert.equal(find.status, 0, find.stderr);
    const summary = JSON.parse(find.stdout.trim());
    assert.equal(summary.selected, 10);
    const selection = JSON.parse(readFileSync(join(dir, 'selection.json'), 'utf8'));
    assert.equal(selection.method, 'contrast');
    assert.equal(selection.model, modelDir);
    assert.deepEqual(Object.keys(selection).filter((k) => ['model', 'method', 'layers', 'stats'].includes(k)).sort(), ['layers', 'method', 'model', 'stats']);
    for (const l of selection.layers) assert.equal(l.neurons.length, l.scores.length);

    // The file in method.neurons as is parses to the layer → neurons map.
    const parsed = parseSftConfig({ model: modelDir, data: 'x.jsonl', method: { kind: 'selective', neurons: selection } });
    assert.equal(parsed.method.kind, 'selective');
    const neurons = (parsed.method as { neurons?: Record<string, number[]> }).neurons!;
    assert.deepEqual(neurons, Object.fromEntries(selection.layers.filter((l: { neurons: number[] }) => l.neurons.length).map((l: { layer: number; neurons: number[] }) => [String(l.layer), l.neurons])));

    writeRows(join(dir, 'train.jsonl'), arithmeticProblems({ count: 24, seed: 2 }));
    writeFileSync(join(dir, 'run.yaml'), stringify({ name: 'neurons-only', model: 'model', data: 'train.jsonl', maxSeqLength: 128, batchSize: 4, maxSteps: 3, learningRate: 0.01, evalSplit: 0, provider: 'cpu' }));
    const sft = run(['train', 'sft', '--config', join(dir, 'run.yaml'), '--workspace', join(dir, 'ws'), '--neurons', join(dir, 'selection.json'), '--json']);
    assert.equal(sft.status, 0, sft.stderr);
    const out = JSON.parse(sft.stdout.trim().split('\n').at(-1)!);
    const before = loadModel(modelDir).weights;
    const after = loadModel(out.output).weights;
    const I = 48;
    const H = 16;
    let changedSelected = 0;
    for (const [name, t] of before) {
      const a = t.data as Float32Array;
      const b = after.get(name)!.data as Float32Array;
      const m = /^model\.layers\.(\d+)\.mlp\.(gate_proj|up_proj|down_proj)\.weight$/.exec(name);
      const chosen = new Set<number>(m ? (neurons[m[1]] ?? []) : []);
      for (let k = 0; k < a.length; k++) {
        const neuron = m ? (m[2] === 'down_proj' ? k % I : Math.floor(k / H)) : -1;
        if (chosen.has(neuron)) {
          if (a[k] !== b[k]) changedSelected++;
        } else assert.equal(b[k], a[k], `${name}[${k}] changed although neuron ${neuron} was not selected`);
      }
    }
    assert.ok(changedSelected > 0, 'the selected neurons trained');
    // The planted set is what was selected (contrast on the planted model).
    const hits = Object.entries(neurons).reduce((n, [layer, list]) => n + list.filter((x) => PLANTED[Number(layer)].includes(x)).length, 0);
    assert.ok(hits >= 9, `selected ${hits} of the 10 planted neurons`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
