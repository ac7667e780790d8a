// Generation sessions (lastPositionLogits): the LM head runs only at each row's last real position and
// greedy decoding reads the in-graph `next_token` (ArgMax) instead of the logits. Checked against the
// full-logits session and the independent float64 reference (main/models/reference.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { referenceLogits } from '../../../main/models/reference.ts';
import { DecoderSession, positionIdsFromMask } from '../../../main/models/decoder-session.ts';
import { generate } from '../../../main/models/generate.ts';
import { maxRelativeError, randomWeights, tinyConfig } from '../../helpers/model-fixtures.ts';

const PROMPTS = [[5, 7, 9], [4, 8, 15, 16, 23, 11, 30], [12]];

for (const family of ['qwen2', 'qwen3', 'llama'] as const) {
  test(`${family}: in-graph greedy next_token = argmax over the full logits, batched, both paddings`, async () => {
    const config = tinyConfig(family, { overrides: { eosTokenIds: [] } });
    const weights = randomWeights(config, 5);
    const full = await DecoderSession.create(config, weights, { kvCache: true });
    const head = await DecoderSession.create(config, weights, { kvCache: true, lastPositionLogits: true });
    const expected = await generate(full, PROMPTS, { maxNewTokens: 10 });
    for (const padding of ['left', 'right'] as const) {
      const viaNextToken = await generate(head, PROMPTS, { maxNewTokens: 10, padding });
      assert.deepEqual(viaNextToken.map((s) => s.tokens), expected.map((s) => s.tokens), `${padding} padding`);
      // The logits path of the same session (returnLogits) agrees with the float64 reference.
      const withLogits = await generate(head, PROMPTS, { maxNewTokens: 4, padding, returnLogits: true });
      for (const seq of withLogits) {
        const [reference] = referenceLogits(config, weights, { inputIds: [[...PROMPTS[seq.prompt], ...seq.tokens]] });
        seq.logits!.forEach((l, k) => assert.ok(maxRelativeError(l, reference[PROMPTS[seq.prompt].length - 1 + k]) < 1e-4, `prompt ${seq.prompt} step ${k}`));
      }
    }
    await full.release();
    await head.release();
  });
}

test('lastPositionLogits prefill returns [batch, 1, vocab] at the last real position of each row', async () => {
  const config = tinyConfig('qwen2');
  const weights = randomWeights(config, 9);
  const session = await DecoderSession.create(config, weights, { kvCache: true, lastPositionLogits: true });
  // Right padding: rows end at different positions.
  const ids = [[3, 4, 5, 6], [7, 8, 0, 0]];
  const mask = [1, 1, 1, 1, 1, 1, 0, 0];
  const out = await session.forward({ inputIds: ids.flat(), attentionMask: mask, positionIds: positionIdsFromMask(mask, 2), batch: 2, seq: 4 });
  await session.release();
  assert.equal(out.logitsLength, 1);
  assert.equal(out.logits.length, 2 * config.vocabSize);
  for (const [b, real] of [[0, [3, 4, 5, 6]], [1, [7, 8]]] as const) {
    const [reference] = referenceLogits(config, weights, { inputIds: [[...real]] });
    const row = out.logits.subarray(b * config.vocabSize, (b + 1) * config.vocabSize);
    assert.ok(maxRelativeError(row, reference[real.length - 1]) < 1e-4, `row ${b}`);
  }
});

test('forwardGreedy and lastPositionLogits without a KV cache are refused', async () => {
  const config = tinyConfig('qwen2');
  const weights = randomWeights(config, 1);
  await assert.rejects(DecoderSession.create(config, weights, { lastPositionLogits: true }), /kvCache: true/);
  const full = await DecoderSession.create(config, weights, { kvCache: true });
  await assert.rejects(full.forwardGreedy({ inputIds: [1], attentionMask: [1], positionIds: [0], batch: 1, seq: 1 }), /lastPositionLogits/);
  await full.release();
});
