// The transformers.js export folder (main/models/export-onnx.ts): files, the ONNX interface
// transformers.js' decoder models rely on, and a greedy decoding loop written the way transformers.js
// drives the model (empty first cache shaped from config.json, position_ids = cumsum(mask) − 1,
// present.* fed back as past_key_values.*) reproducing our generator's tokens, with the weights inline
// and as external data.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { createModelFolder } from '../../../main/models/init.ts';
import { loadModel } from '../../../main/models/weights.ts';
import { DecoderSession } from '../../../main/models/decoder-session.ts';
import { generate } from '../../../main/models/generate.ts';
import { exportTransformersJs } from '../../../main/models/export-onnx.ts';
import { tempDir } from '../../helpers/model-fixtures.ts';

async function greedyLikeTransformersJs(dir: string, prompts: number[][], maxNewTokens: number): Promise<number[][]> {
  const cfg = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
  const session = await ort.InferenceSession.create(join(dir, 'onnx', 'model.onnx'));
  const headDim = cfg.head_dim ?? cfg.hidden_size / cfg.num_attention_heads;
  const B = prompts.length, L = Math.max(...prompts.map((p) => p.length));
  const mask = prompts.map((p) => [...new Array(L - p.length).fill(0), ...p.map(() => 1)]);
  let ids = prompts.flatMap((p) => [...new Array(L - p.length).fill(cfg.pad_token_id ?? 0), ...p]);
  let seq = L;
  const past: Record<string, ort.Tensor> = {};
  for (let i = 0; i < cfg.num_hidden_layers; i++) for (const kind of ['key', 'value']) past[`past_key_values.${i}.${kind}`] = new ort.Tensor('float32', new Float32Array(0), [B, cfg.num_key_value_heads, 0, headDim]);
  const out: number[][] = prompts.map(() => []);
  for (let step = 0; step < maxNewTokens; step++) {
    const T = mask[0].length;
    const positions = mask.flatMap((m) => { let c = 0; return m.map((v) => (c += v) - 1).slice(T - seq).map((p) => Math.max(p, 0)); });
    const res = await session.run({
      input_ids: new ort.Tensor('int64', BigInt64Array.from(ids, BigInt), [B, seq]),
      attention_mask: new ort.Tensor('int64', BigInt64Array.from(mask.flat(), BigInt), [B, T]),
      position_ids: new ort.Tensor('int64', BigInt64Array.from(positions, BigInt), [B, seq]),
      ...past,
    });
    const V = res.logits.dims[2] as number;
    const logits = res.logits.data as Float32Array;
    ids = [];
    for (let b = 0; b < B; b++) {
      const row = logits.subarray(((b + 1) * seq - 1) * V, (b + 1) * seq * V);
      let best = 0;
      for (let v = 1; v < V; v++) if (row[v] > row[best]) best = v;
      out[b].push(best);
      ids.push(best);
      mask[b].push(1);
    }
    for (let i = 0; i < cfg.num_hidden_layers; i++) for (const kind of ['key', 'value']) past[`past_key_values.${i}.${kind}`] = res[`present.${i}.${kind}`];
    seq = 1;
  }
  await session.release();
  return out;
}

test('transformers.js export: folder, ONNX interface, greedy tokens = our generator (inline and external data)', async () => {
  const src = join(tempDir('export-'), 'tiny-qwen3');
  createModelFolder({ family: 'qwen3', preset: 'tiny', outDir: src, seed: 6 });
  const { config, weights } = loadModel(src);
  const prompts = [[9707, 1879, 11, 1246], [40, 1079]];
  const session = await DecoderSession.create(config, weights, { kvCache: true });
  const ours = (await generate(session, prompts, { maxNewTokens: 6, stopTokenIds: [] })).map((s) => s.tokens);
  await session.release();

  for (const externalData of [false, true]) {
    const dir = join(tempDir('export-'), 'web');
    const files = await exportTransformersJs(dir, config, weights, { tokenizerDir: src, externalData });
    for (const f of ['config.json', 'generation_config.json', 'onnx/model.onnx', 'tokenizer.json', 'tokenizer_config.json']) {
      assert.ok(files.includes(f) && existsSync(join(dir, f)), `${f} written`);
    }
    assert.equal(existsSync(join(dir, 'onnx', 'model.onnx_data')), externalData);
    const cfg = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    assert.equal(cfg.architectures[0], 'Qwen3ForCausalLM');
    assert.equal(!!cfg['transformers.js_config'].use_external_data_format, externalData);

    const probe = await ort.InferenceSession.create(join(dir, 'onnx', 'model.onnx'));
    const layers = config.numLayers;
    assert.deepEqual(probe.inputNames, ['input_ids', 'attention_mask', 'position_ids', ...Array.from({ length: layers }, (_, i) => [`past_key_values.${i}.key`, `past_key_values.${i}.value`]).flat()]);
    assert.deepEqual(probe.outputNames, ['logits', ...Array.from({ length: layers }, (_, i) => [`present.${i}.key`, `present.${i}.value`]).flat()]);
    await probe.release();
    const onnxBytes = readFileSync(join(dir, 'onnx', 'model.onnx')).toString('latin1');
    assert.ok(onnxBytes.includes('batch_size') && onnxBytes.includes('past_sequence_length') && onnxBytes.includes('total_sequence_length'));

    assert.deepEqual(await greedyLikeTransformersJs(dir, prompts, 6), ours);
  }
});

test('saenggak model export --adapter merges a PEFT adapter into the exported weights', async () => {
  const { execFile } = await import('node:child_process');
  const { promisify } = await import('node:util');
  const { initLoraWeights } = await import('../../../main/models/lora.ts');
  const { loraConfig, mergeLoraAdapter, writeLoraAdapter } = await import('../../../main/models/peft.ts');
  const root = tempDir('export-cli-');
  const src = join(root, 'model');
  createModelFolder({ family: 'llama', preset: 'tiny', outDir: src, seed: 2 });
  const { config, weights } = loadModel(src);
  const lora = loraConfig({ r: 2, loraAlpha: 4, targetModules: ['q_proj', 'up_proj'] });
  const pairs = initLoraWeights(config, lora, 3);
  for (const { b } of pairs.values()) (b.data as Float32Array).forEach((_, i, a) => (a[i] = 0.05 * Math.sin(i + 1))); // a non-trivial adapter
  const adapter = { config: lora, lora: pairs, extra: new Map() };
  writeLoraAdapter(join(root, 'adapter'), adapter);
  const bin = join(import.meta.dirname, '..', '..', '..', 'bin', 'saenggak.js');
  const out = join(root, 'web');
  const res = JSON.parse((await promisify(execFile)(process.execPath, [bin, 'model', 'export', '--model', src, '--adapter', join(root, 'adapter'), '--out', out, '--json'])).stdout);
  assert.ok(res.files.includes('onnx/model.onnx'));
  const merged = mergeLoraAdapter(weights, adapter);
  const session = await DecoderSession.create(config, merged, { kvCache: true });
  const expected = (await generate(session, [[9707, 1879, 11]], { maxNewTokens: 5, stopTokenIds: [] })).map((s) => s.tokens);
  await session.release();
  assert.deepEqual(await greedyLikeTransformersJs(out, [[9707, 1879, 11]], 5), expected);
});
