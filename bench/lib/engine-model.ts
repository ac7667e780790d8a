// Adapter between the benchmark and the engine's tiny transformer (test/helpers/tiny-transformer.ts):
// builds the fused train-step graph for a BenchTrainConfig and maps the Hugging Face-named weights and
// token batches onto it.
import type { BatchFeed, BuiltStepGraph } from '../../main/engine/runtime/train-step-runner.ts';
import type { HostTensor } from '../../main/engine/runtime/tensors.ts';
import { buildTrainStep } from '../../main/engine/optim/train-step.ts';
import { buildTinyLM } from '../../test/helpers/tiny-transformer.ts';
import type { BenchTrainConfig } from './train-setup.ts';

export type EngineTrainStep = BuiltStepGraph & {
  /** Initial trainable parameters keyed by name, from Hugging Face-named weights. */
  initialParams(weights: Record<string, HostTensor>): Record<string, HostTensor>;
  /** One batch as graph feeds. */
  batch(inputIds: BigInt64Array, labels: BigInt64Array): BatchFeed;
};

export function buildEngineTrainStep(cfg: BenchTrainConfig): EngineTrainStep {
  if (cfg.tie_embeddings) throw new Error('bench: the tiny transformer has an untied lm_head');
  const lm = buildTinyLM(
    { vocabSize: cfg.vocab, hidden: cfg.hidden, layers: cfg.layers, heads: cfg.heads, kvHeads: cfg.kv_heads, intermediate: cfg.intermediate, ropeTheta: cfg.rope_theta, rmsEps: cfg.rms_eps },
    { dtype: 'float32', batch: cfg.batch, seq: cfg.seq },
  );
  const o = cfg.optimizer;
  // Weight decay on matrices only (the builder's default: rank ≥ 2), matching no_decay_suffixes=['norm.weight'] on the PyTorch side.
  const step = buildTrainStep({
    loss: lm.loss,
    trainable: lm.params,
    adamw: { beta1: o.beta1, beta2: o.beta2, eps: o.eps, weightDecay: o.weight_decay },
    maxGradNorm: o.clip_norm,
  });
  const names = step.signature.trainable.map((t) => t.name);
  return {
    model: step.toOnnx(),
    signature: step.signature,
    initialParams(weights) {
      const missing = names.filter((n) => !(n in weights));
      if (missing.length) throw new Error(`bench: initial weights lack ${missing.join(', ')}`);
      return Object.fromEntries(names.map((n) => [n, weights[n]]));
    },
    batch(inputIds, labels) {
      const dims = [cfg.batch, cfg.seq];
      return { input_ids: { dtype: 'int64', dims, data: inputIds }, labels: { dtype: 'int64', dims, data: labels } };
    },
  };
}
