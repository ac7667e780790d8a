// The KV cache's concat(past, new) along the sequence axis, spliced into the lowered ONNX model.
//
// Engine gap worked around here: the IR's Concat needs static sizes on the concat axis (its symbolic
// dims are products, so past_sequence_length + sequence_length has no name), and the IR has no op whose
// output length is a sum of symbols. So the decoder graph declares each layer's full K/V as a stand-in
// input `present.{i}.key` [batch, kv_heads, total_sequence_length, head_dim] that attention reads, and
// exposes the step's new K/V as temporary outputs. After lowering, this pass removes each stand-in
// input and adds the ONNX node `present.{i}.key = Concat(past_key_values.{i}.key, new key, axis=2)`
// right after the node that produces the new key, and makes `present.*` the graph outputs.
import type { OnnxModel } from '../engine/index.ts';

type OnnxNode = OnnxModel['graph']['nodes'][number];
type OnnxValueInfo = OnnxModel['graph']['inputs'][number];
import { cacheNames, DIMS, type DecoderGraph } from './decoder.ts';

/** Temporary output names for the new K/V of layer i (removed by spliceKvConcat). */
export const newKvName = (i: number, kind: 'key' | 'value') => `kv_cache/new.${i}.${kind}`;

export function spliceKvConcat(model: OnnxModel, decoder: DecoderGraph): OnnxModel {
  if (!decoder.cache) return model;
  const { numKvHeads, headDim } = decoder.config;
  const graph = model.graph;
  const standIns = new Set<string>();
  const presentOutputs: OnnxValueInfo[] = [];
  const nodes: OnnxNode[] = [...graph.nodes];
  decoder.cache.forEach((_, i) => {
    const n = cacheNames(i);
    for (const [kind, past, present] of [['key', n.pastKey, n.presentKey], ['value', n.pastValue, n.presentValue]] as const) {
      const fresh = newKvName(i, kind);
      const at = nodes.findIndex((node) => node.outputs.includes(fresh));
      if (at < 0) throw new Error(`kv-cache splice: no node produces ${fresh}`);
      nodes.splice(at + 1, 0, {
        opType: 'Concat',
        name: `model.layers.${i}/self_attn/kv_cache/${kind}_concat`,
        inputs: [past, fresh],
        outputs: [present],
        attributes: { axis: { kind: 'int', value: 2 } },
      });
      standIns.add(present);
      presentOutputs.push({ name: present, dtype: decoder.dtype, shape: [DIMS.batch, numKvHeads, DIMS.total, headDim] });
    }
  });
  const temporary = new Set(decoder.cache.flatMap((_, i) => [newKvName(i, 'key'), newKvName(i, 'value')]));
  return {
    ...model,
    graph: {
      ...graph,
      nodes,
      inputs: graph.inputs.filter((v) => !standIns.has(v.name)),
      outputs: [...graph.outputs.filter((v) => !temporary.has(v.name)), ...presentOutputs],
    },
  };
}
