// The refusal before a GRPO run starts: the update's estimated training memory (the planner's peak, through
// models/memory.ts) for one mini-batch of responses at the longest prompt plus maxNewTokens, against
// memoryLimitGiB or the machine's memory.
import { totalmem } from 'node:os';
import type { ModelConfig } from '../../models/config.ts';
import { estimateTrainingMemory, formatBytes } from '../../models/memory.ts';
import { responsesPerUpdate, type GrpoConfig } from './config.ts';

/** Refuses a config whose estimated training memory does not fit, saying what to change. */
export function checkMemory(config: GrpoConfig, model: { config: ModelConfig }, maxPromptTokens: number): { bytes: number; limit: number } {
  const rows = responsesPerUpdate(config);
  const seqLength = maxPromptTokens + config.rollout.maxNewTokens;
  const estimate = estimateTrainingMemory(model.config, {
    batchSize: rows,
    seqLength,
    loraRank: config.method.kind === 'lora' ? config.method.r : undefined,
  });
  const bytes = config.method.kind === 'lora' ? estimate.lora.total : estimate.full.total;
  const limit = config.memoryLimitGiB !== undefined ? config.memoryLimitGiB * 2 ** 30 : totalmem();
  if (bytes > limit) {
    const advice = [
      `set objective.miniBatch below ${rows} (responses per optimizer step)`,
      `lower rollout.maxNewTokens (${config.rollout.maxNewTokens})`,
      config.method.kind !== 'lora' ? 'use method: {kind: lora}' : `lower method.r (${config.method.r})`,
    ];
    throw new Error(`GRPO would need about ${formatBytes(bytes)} for ${rows} responses of up to ${seqLength} tokens, more than the ${formatBytes(limit)} available; ${advice.join(', or ')}`);
  }
  return { bytes, limit };
}
