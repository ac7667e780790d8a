// Stage "grpo": reinforcement learning from the SFT model on the RL prompts (main/train/grpo runGrpo),
// evaluated on the held-out split; the reward model, when the recipe trains one, scores the summaries.
import { existsSync } from 'node:fs';
import { loraRank, num } from './sft.ts';
import { previousModel, trainerStage } from './trainer-stage.ts';

/** A prompt source for GRPO's config: a file path, else a workspace dataset name. */
function source(value: unknown): Record<string, unknown> | undefined {
  if (typeof value !== 'string') return undefined;
  return existsSync(value) || value.startsWith('/pending/') ? { path: value } : { dataset: value };
}

export const grpoStage = trainerStage({
  name: 'grpo',
  short: 'grpo',
  area: 'grpo',
  entry: 'runGrpo',
  schema: 'grpoConfigSchema',
  workspaceField: false,
  schemaArea: 'grpoConfig',
  defaults: ({ outputs }) => {
    const defaults: Record<string, unknown> = {};
    const model = previousModel(outputs, ['sft', 'model']);
    if (model) defaults.model = model;
    const prompts = source(outputs.data?.prompts);
    if (prompts) defaults.prompts = prompts;
    const heldOut = source(outputs.data?.heldout);
    if (heldOut) defaults.heldOut = heldOut;
    if (typeof outputs.rewardModel?.output === 'string') defaults.rewardModelPath = outputs.rewardModel.output;
    return defaults;
  },
  memoryShape: (c) => {
    const rollout = (c.rollout ?? {}) as Record<string, unknown>;
    const objective = (c.objective ?? {}) as Record<string, unknown>;
    // One optimizer step holds a mini-batch of responses (default: the whole rollout batch).
    const sequences = num(objective.miniBatch, num(rollout.promptsPerStep, 8) * num(rollout.groupSize, 8));
    return { sequences, seqLength: num(rollout.maxNewTokens, 512) + 256, loraRank: loraRank(c.method ?? { kind: 'lora' }), checkpointing: c.gradientCheckpointing === true };
  },
});
