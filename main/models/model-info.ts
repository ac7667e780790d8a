// What `saenggak model info` reports about a model folder: its shape, parameter counts, the piecewise
// training-memory estimate (full fine-tuning and LoRA side by side) and the planner's peak for the chosen
// method and settings, as data (--json) and as the text a person reads. Reads config.json only.
import { loadModelConfig, type ModelConfig } from './config.ts';
import { estimateTrainingMemory, formatBytes, formatCount, parameterCounts, type MemoryEstimate, type ParameterCounts } from './memory.ts';
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

/** The human form of `model info`: shape, parameter counts, the estimate's pieces (full vs LoRA) and the planner's peak. */
export function modelInfoText(info: ModelInfo, options: Pick<ModelInfoOptions, 'batch' | 'seq' | 'loraRank' | 'method' | 'checkpointing'>): string {
  const lines = [
    `${info.config.architecture}: ${info.config.numLayers} layers, hidden ${info.config.hiddenSize}, heads ${info.config.numHeads} (kv ${info.config.numKvHeads}, dim ${info.config.headDim}), MLP ${info.config.intermediateSize}, vocab ${info.config.vocabSize}${info.config.tieWordEmbeddings ? ', tied embeddings' : ''}`,
    '',
    'parameters',
    `  total        ${formatCount(info.parameters.total).padStart(9)}  (${info.parameters.total.toLocaleString('en')})`,
    `  embedding    ${formatCount(info.parameters.embedding).padStart(9)}`,
    ...(info.parameters.lmHead ? [`  lm_head      ${formatCount(info.parameters.lmHead).padStart(9)}`] : []),
    ...(info.parameters.score ? [`  score        ${formatCount(info.parameters.score).padStart(9)}`] : []),
    `  per layer    ${formatCount(info.parameters.perLayer).padStart(9)}  (attention ${formatCount(info.parameters.perLayerAttention)}, MLP ${formatCount(info.parameters.perLayerMlp)}, norms ${formatCount(info.parameters.perLayerNorms)})`,
    `  all layers   ${formatCount(info.parameters.layers).padStart(9)}`,
    '',
    `training memory at batch ${options.batch} × length ${options.seq} (AdamW; pieces, then the planner's peak counting every copy)`,
    `               ${'full'.padStart(10)} ${`LoRA r=${options.loraRank}`.padStart(12)}`,
  ];
  const row = (label: string, key: 'trainableParameters' | 'weights' | 'gradients' | 'optimizer' | 'activations' | 'total') => {
    const fmt = key === 'trainableParameters' ? formatCount : formatBytes;
    lines.push(`  ${label.padEnd(12)} ${fmt(info.memory.full[key]).padStart(10)} ${fmt(info.memory.lora[key]).padStart(12)}`);
  };
  row('trainable', 'trainableParameters');
  row('weights', 'weights');
  row('gradients', 'gradients');
  row('AdamW', 'optimizer');
  row('activations', 'activations');
  row('peak', 'total');
  const fits = Object.entries(info.plan.fits).filter(([, ok]) => ok).map(([gpu]) => gpu);
  lines.push('', `${options.method} at ${info.plan.precision}, checkpointing ${options.checkpointing ? 'on' : 'off'}, on ${info.plan.device}: peak ${formatBytes(info.plan.peakBytes)} (${Object.entries(info.plan.breakdown).map(([k, v]) => `${k} ${formatBytes(v)}`).join(', ')})`);
  lines.push(`fits GPUs of: ${fits.length ? fits.join(', ') : 'none of 24, 40, 80 GB'}`);
  return lines.join('\n');
}
