// transformers.js (@huggingface/transformers) loads our export (main/models/export-onnx.ts) fully
// offline and, driving the graph its own way (empty first cache built from config.json, position_ids
// from the attention mask, present.* fed back as past_key_values.*, its own greedy loop and EOS
// handling), generates the same tokens as our generator (main/models/generate.ts) for a left-padded
// batch of prompts of different lengths. One forward pass of transformers.js is also checked against
// the independent float64 reference (main/models/reference.ts), which shares no code with the graph.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { AutoModelForCausalLM, Tensor, env } from '@huggingface/transformers';
import type { ModelConfig, ModelFamily } from '../../../main/models/config.ts';
import { exportTransformersJs } from '../../../main/models/export-onnx.ts';
import { DecoderSession, positionIdsFromMask } from '../../../main/models/decoder-session.ts';
import { generate } from '../../../main/models/generate.ts';
import { referenceLogits } from '../../../main/models/reference.ts';
import type { TensorMap } from '../../../main/engine/safetensors.ts';
import { maxRelativeError, randomWeights, tempDir, tinyConfig } from '../../helpers/model-fixtures.ts';

const PROMPTS = [[5, 17, 33, 8, 21, 40, 9], [12], [7, 30, 3, 26]];
const MAX_NEW_TOKENS = 12;

// No network: remote models off, and any fetch during the test is recorded and refused.
const fetches: string[] = [];
const realFetch = globalThis.fetch;
before(() => {
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  globalThis.fetch = (async (input: unknown) => {
    fetches.push(String(input));
    throw new Error(`network access during the transformers.js parity test: ${String(input)}`);
  }) as typeof fetch;
});
after(() => {
  globalThis.fetch = realFetch;
  assert.deepEqual(fetches, [], 'transformers.js made no network requests');
});

interface Case {
  family: ModelFamily;
  /** Llama with an untied lm_head, so both head layouts go through transformers.js. */
  tie: boolean;
  seed: number;
}

const CASES: Case[] = [
  { family: 'qwen2', tie: true, seed: 11 },
  { family: 'qwen3', tie: true, seed: 12 },
  { family: 'llama', tie: false, seed: 13 },
];

async function exportTinyModel({ family, tie, seed }: Case): Promise<{ config: ModelConfig; weights: TensorMap; dir: string }> {
  const config = tinyConfig(family, { vocabSize: 64, tie });
  const weights = randomWeights(config, seed);
  const dir = join(tempDir('transformersjs-'), family);
  await exportTransformersJs(dir, config, weights);
  return { config, weights, dir };
}

/** A left-padded int64 batch the way transformers.js' tokenizer would pad it. */
function leftPadded(prompts: number[][], padId: number): { inputIds: Tensor; attentionMask: Tensor; width: number } {
  const width = Math.max(...prompts.map((p) => p.length));
  const ids = prompts.flatMap((p) => [...new Array(width - p.length).fill(padId), ...p]);
  const mask = prompts.flatMap((p) => [...new Array(width - p.length).fill(0), ...p.map(() => 1)]);
  const int64 = (v: number[]) => new Tensor('int64', BigInt64Array.from(v, BigInt), [prompts.length, width]);
  return { inputIds: int64(ids), attentionMask: int64(mask), width };
}

for (const c of CASES) {
  test(`transformers.js on our ${c.family} export (${c.tie ? 'tied' : 'untied'} head): offline, onnxruntime-node, same greedy tokens and logits`, async () => {
    const { config, weights, dir } = await exportTinyModel(c);
    const eos = config.eosTokenIds[0];
    const padId = config.padTokenId!;

    // Absolute folder + local_files_only: resolved on disk, never against the hub.
    const model = await AutoModelForCausalLM.from_pretrained(dir, { dtype: 'fp32', device: 'cpu', local_files_only: true });
    try {
      const session = (model as unknown as { sessions: Record<string, ort.InferenceSession & { handler: object }> }).sessions.model;
      const InferenceSessionClass = ort.InferenceSession as unknown as abstract new () => object; // typed as an interface + factory
      assert.ok(session instanceof InferenceSessionClass, 'the session is an onnxruntime-node InferenceSession');
      assert.equal(session.handler.constructor.name, 'OnnxruntimeSessionHandler', 'onnxruntime-node native backend, not onnxruntime-web');

      // One forward pass over the padded batch: logits at every real position vs the float64 reference.
      const batch = leftPadded(PROMPTS, padId);
      const forward = (await model({ input_ids: batch.inputIds, attention_mask: batch.attentionMask })) as { logits: Tensor };
      assert.deepEqual(forward.logits.dims, [PROMPTS.length, batch.width, config.vocabSize]);
      const theirLogits = forward.logits.data as Float32Array;
      const reference = referenceLogits(config, weights, { inputIds: PROMPTS });
      let worst = 0;
      PROMPTS.forEach((p, b) => {
        for (let t = 0; t < p.length; t++) {
          const at = (b * batch.width + batch.width - p.length + t) * config.vocabSize;
          worst = Math.max(worst, maxRelativeError(theirLogits.subarray(at, at + config.vocabSize), reference[b][t]));
        }
      });
      assert.ok(worst < 1e-4, `transformers.js logits vs float64 reference: max relative error ${worst}`);

      const ours = await DecoderSession.create(config, weights, { kvCache: true });
      try {
        // Our session on the same padded batch: the same float32 graph, so only float32 round-off apart.
        const mask = Array.from(batch.attentionMask.data as BigInt64Array, Number);
        const ourForward = await ours.forward({
          inputIds: batch.inputIds.data as BigInt64Array,
          attentionMask: mask,
          positionIds: positionIdsFromMask(mask, PROMPTS.length),
          batch: PROMPTS.length,
          seq: batch.width,
        });
        const realPositions = (data: ArrayLike<number>) => PROMPTS.flatMap((p, b) => {
          const from = (b * batch.width + batch.width - p.length) * config.vocabSize;
          return Array.from({ length: p.length * config.vocabSize }, (_, i) => data[from + i]);
        });
        const agreement = maxRelativeError(realPositions(theirLogits), realPositions(ourForward.logits));
        assert.ok(agreement < 1e-5, `transformers.js vs our session logits: max relative error ${agreement}`);

        // Greedy generation: transformers.js' loop (it stops rows at EOS and pads them with pad_token_id).
        const generated = (await model.generate({ input_ids: batch.inputIds, attention_mask: batch.attentionMask, max_new_tokens: MAX_NEW_TOKENS, do_sample: false })) as Tensor;
        const total = generated.dims[1] as number;
        const rows = generated.tolist() as bigint[][];
        const theirs = rows.map((row) => {
          const tokens = row.slice(batch.width).map(Number);
          const stop = tokens.indexOf(eos);
          return stop < 0 ? tokens : tokens.slice(0, stop + 1);
        });

        const sequences = await generate(ours, PROMPTS, { maxNewTokens: MAX_NEW_TOKENS, padding: 'left' });
        assert.deepEqual(theirs, sequences.map((s) => s.tokens), `${c.family}: transformers.js greedy tokens = ours`);
        // The comparison only means something if rows actually ran: at least one row used the full budget.
        assert.equal(total, batch.width + Math.max(...sequences.map((s) => s.tokens.length)));
        assert.ok(sequences.some((s) => s.tokens.length === MAX_NEW_TOKENS), 'some row generated all tokens');
      } finally {
        await ours.release();
      }
    } finally {
      await model.dispose();
    }
  });
}
