// Stage "grpo": reinforcement learning from the SFT model on the RL prompts (the registry's grpo trainer),
// evaluated on the held-out split; the reward model, when the recipe trains one, scores the summaries.
import { existsSync } from 'node:fs';
import { previousModel, trainerStage } from './trainer-stage.ts';

/** A prompt source for GRPO's config: a file path, else a workspace dataset name. */
function source(value: unknown): Record<string, unknown> | undefined {
  if (typeof value !== 'string') return undefined;
  return existsSync(value) || value.startsWith('/pending/') ? { path: value } : { dataset: value };
}

export const grpoStage = trainerStage({
  name: 'grpo',
  short: 'grpo',
  workspaceField: false,
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
});
