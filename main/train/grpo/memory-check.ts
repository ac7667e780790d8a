// The refusal before a GRPO run starts: the update's peak memory from the planner (shared/memory.ts) for
// one mini-batch of responses at the longest prompt plus maxNewTokens, against memoryLimitGiB or the
// machine's memory.
import { totalmem } from 'node:os';
import type { ModelConfig } from '../../models/config.ts';
import { formatBytes } from '../../models/memory.ts';
import { trainingMemoryBytes } from '../shared/memory.ts';
import { grpoShape, type GrpoConfig } from './config.ts';

/** Refuses a config whose estimated training memory does not fit, saying what to change. */
export function checkMemory(config: GrpoConfig, model: { config: ModelConfig }, maxPromptTokens: number): { bytes: number; limit: number } {
  const shape = grpoShape(config, maxPromptTokens);
  const bytes = trainingMemoryBytes(model.config, shape);
  const limit = config.memoryLimitGiB !== undefined ? config.memoryLimitGiB * 2 ** 30 : totalmem();
  if (bytes > limit) {
    const advice = [
      `set objective.miniBatch below ${shape.sequences} (responses per optimizer step)`,
      `lower rollout.maxNewTokens (${config.rollout.maxNewTokens})`,
      config.method.kind !== 'lora' ? 'use method: {kind: lora}' : `lower method.r (${config.method.r})`,
    ];
    // The loop step holds one more copy of params and AdamW moments (#20): one run per micro-batch may fit.
    const perStep = shape.runner === 'loop' ? trainingMemoryBytes(model.config, { ...shape, runner: 'per-step' }) : Infinity;
    if (perStep <= limit) advice.unshift(`set stepRunner: per-step (about ${formatBytes(perStep)}: one onnxruntime run per micro-batch instead of the loop step, which keeps one more copy of the trained weights and their AdamW moments)`);
    throw new Error(`GRPO would need about ${formatBytes(bytes)} for ${shape.sequences} responses of up to ${shape.seqLength} tokens, more than the ${formatBytes(limit)} available; ${advice.join(', or ')}`);
  }
  return { bytes, limit };
}
