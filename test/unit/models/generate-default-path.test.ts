// generate() on a DecodeLoop (what callers hold) runs the decode loop by default: the same tokens as the
// per-token path on a DecoderSession (the reference) for a given seed, with traffic that only the loop
// can have (one run: prompts + uniforms + stop ids in, token ids out — the per-token path moves the KV
// cache both ways every token). `path: 'per-token'` and returnLogits take the per-token path on the
// same object; one log line per path; switching paths or sampling settings keeps one session alive.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DecoderSession } from '../../../main/models/decoder-session.ts';
import { DecodeLoop } from '../../../main/models/decode-loop.ts';
import { generate, type GeneratedSequence } from '../../../main/models/generate.ts';
import { randomWeights, tinyConfig } from '../../helpers/model-fixtures.ts';

const PROMPTS = [[5, 7, 9], [4, 8, 15, 16, 23], [12]];
const SAMPLING = { temperature: 1.1, topK: 30, topP: 0.9, seed: 21 };
const strip = (seqs: GeneratedSequence[]) => seqs.map(({ prompt, sample, tokens, finishReason }) => ({ prompt, sample, tokens, finishReason }));

test('generate(DecodeLoop) runs the loop: per-token tokens, loop traffic, one log line; per-token and returnLogits on the same object', async () => {
  const config = tinyConfig('qwen2', { overrides: { eosTokenIds: [] } });
  const weights = randomWeights(config, 4);
  const reference = await DecoderSession.create(config, weights, { kvCache: true, lastPositionLogits: true });
  const lines: string[] = [];
  const loop = new DecodeLoop(config, weights, { log: (l) => lines.push(l) });
  const maxNewTokens = 7;
  const rows = PROMPTS.length * 2;
  const L = Math.max(...PROMPTS.map((p) => p.length));
  for (const sampling of [undefined, SAMPLING]) {
    const o = { maxNewTokens, n: 2, sampling };
    const before = loop.traffic.totals;
    const got = await generate(loop, PROMPTS, o);
    assert.deepEqual(strip(got), strip(await generate(reference, PROMPTS, o)), `sampling ${JSON.stringify(sampling)}`);
    // Exactly the loop's one run: int64 ids/mask/positions, a float64 uniform per token per row, one stop id
    // (none configured: [-1]) in; int64 tokens out.
    const after = loop.traffic.totals;
    assert.equal(after.hostToDevice - before.hostToDevice, 3 * rows * L * 8 + rows * maxNewTokens * 8 + 8);
    assert.equal(after.deviceToHost - before.deviceToHost, rows * maxNewTokens * 8);
  }
  assert.deepEqual(lines, ['generation: decode loop (prefill and every token in one onnxruntime run) on cpu']);

  // returnLogits needs the per-token path: the same object takes it (its own session) and says so once.
  const withLogits = await generate(loop, PROMPTS, { maxNewTokens: 3, returnLogits: true });
  assert.equal(withLogits[0].logits?.length, 3);
  assert.deepEqual(strip(withLogits), strip(await generate(reference, PROMPTS, { maxNewTokens: 3 })));
  await generate(loop, PROMPTS, { maxNewTokens: 2, returnLogits: true });
  assert.deepEqual(lines.slice(1), ['generation: per-token path (returnLogits), one onnxruntime run per token']);
  await loop.release();
  await reference.release();
});

test("path 'per-token': the reference path through the same interface, counted by the same engine counter (the KV cache crosses every token)", async () => {
  const config = tinyConfig('llama', { overrides: { eosTokenIds: [] } });
  const weights = randomWeights(config, 8);
  const lines: string[] = [];
  const perToken = new DecodeLoop(config, weights, { path: 'per-token', log: (l) => lines.push(l) });
  const loop = new DecodeLoop(config, weights);
  const o = { maxNewTokens: 6, n: 2, sampling: SAMPLING };
  const a = await generate(perToken, PROMPTS, o);
  const b = await generate(loop, PROMPTS, o);
  assert.deepEqual(strip(a), strip(b));
  assert.deepEqual(lines, ['generation: per-token path (requested), one onnxruntime run per token']);
  assert.deepEqual(perToken.pathFor({}), { path: 'per-token', why: 'requested' });
  // The per-token path feeds the cache back every step: from step 2 on at least the prompt's K/V for
  // every row and layer. The loop's total is independent of the cache.
  const rows = PROMPTS.length * 2;
  const L = Math.max(...PROMPTS.map((p) => p.length));
  const kvBytesPerStep = rows * config.numLayers * 2 * config.numKvHeads * L * config.headDim * 4;
  assert.ok(perToken.traffic.totals.hostToDevice >= (o.maxNewTokens - 1) * kvBytesPerStep, `per-token in ${perToken.traffic.totals.hostToDevice} B`);
  assert.ok(loop.traffic.totals.hostToDevice < kvBytesPerStep, `loop in ${loop.traffic.totals.hostToDevice} B`);
  assert.throws(() => new DecodeLoop(config, weights, { path: 'fast' as never }), /decode path must be "loop" or "per-token"/);
  await perToken.release();
  await loop.release();
});

test('a new sampling setting releases the previous loop session (one copy of the weights); load() makes it ahead of the first call', async () => {
  const config = tinyConfig('qwen3', { overrides: { eosTokenIds: [] } });
  const weights = randomWeights(config, 2);
  const loop = new DecodeLoop(config, weights);
  const released: string[] = [];
  // Spy on the session objects the loop makes: wrap release to record which setting's session went.
  const spy = loop as unknown as { use: (key: string, make: () => Promise<{ release(): Promise<void> }>) => Promise<unknown> };
  const use = spy.use.bind(loop);
  spy.use = (key, make) =>
    use(key, async () => {
      const s = await make();
      const release = s.release.bind(s);
      s.release = async () => {
        released.push(key);
        await release();
      };
      return s;
    });
  await loop.load({ sampling: SAMPLING });
  assert.deepEqual(released, []);
  await generate(loop, PROMPTS, { maxNewTokens: 2, sampling: SAMPLING });
  assert.deepEqual(released, [], 'the loaded session served the call');
  await generate(loop, PROMPTS, { maxNewTokens: 2 });
  assert.equal(released.length, 1, 'greedy replaced the sampled graph');
  assert.match(released[0], /temperature/);
  await generate(loop, PROMPTS, { maxNewTokens: 2, returnLogits: true });
  assert.deepEqual(released.slice(1), ['loop:"greedy"']);
  await loop.release();
  assert.deepEqual(released.slice(2), ['per-token']);
});
