// Stage "sft": distillation on the data stage's training set (the registry's sft trainer, main/train/sft).
import { trainerStage } from './trainer-stage.ts';
import { previousModel } from './trainer-stage.ts';

export const sftStage = trainerStage({
  name: 'sft',
  short: 'sft',
  workspaceField: true,
  defaults: ({ outputs }) => ({
    ...(previousModel(outputs, ['model']) ? { model: previousModel(outputs, ['model']) } : {}),
    ...(typeof outputs.data?.train === 'string' ? { data: outputs.data.train } : {}),
  }),
});
