// The in-graph sampler (main/models/decode-loop/sampling-graph.ts) against the JS sampler it copies
// (main/models/sampling/*): the same logits and the same uniform give the same token, for every knob
// alone and together, on random rows with ties, −Infinity entries and peaked and flat distributions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import { encodeModel } from '../../../main/engine/index.ts';
import { NodeBuilder } from '../../../main/models/decode-loop/onnx-nodes.ts';
import { sampleTokens, type GraphSampling } from '../../../main/models/decode-loop/sampling-graph.ts';
import { argmax, samplingProcessors } from '../../../main/models/sampling/sampler.ts';
import { SeededRandom } from '../../../main/models/init.ts';

async function graphSampler(sampling: GraphSampling | undefined, dtype: 'float32' | 'float64') {
  const b = new NodeBuilder('s');
  const token = sampleTokens(b, 'logits', sampling, 'uniform');
  b.named('Identity', [token], 'token');
  const bytes = encodeModel({
    graph: {
      name: 'sampler',
      nodes: b.nodes,
      inputs: [{ name: 'logits', dtype, shape: ['b', 'v'] }, { name: 'uniform', dtype: 'float64', shape: ['b'] }],
      outputs: [{ name: 'token', dtype: 'int64', shape: ['b'] }],
      initializers: b.initializers,
    },
  });
  const session = await ort.InferenceSession.create(bytes);
  return async (rows: Float64Array[], uniforms: number[]) => {
    const V = rows[0].length;
    const flat = dtype === 'float64' ? new Float64Array(rows.length * V) : new Float32Array(rows.length * V);
    rows.forEach((r, i) => flat.set(r, i * V));
    const out = await session.run({ logits: new ort.Tensor(dtype, flat, [rows.length, V]), uniform: new ort.Tensor('float64', Float64Array.from(uniforms), [rows.length]) });
    return Array.from(out.token.data as BigInt64Array, Number);
  };
}

/** SamplingChooser.next with the uniform given instead of drawn (the same code path, written out). */
function jsSample(sampling: GraphSampling, logits: Float64Array, u: number): number {
  const row = Float64Array.from(logits);
  for (const p of samplingProcessors(sampling)) p.apply([], row);
  let max = -Infinity;
  for (let i = 0; i < row.length; i++) if (row[i] > max) max = row[i];
  let total = 0;
  for (let i = 0; i < row.length; i++) total += row[i] = Math.exp(row[i] - max);
  const target = u * total;
  let acc = 0;
  let last = 0;
  for (let i = 0; i < row.length; i++) {
    if (row[i] === 0) continue;
    acc += row[i];
    last = i;
    if (target < acc) return i;
  }
  return last;
}

function randomRows(rng: SeededRandom, count: number, V: number, dtype: 'float32' | 'float64'): Float64Array[] {
  return Array.from({ length: count }, (_, r) => {
    const scale = [0.1, 1, 4, 12][r % 4]; // flat to peaked
    const row = new Float64Array(V);
    for (let i = 0; i < V; i++) row[i] = scale * rng.normal();
    if (r % 5 === 1) for (let i = 0; i < V; i += 7) row[i] = row[3]; // ties
    if (r % 6 === 2) for (let i = 0; i < V; i += 3) row[i] = -Infinity;
    return dtype === 'float32' ? Float64Array.from(Float32Array.from(row)) : row;
  });
}

const SETTINGS: GraphSampling[] = [
  { temperature: 1 },
  { temperature: 0.7 },
  { temperature: 1.3, topK: 5 },
  { topK: 1 },
  { topK: 1000 },
  { topP: 0.9 },
  { temperature: 0.6, topP: 0.5 },
  { minP: 0.05 },
  { temperature: 1.3, topK: 20, topP: 0.95, minP: 0.01 },
];

for (const dtype of ['float64', 'float32'] as const) {
  test(`${dtype}: in-graph sampling = the JS sampler for every knob (same uniforms)`, async () => {
    const rng = new SeededRandom(5);
    const rows = randomRows(rng, 60, 97, dtype);
    for (const sampling of SETTINGS) {
      const run = await graphSampler(sampling, dtype);
      for (let trial = 0; trial < 3; trial++) {
        const uniforms = rows.map(() => rng.uniform());
        const got = await run(rows, uniforms);
        const want = rows.map((r, i) => jsSample(sampling, r, uniforms[i]));
        assert.deepEqual(got, want, `${JSON.stringify(sampling)} trial ${trial}`);
      }
    }
  });
}

test('greedy (no sampling, or temperature 0) is the first argmax of the raw logits', async () => {
  const rows = [Float64Array.of(1, 5, 5, -2), Float64Array.of(-Infinity, -1, -3, -1), Float64Array.of(0, 0, 0, 0)];
  for (const sampling of [undefined, { temperature: 0 }]) {
    const run = await graphSampler(sampling, 'float32');
    assert.deepEqual(await run(rows, [0.5, 0.5, 0.5]), rows.map((r) => argmax(r)));
    assert.deepEqual(rows.map((r) => argmax(r)), [1, 1, 0]);
  }
});

test('the draw follows the uniform: u near 0 picks the first kept token, u near 1 the last', async () => {
  const logits = Float64Array.of(0, Math.log(2), -Infinity, Math.log(3)); // weights 1 : 2 : 0 : 3
  const run = await graphSampler({ temperature: 1 }, 'float64');
  // Cumulative 1/6, 3/6, 3/6, 1 → u < 1/6: token 0; < 1/2: token 1; else token 3 (token 2 never).
  assert.deepEqual(await run([logits, logits, logits, logits], [0, 0.2, 0.5, 0.9999]), [0, 1, 3, 3]);
});
