// Stage "sft": distillation on the data stage's training set (main/train/sft runSft).
import { trainerStage } from './trainer-stage.ts';
import { previousModel } from './trainer-stage.ts';

const num = (v: unknown, fallback: number): number => (typeof v === 'number' ? v : fallback);
const loraRank = (method: unknown): number | undefined => ((method as { kind?: string } | undefined)?.kind === 'lora' ? num((method as { r?: number }).r, 16) : undefined);

export const sftStage = trainerStage({
  name: 'sft',
  short: 'sft',
  area: 'sft',
  entry: 'runSft',
  schema: 'sftConfigSchema',
  workspaceField: true,
  defaults: ({ outputs }) => ({
    ...(previousModel(outputs, ['model']) ? { model: previousModel(outputs, ['model']) } : {}),
    ...(typeof outputs.data?.train === 'string' ? { data: outputs.data.train } : {}),
  }),
  memoryShape: (c) => {
    const seqLength = num(c.maxSeqLength, 1024);
    // A token budget per micro-batch holds batchSize / maxSeqLength full-length rows.
    const sequences = c.batchUnit === 'tokens' ? Math.max(1, Math.floor(num(c.batchSize, seqLength) / seqLength)) : num(c.batchSize, 8);
    return { sequences, seqLength, loraRank: loraRank(c.method), checkpointing: c.gradientCheckpointing === true, lossChunks: typeof c.lossChunks === 'number' ? c.lossChunks : undefined, accumulation: num(c.gradAccumulation, 1) > 1 };
  },
});

export { loraRank, num };
