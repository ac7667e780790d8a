// What `saenggak model info` reports about a model folder: its shape, parameter counts, the piecewise
// training-memory estimate (full fine-tuning and LoRA side by side) and the planner's peak for the chosen
// method and settings. Reads config.json only.
import { loadModelConfig, type ModelConfig } from './config.ts';
import { estimateTrainingMemory, parameterCounts, type MemoryEstimate, type ParameterCounts } from './memory.ts';
import { planTrainingMemory, type MemoryPlan, type PlanDevice, type Precision } from './memory-plan.ts';

export type ModelInfoOptions = {
  batch: number;
  seq: number;
  loraRank: number;
  weightBytes: number;
  method: 'full' | 'lora';
  precision: Precision;
  checkpointing: boolean;
  lossChunks?: number;
  device: PlanDevice;
};

export type ModelInfo = { config: ModelConfig; parameters: ParameterCounts; memory: MemoryEstimate; plan: MemoryPlan };

export function modelInfo(modelDir: string, options: ModelInfoOptions): ModelInfo {
  const config = loadModelConfig(modelDir);
  const settings = { precision: options.precision, checkpointing: options.checkpointing, lossChunks: options.lossChunks, device: options.device };
  const memory = estimateTrainingMemory(config, { batchSize: options.batch, seqLength: options.seq, loraRank: options.loraRank, weightBytes: options.weightBytes, ...settings });
  const plan = planTrainingMemory(config, { batchSize: options.batch, seqLength: options.seq, method: options.method, loraRank: options.loraRank, hostWeightBytes: options.weightBytes, ...settings });
  return { config, parameters: parameterCounts(config), memory, plan };
}
