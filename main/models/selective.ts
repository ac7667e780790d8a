// Selective tuning: train only chosen layers, chosen parameters (by name or pattern), or chosen MLP
// neurons per layer (e.g. language-specific neurons in early layers), everything else frozen.
//
// Whole parameters are simply trainable or frozen (frozen ones are graph initializers, so they cannot
// change). Neurons are rows of gate_proj/up_proj ([I, H]) and columns of down_proj ([H, I]); rather
// than masking a full-size gradient, the chosen rows are their own small trainable params scattered
// into the frozen weight (W_used = ScatterND(W, rows, trainable_rows)): autodiff then gives exactly
// the masked gradient for them, the other entries are frozen initializers (bit-identical by
// construction, untouched by weight decay), and AdamW keeps state only for what trains.
import { nn, op, type Tensor } from '../engine/index.ts';
import type { SafeTensor, TensorMap } from '../engine/safetensors.ts';
import type { ModelConfig } from './config.ts';
import type { DecoderDType, Projection } from './decoder.ts';
import { expectedWeightShapes } from './weights.ts';

export interface Selection {
  /** Train every weight of these decoder layers. */
  layers?: number[];
  /** Train these weights: exact names, or RegExps tested against the name. */
  parameters?: (string | RegExp)[];
  /** Train these MLP neurons (intermediate indices) per layer: rows of gate/up_proj and columns of down_proj. */
  neurons?: Record<number, number[]>;
}

const MLP_ROWS = ['gate_proj', 'up_proj'] as const;

/** Name of the trainable slice param holding a layer's selected neurons of one MLP projection. */
export const neuronParamName = (layer: number, proj: 'gate_proj' | 'up_proj' | 'down_proj') => `model.layers.${layer}.mlp.${proj}.weight.selected_neurons`;

export interface SelectivePlan {
  /** Whole weights that train. */
  wholeParams: Set<string>;
  /** Per layer, the sorted neuron indices that train (not counting layers already whole-trained). */
  neurons: Map<number, number[]>;
}

export function planSelection(config: ModelConfig, selection: Selection): SelectivePlan {
  const names = [...expectedWeightShapes(config).keys()];
  const whole = new Set<string>();
  for (const layer of selection.layers ?? []) {
    if (!Number.isInteger(layer) || layer < 0 || layer >= config.numLayers) throw new RangeError(`selective: layer ${layer} does not exist (the model has ${config.numLayers} layers)`);
    for (const n of names) if (n.startsWith(`model.layers.${layer}.`)) whole.add(n);
  }
  for (const p of selection.parameters ?? []) {
    const hits = names.filter((n) => (typeof p === 'string' ? n === p : p.test(n)));
    if (hits.length === 0) throw new Error(`selective: parameter ${String(p)} matches no weight of ${config.architecture} (e.g. ${names.slice(0, 3).join(', ')}, …)`);
    for (const h of hits) whole.add(h);
  }
  const neurons = new Map<number, number[]>();
  for (const [key, list] of Object.entries(selection.neurons ?? {})) {
    const layer = Number(key);
    if (!Number.isInteger(layer) || layer < 0 || layer >= config.numLayers) throw new RangeError(`selective: neurons given for layer ${key}, which does not exist (the model has ${config.numLayers} layers)`);
    const sorted = [...new Set(list)].sort((a, b) => a - b);
    for (const i of sorted) if (!Number.isInteger(i) || i < 0 || i >= config.intermediateSize) throw new RangeError(`selective: neuron ${i} of layer ${layer} is outside the MLP (intermediate size ${config.intermediateSize})`);
    const proj = (p: string) => `model.layers.${layer}.mlp.${p}.weight`;
    if (sorted.length && !['gate_proj', 'up_proj', 'down_proj'].every((p) => whole.has(proj(p)))) neurons.set(layer, sorted);
    if (sorted.length && ['gate_proj', 'up_proj', 'down_proj'].some((p) => whole.has(proj(p)))) {
      throw new Error(`selective: layer ${layer} has both whole MLP weights and neurons selected; choose one`);
    }
  }
  if (whole.size === 0 && neurons.size === 0) throw new Error('selective: nothing selected to train');
  return { wholeParams: whole, neurons };
}

export interface SelectiveGraph {
  projection: Projection;
  /** Slice params by name, created as the decoder graph is built. */
  sliceParams: Map<string, Tensor>;
}

/** A projection hook that routes the selected neurons of MLP projections through trainable slices. */
export function selectiveProjection(plan: SelectivePlan, dtype: DecoderDType): SelectiveGraph {
  const sliceParams = new Map<string, Tensor>();
  const projection: Projection = (module, x, weight, bias) => {
    const m = /^model\.layers\.(\d+)\.mlp\.(gate_proj|up_proj|down_proj)$/.exec(module);
    const rows = m ? plan.neurons.get(Number(m[1])) : undefined;
    if (!m || !rows) return nn.linear(x, weight, bias);
    const g = x.graph;
    const layer = Number(m[1]);
    const proj = m[2] as 'gate_proj' | 'up_proj' | 'down_proj';
    const [outSize, inSize] = weight.shape as number[];
    const isRows = (MLP_ROWS as readonly string[]).includes(proj);
    // A layer rebuilt for gradient checkpointing calls this again: reuse the slice param.
    const slice = sliceParams.get(neuronParamName(layer, proj)) ?? g.param(neuronParamName(layer, proj), dtype, [rows.length, isRows ? inSize : outSize]);
    sliceParams.set(slice.name, slice);
    const index = g.constant(BigInt64Array.from(rows, BigInt), 'int64', [rows.length, 1], `${module}/selected_neurons`);
    const used = g.scope('selected_neurons', () =>
      isRows ? op.scatterND(weight, index, op.cast(slice, weight.dtype)) : op.transpose(op.scatterND(op.transpose(weight, [1, 0]), index, op.cast(slice, weight.dtype)), [1, 0]),
    );
    return nn.linear(x, used, bias);
  };
  return { projection, sliceParams };
}

/** Initial values of the slice params, cut from the base weights. */
export function neuronSlices(config: ModelConfig, plan: SelectivePlan, weights: ReadonlyMap<string, SafeTensor>): TensorMap {
  const out: TensorMap = new Map();
  const H = config.hiddenSize;
  const I = config.intermediateSize;
  for (const [layer, rows] of plan.neurons) {
    for (const proj of ['gate_proj', 'up_proj', 'down_proj'] as const) {
      const w = weights.get(`model.layers.${layer}.mlp.${proj}.weight`)!.data as Float32Array;
      const data = new Float32Array(rows.length * H);
      rows.forEach((r, k) => {
        for (let h = 0; h < H; h++) data[k * H + h] = proj === 'down_proj' ? w[h * I + r] : w[r * H + h];
      });
      out.set(neuronParamName(layer, proj), { dtype: 'F32', shape: [rows.length, H], data });
    }
  }
  return out;
}

/** Base weights with trained slices written back into their rows/columns (a new map). */
export function applyNeuronSlices(config: ModelConfig, plan: SelectivePlan, weights: ReadonlyMap<string, SafeTensor>, slices: ReadonlyMap<string, SafeTensor>): TensorMap {
  const out: TensorMap = new Map(weights);
  const H = config.hiddenSize;
  const I = config.intermediateSize;
  for (const [layer, rows] of plan.neurons) {
    for (const proj of ['gate_proj', 'up_proj', 'down_proj'] as const) {
      const name = `model.layers.${layer}.mlp.${proj}.weight`;
      const base = weights.get(name)!;
      const w = Float32Array.from(base.data as Float32Array);
      const s = slices.get(neuronParamName(layer, proj))!.data as ArrayLike<number>;
      rows.forEach((r, k) => {
        for (let h = 0; h < H; h++) {
          if (proj === 'down_proj') w[h * I + r] = s[k * H + h];
          else w[r * H + h] = s[k * H + h];
        }
      });
      out.set(name, { ...base, data: w });
    }
  }
  return out;
}
