// A training run's peak memory, from the one planner (models/memory-plan.ts, through models/memory.ts's
// estimate, whose `total` is the planner's peak). Each trainer says what one optimizer graph holds (its
// TrainingShape: sftShape, rmShape, grpoShape next to each config); this turns a shape into bytes, so the
// GRPO trainer's refusal, `pipeline check` and anything else that asks "will this run fit" get one answer.
import type { ModelConfig } from '../../models/config.ts';
import { estimateTrainingMemory } from '../../models/memory.ts';
import type { PlanDevice } from '../../models/memory-plan.ts';

export interface TrainingShape {
  /** Rows in one optimizer graph (SFT: sequences per micro-batch; RM: 2 × pairs; GRPO: a mini-batch of responses). */
  sequences: number;
  /** Tokens per row. */
  seqLength: number;
  /** LoRA rank; absent for full and selective tuning (planned as full: an upper bound). */
  loraRank?: number;
  checkpointing: boolean;
  lossChunks?: number;
  /** Gradient accumulation (accumulate/apply graphs). */
  accumulation: boolean;
  /** Trained with a one-label score head (the reward model): no vocabulary logits. */
  scorer: boolean;
  /** The step runner (config stepRunner; fp16 runs per step whatever it says). Default: the planner's. */
  runner?: 'loop' | 'per-step';
}

/** Peak bytes of a training step of `shape` on `model` (the planner's default device, the CPU, when none is given). */
export function trainingMemoryBytes(model: ModelConfig, shape: TrainingShape, device?: PlanDevice): number {
  const config: ModelConfig = shape.scorer ? { ...model, task: 'sequence-classification', numLabels: 1 } : model;
  const estimate = estimateTrainingMemory(config, {
    batchSize: shape.sequences,
    seqLength: shape.seqLength,
    loraRank: shape.loraRank,
    checkpointing: shape.checkpointing,
    lossChunks: shape.lossChunks,
    accumulation: shape.accumulation,
    runner: shape.runner,
    device,
  });
  return shape.loraRank !== undefined ? estimate.lora.total : estimate.full.total;
}

/** How a shape reads in a message: "8 sequences × 1024 tokens, LoRA r=16, checkpointing". */
export function describeShape(shape: TrainingShape): string {
  return `${shape.sequences} sequences × ${shape.seqLength} tokens${shape.loraRank ? `, LoRA r=${shape.loraRank}` : ', full fine-tuning'}${shape.checkpointing ? ', checkpointing' : ''}`;
}
