// The pipeline's stages, in the order they run (a recipe may leave any of them out).
export const STAGE_ORDER = ['model', 'data', 'sft', 'pairs', 'rewardModel', 'grpo', 'ablation', 'alignment', 'eval', 'report'] as const;
export type StageName = (typeof STAGE_ORDER)[number];
