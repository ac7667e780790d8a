// Issue #19's proof, at test-suite size: a bf16 checkpoint decoded through the new path (weights mapped
// from the files, cast at use, KV cache, in-graph argmax) gives the same greedy tokens as a layer-truncated
// float32 copy decoded through the plain old path (inline protobuf, float32 in memory, full recompute).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { DecoderSession } from '../../../main/models/decoder-session.ts';
import { generate } from '../../../main/models/generate.ts';
import { writeRandomWeights } from '../../../main/models/init.ts';
import { truncateModelFolder } from '../../../main/models/truncate.ts';
import { openModelFolder } from '../../../main/models/weight-files.ts';
import { loadModel } from '../../../main/models/weights.ts';
import { modelConfigToJson } from '../../../main/models/config.ts';
import { writeFileSync } from 'node:fs';
import { inlineGreedy } from '../../helpers/inline-greedy.ts';
import { tempDir, tinyConfig } from '../../helpers/model-fixtures.ts';

test('bf16 checkpoint through the new path = layer-truncated float32 copy through the old inline path', async () => {
  const root = tempDir('truncated-proof-');
  const config = { ...tinyConfig('qwen2', { vocabSize: 512, overrides: { numLayers: 4, eosTokenIds: [] } }), raw: { initializer_range: 0.5 } };
  const full = join(root, 'full');
  writeRandomWeights(full, config, { seed: 9, dtype: 'BF16', maxShardSize: 8000 });
  writeFileSync(join(full, 'config.json'), JSON.stringify(modelConfigToJson(config, { torchDtype: 'bfloat16' })));
  const bf16 = join(root, 'bf16-2-layers');
  const f32 = join(root, 'f32-2-layers');
  truncateModelFolder(full, bf16, { layers: 2 });
  truncateModelFolder(full, f32, { layers: 2, dtype: 'F32' });
  const opened = openModelFolder(bf16);
  assert.equal(opened.config.numLayers, 2);
  assert.ok([...opened.weightFiles.tensors.values()].every((t) => t.dtype === 'BF16'), 'the truncated copy keeps bf16');
  const prompt = [17, 301, 42, 7, 99];
  const session = await DecoderSession.create(opened.config, new Map(), { kvCache: true, lastPositionLogits: true, weightFiles: opened.weightFiles });
  const [fresh] = await generate(session, [prompt], { maxNewTokens: 8 });
  await session.release();
  const old = loadModel(f32);
  const expected = await inlineGreedy(old.config, old.weights, prompt, 8);
  assert.deepEqual(fresh.tokens, expected);
  assert.ok(new Set(expected).size > 1, `a non-degenerate sequence: ${expected}`);
  // The full checkpoint (4 layers) decodes differently: the truncation is real.
  const all = openModelFolder(full);
  const whole = await DecoderSession.create(all.config, new Map(), { kvCache: true, lastPositionLogits: true, weightFiles: all.weightFiles });
  const [deeper] = await generate(whole, [prompt], { maxNewTokens: 8 });
  await whole.release();
  assert.notDeepEqual(deeper.tokens, expected);
});
