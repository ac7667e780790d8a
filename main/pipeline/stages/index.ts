// The stage implementations, by name.
import type { StageDefinition } from '../stage.ts';
import type { StageName } from '../stage-names.ts';
import { ablationStage } from './ablation.ts';
import { alignmentStage } from './alignment.ts';
import { dataStage } from './data.ts';
import { evalStage } from './eval.ts';
import { grpoStage } from './grpo.ts';
import { modelStage } from './model.ts';
import { pairsStage } from './pairs.ts';
import { reportStage } from './report.ts';
import { rewardModelStage } from './reward-model.ts';
import { sftStage } from './sft.ts';

export const STAGES: Record<StageName, StageDefinition> = {
  model: modelStage,
  data: dataStage,
  sft: sftStage,
  pairs: pairsStage,
  rewardModel: rewardModelStage,
  grpo: grpoStage,
  ablation: ablationStage,
  alignment: alignmentStage,
  eval: evalStage,
  report: reportStage,
};
