// The plain path that inference sessions took before external data (the reference for issue #19's
// proof): every weight inline in one protobuf (encodeModel, fails past 2 GB), float32 in JS memory, no
// KV cache and no in-graph argmax: each step recomputes the whole sequence and takes the argmax of the
// last position's logits in JS. Slow and independent of the new loading path by construction.
import * as ort from 'onnxruntime-node';
import { encodeModel } from '../../main/engine/onnx/emit.ts';
import type { SafeTensor } from '../../main/engine/safetensors.ts';
import type { ModelConfig } from '../../main/models/config.ts';
import { buildDecoderGraph } from '../../main/models/decoder.ts';
import { decoderOnnxModel } from '../../main/models/decoder-session.ts';

export async function inlineGreedy(config: ModelConfig, weights: ReadonlyMap<string, SafeTensor>, prompt: readonly number[], newTokens: number): Promise<number[]> {
  const decoder = buildDecoderGraph(config, { dtype: 'float32' });
  const session = await ort.InferenceSession.create(encodeModel(decoderOnnxModel(decoder, weights)), { executionProviders: ['cpu'] });
  const ids = [...prompt];
  const out: number[] = [];
  try {
    for (let step = 0; step < newTokens; step++) {
      const S = ids.length;
      const feeds = {
        input_ids: new ort.Tensor('int64', BigInt64Array.from(ids, BigInt), [1, S]),
        attention_mask: new ort.Tensor('int64', new BigInt64Array(S).fill(1n), [1, S]),
        position_ids: new ort.Tensor('int64', BigInt64Array.from(ids, (_, t) => BigInt(t)), [1, S]),
      };
      const { logits } = await session.run(feeds, ['logits']);
      const V = config.vocabSize;
      const last = (logits.data as Float32Array).subarray((S - 1) * V, S * V);
      let best = 0;
      for (let v = 1; v < V; v++) if (last[v] > last[best]) best = v;
      ids.push(best);
      out.push(best);
    }
  } finally {
    await session.release();
  }
  return out;
}
