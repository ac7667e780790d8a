// Adapter between the benchmark and the engine's tiny transformer (test/helpers/tiny-transformer.ts,
// written by the graph-compiler side): builds the fused train-step graph for a BenchTrainConfig and
// maps Hugging Face parameter names and token batches onto the graph's inputs.
import type { OnnxModel } from '../../main/engine/onnx/model.ts';
import type { BatchFeed, TrainStepSignature } from '../../main/engine/runtime/train-step-runner.ts';
import type { HostTensor } from '../../main/engine/runtime/tensors.ts';
import type { BenchTrainConfig } from './train-setup.ts';

export type EngineTrainStep = {
  model: OnnxModel;
  signature: TrainStepSignature;
  /** Initial trainable parameters keyed by state-slot name, from Hugging Face-named weights. */
  initialParams(weights: Record<string, HostTensor>): Record<string, HostTensor>;
  /** One batch as graph feeds. */
  batch(inputIds: BigInt64Array, labels: BigInt64Array): BatchFeed;
};

export async function buildEngineTrainStep(cfg: BenchTrainConfig): Promise<EngineTrainStep> {
  let helper: Record<string, unknown>;
  try {
    const helperPath = '../../test/helpers/tiny-transformer.ts'; // not yet committed: resolved at run time
    helper = await import(helperPath);
  } catch (error) {
    throw new Error(`the engine's tiny transformer (test/helpers/tiny-transformer.ts) is not available: ${(error as Error).message.split('\n')[0]}`);
  }
  void helper;
  void cfg;
  throw new Error('bench adapter: test/helpers/tiny-transformer.ts exists but its train-step builder is not wired into bench/lib/engine-model.ts yet');
}
