// The whole decode in one run (main/models/decode-loop.ts) against the per-token path (generate.ts),
// which is itself checked against a float64 recomputation (generate-kv-cache.test.ts): the same tokens,
// finish reasons, texts and stream order for greedy and sampled decoding, batches of left- (and right-)
// padded prompts of different lengths, float32 and float64 graphs, stop ids, stop strings, and a loop
// that stops before its first iteration. Traffic: what crosses per call is exactly the padded prompts,
// one float64 uniform per token per row, the stop ids and the token ids — nothing per step.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ModelConfig } from '../../../main/models/config.ts';
import { DecoderSession } from '../../../main/models/decoder-session.ts';
import { DecodeLoop } from '../../../main/models/decode-loop.ts';
import { generate, type GenerateOptions, type GeneratedSequence, type StreamEvent } from '../../../main/models/generate.ts';
import { initLoraWeights } from '../../../main/models/lora.ts';
import { loraConfig, type LoraAdapter } from '../../../main/models/peft.ts';
import { openModelFolder } from '../../../main/models/weight-files.ts';
import { saveModel } from '../../../main/models/weights.ts';
import { randomWeights, tempDir, tinyConfig } from '../../helpers/model-fixtures.ts';

const PROMPTS = [[5, 7, 9], [4, 8, 15, 16, 23, 11, 30], [12]];
const SAMPLING = { temperature: 1.3, topK: 20, topP: 0.95, minP: 0.01, seed: 11 };

async function pair(config: ModelConfig, dtype: 'float32' | 'float64', seed = 3) {
  const weights = randomWeights(config, seed);
  const session = await DecoderSession.create(config, weights, { kvCache: true, dtype });
  const loop = new DecodeLoop(config, weights, { dtype });
  return {
    loop,
    perToken: (o: GenerateOptions, prompts = PROMPTS) => generate(session, prompts, o),
    inLoop: async (o: GenerateOptions, prompts = PROMPTS) => (await loop.generate(prompts, o)).sequences,
    release: async () => {
      await session.release();
      await loop.release();
    },
  };
}

const strip = (seqs: GeneratedSequence[]) => seqs.map(({ prompt, sample, tokens, finishReason, text }) => ({ prompt, sample, tokens, finishReason, text }));

for (const dtype of ['float32', 'float64'] as const) {
  for (const family of ['qwen2', 'qwen3', 'llama'] as const) {
    test(`${family} ${dtype}: greedy and sampled tokens = the per-token path (batch 3 of left-padded prompts, n = 2)`, async () => {
      const config = tinyConfig(family, { overrides: { eosTokenIds: [] } });
      const p = await pair(config, dtype);
      const greedy = { maxNewTokens: 9 };
      assert.deepEqual(strip(await p.inLoop(greedy)), strip(await p.perToken(greedy)));
      for (const sampling of [SAMPLING, { temperature: 0.8, seed: 4 }, { topP: 0.7, seed: 2 }]) {
        const o = { maxNewTokens: 9, sampling, n: 2 };
        const want = await p.perToken(o);
        assert.deepEqual(strip(await p.inLoop(o)), strip(want), JSON.stringify(sampling));
        assert.ok(new Set(want.map((s) => s.tokens.join())).size > 3, 'the samples differ from each other');
      }
      await p.release();
    });
  }
}

test('per-sequence seeds, right padding and one prompt alone agree with the per-token path', async () => {
  const config = tinyConfig('qwen3', { overrides: { eosTokenIds: [] } });
  const p = await pair(config, 'float64', 7);
  const seeds = [101, 5, 77, 3, 9, 40];
  const o = { maxNewTokens: 6, sampling: SAMPLING, n: 2, seeds };
  assert.deepEqual(strip(await p.inLoop(o)), strip(await p.perToken(o)));
  assert.deepEqual(strip(await p.inLoop({ ...o, padding: 'right' })), strip(await p.perToken({ ...o, padding: 'right' })));
  const single = { maxNewTokens: 6, sampling: SAMPLING, n: 1, seeds: [77] };
  assert.deepEqual(strip(await p.inLoop(single, [PROMPTS[1]])), strip(await p.perToken(single, [PROMPTS[1]])));
  await p.release();
});

test('stop ids: rows stop where the per-token path stops them; a loop that every row left at the first token runs no iteration', async () => {
  const config = tinyConfig('qwen2', { overrides: { eosTokenIds: [] } });
  const p = await pair(config, 'float32', 5);
  const free = await p.perToken({ maxNewTokens: 10, sampling: SAMPLING, n: 2 });
  // A stop id that some row produces mid-way: those rows end there with 'stop_token', the others go on.
  const stop = free[0].tokens[3];
  const o = { maxNewTokens: 10, sampling: SAMPLING, n: 2, stopTokenIds: [stop] };
  const want = await p.perToken(o);
  assert.ok(want.some((s) => s.finishReason === 'stop_token') && want.some((s) => s.finishReason === 'length'), 'the case mixes stopped and running rows');
  assert.deepEqual(strip(await p.inLoop(o)), strip(want));
  // Every row's first token is a stop id: the loop's trip ends before it starts.
  const firsts = [...new Set(free.map((s) => s.tokens[0]))];
  const early = { maxNewTokens: 10, sampling: SAMPLING, n: 2, stopTokenIds: firsts };
  const got = await p.inLoop(early);
  assert.deepEqual(strip(got), strip(await p.perToken(early)));
  assert.ok(got.every((s) => s.tokens.length === 1 && s.finishReason === 'stop_token'));
  // A budget of one token.
  assert.deepEqual(strip(await p.inLoop({ maxNewTokens: 1 })), strip(await p.perToken({ maxNewTokens: 1 })));
  await p.release();
});

test('stop strings, texts and the onToken stream match the per-token path', async () => {
  const config = tinyConfig('llama', { overrides: { eosTokenIds: [] } });
  const p = await pair(config, 'float32', 9);
  const decode = (ids: readonly number[]) => ids.map((i) => String.fromCharCode(97 + (i % 26))).join('');
  const free = await p.perToken({ maxNewTokens: 8, sampling: SAMPLING, n: 2, decode });
  const stopString = free[2].text!.slice(2, 4);
  const events: { loop: StreamEvent[]; perToken: StreamEvent[] } = { loop: [], perToken: [] };
  const o = (sink: StreamEvent[]): GenerateOptions => ({ maxNewTokens: 8, sampling: SAMPLING, n: 2, decode, stopStrings: [stopString], onToken: (e) => sink.push(e) });
  const want = await p.perToken(o(events.perToken));
  assert.ok(want.some((s) => s.finishReason === 'stop_string'));
  assert.deepEqual(strip(await p.inLoop(o(events.loop))), strip(want));
  assert.deepEqual(events.loop, events.perToken);
  await p.release();
});

test('traffic: prompts, uniforms, stop ids in and token ids out — within 1 KiB per generated token per row', async () => {
  const config = tinyConfig('qwen3', { overrides: { eosTokenIds: [] } });
  const p = await pair(config, 'float32');
  const maxNewTokens = 12;
  const { sequences, traffic } = await p.loop.generate(PROMPTS, { maxNewTokens, sampling: SAMPLING, n: 2 });
  const rows = PROMPTS.length * 2;
  const L = Math.max(...PROMPTS.map((x) => x.length));
  const promptBytes = 3 * rows * L * 8; // input_ids, attention_mask, position_ids (int64)
  const outputBytes = rows * maxNewTokens * 8; // tokens (int64)
  assert.equal(traffic.hostToDevice, promptBytes + rows * maxNewTokens * 8 + 8, 'prompts + one float64 uniform per token per row + one stop id');
  assert.equal(traffic.deviceToHost, outputBytes);
  const generated = sequences.reduce((a, s) => a + s.tokens.length, 0);
  const beyond = traffic.hostToDevice + traffic.deviceToHost - promptBytes - outputBytes;
  assert.ok(beyond <= 1024 * generated, `${beyond} B beyond prompt and output ids for ${generated} tokens`);
  assert.deepEqual(p.loop.traffic.totals, traffic);
  await p.release();
});

test('returnLogits is refused by name (the per-token path keeps it)', async () => {
  const config = tinyConfig('qwen2');
  const loop = new DecodeLoop(config, randomWeights(config));
  await assert.rejects(loop.generate(PROMPTS, { maxNewTokens: 2, returnLogits: true }), /returnLogits needs the per-token path/);
});

test('a model whose step constants pass 1 KiB (head_dim 64) loads with in-memory weights and matches', async () => {
  // encodeSessionModel moves every tensor ≥ 1 KiB to in-memory external data, which onnxruntime resolves
  // for main-graph initializers only: the loop body's constants must live in the main graph.
  const config = tinyConfig('qwen2', { overrides: { eosTokenIds: [], hiddenSize: 128, numHeads: 2, numKvHeads: 1, headDim: 64, numLayers: 1 } });
  const p = await pair(config, 'float32');
  assert.deepEqual(strip(await p.inLoop({ maxNewTokens: 5 })), strip(await p.perToken({ maxNewTokens: 5 })));
  await p.release();
});

test('weights mapped from a bf16 checkpoint (cast at load and at use) and a LoRA adapter: the per-token path\'s tokens', async () => {
  const config = tinyConfig('qwen2', { tie: false, overrides: { eosTokenIds: [] } });
  const weights = randomWeights(config, 7);
  const dir = tempDir('decode-loop-');
  saveModel(dir, { config, weights, generationConfig: null }, { dtype: 'BF16', maxShardSize: 4000 });
  const opened = openModelFolder(dir);
  const lora = loraConfig({ r: 2, loraAlpha: 4, targetModules: ['q_proj', 'v_proj', 'down_proj'] });
  const pairs = initLoraWeights(config, lora, 3);
  for (const { b } of pairs.values()) (b.data as Float32Array).forEach((_, i, arr) => { arr[i] = Math.sin(i + 1) * 0.3; });
  const adapter: LoraAdapter = { config: lora, lora: new Map([...pairs].map(([m, p]) => [m, { a: p.a, b: p.b }])), extra: new Map() };
  const o = { maxNewTokens: 7, sampling: SAMPLING, n: 2 };
  for (const keepStoredDtype of [false, true]) {
    for (const withAdapter of [false, true]) {
      const options = { weightFiles: opened.weightFiles, keepStoredDtype, ...(withAdapter ? { adapter } : {}) };
      const session = await DecoderSession.create(config, new Map(), { kvCache: true, ...options });
      const loop = new DecodeLoop(config, new Map(), options);
      const want = await generate(session, PROMPTS, o);
      assert.deepEqual(strip((await loop.generate(PROMPTS, o)).sequences), strip(want), `keepStoredDtype ${keepStoredDtype}, adapter ${withAdapter}`);
      await session.release();
      await loop.release();
    }
  }
});
