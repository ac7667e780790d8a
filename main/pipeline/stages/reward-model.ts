// Stage "rewardModel": Bradley-Terry reward model on the pairs stage's preference set (main/train/rm).
import { loraRank, num } from './sft.ts';
import { previousModel, trainerStage } from './trainer-stage.ts';

export const rewardModelStage = trainerStage({
  name: 'rewardModel',
  short: 'rm',
  area: 'rm',
  entry: 'runRewardModelTraining',
  schema: 'rmConfigSchema',
  workspaceField: true,
  defaults: ({ outputs }) => ({
    ...(previousModel(outputs, ['sft', 'model']) ? { model: previousModel(outputs, ['sft', 'model']) } : {}),
    ...(typeof outputs.pairs?.output === 'string' ? { data: outputs.pairs.output } : {}),
  }),
  memoryShape: (c) => ({ sequences: 2 * num(c.pairsPerBatch, 8), seqLength: num(c.maxLength, 1024), loraRank: loraRank(c.method), checkpointing: c.gradientCheckpointing === true }),
});
