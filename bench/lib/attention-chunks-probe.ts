// Peak RSS of one checkpointed forward+backward at a long sequence, attention whole or in head chunks
// (DecoderGraphOptions.attentionHeadChunks): node --import tsx bench/lib/attention-chunks-probe.ts CHUNKS SEQ (ARENA=off: no CPU arena; NOGRAD=1: forward only)
import * as ort from 'onnxruntime-node';
import { checkpointedGradients, encodeModel, lower, type Tensor } from '../../main/engine/index.ts';
import { buildDecoderGraph } from '../../main/models/decoder.ts';
import { presetConfig } from '../../main/models/presets.ts';
import { initWeights } from '../../main/models/init.ts';
const [chunks, S] = [Number(process.argv[2]), Number(process.argv[3])];
const base = presetConfig('qwen2', 'tiny', { vocabSize: 512, bosTokenId: 1, eosTokenIds: [2], padTokenId: 0 });
const config = { ...base, hiddenSize: 256, intermediateSize: 512, numLayers: 2, numHeads: 16, numKvHeads: 4, headDim: 16 };
const decoder = buildDecoderGraph(config, { dtype: 'float32', labels: true, gradientCheckpointing: true, attentionHeadChunks: chunks > 1 ? chunks : undefined });
const params = decoder.graph.params;
const grads = process.env.NOGRAD ? [] : checkpointedGradients(decoder.loss!, params, decoder.checkpoints!);
const outputs: Record<string, Tensor> = { loss: decoder.loss! };
grads.forEach((g, i) => g && (outputs[`grad/${params[i].name}`] = g));
const model = encodeModel(lower(decoder.graph, { outputs, name: 'm' }));
const weights = initWeights(config, { seed: 1, std: 0.02 });
const session = await ort.InferenceSession.create(model, { executionProviders: ['cpu'], enableCpuMemArena: process.env.ARENA !== 'off', extra: { session: { disable_prepacking: '1' } } });
const ids = BigInt64Array.from({ length: S }, (_, t) => BigInt(3 + (t * 7) % 500));
const feed: Record<string, ort.Tensor> = { input_ids: new ort.Tensor('int64', ids, [1, S]), attention_mask: new ort.Tensor('int64', new BigInt64Array(S).fill(1n), [1, S]), position_ids: new ort.Tensor('int64', BigInt64Array.from({ length: S }, (_, t) => BigInt(t)), [1, S]), labels: new ort.Tensor('int64', ids, [1, S]) };
for (const p of params) feed[p.name] = new ort.Tensor('float32', weights.get(p.name)!.data as Float32Array, p.shape as number[]);
const before = process.resourceUsage().maxRSS;
const t = performance.now();
const out = await session.run(feed);
console.log(JSON.stringify({ chunks, S, loss: (out.loss.data as Float32Array)[0], peakMiB: Math.round(process.resourceUsage().maxRSS / 1024), beforeMiB: Math.round(before / 1024), s: ((performance.now() - t) / 1000).toFixed(1), scoresMiB_allHeads: Math.round(16 * S * S * 4 / 2 ** 20) }));
