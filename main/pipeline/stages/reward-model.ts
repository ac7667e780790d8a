// Stage "rewardModel": Bradley-Terry reward model on the pairs stage's preference set (main/train/rm).
// Its summary's `accuracy` is the held-out pair accuracy (what the report and `pipeline run --json` show:
// whether the reward model learned the preference), not the last training batch's.
import type { RmSummary } from '../../train/rm/trainer.ts';
import { previousModel, trainerStage } from './trainer-stage.ts';

export const rewardModelStage = trainerStage({
  name: 'rewardModel',
  short: 'rm',
  workspaceField: true,
  defaults: ({ outputs }) => ({
    ...(previousModel(outputs, ['sft', 'model']) ? { model: previousModel(outputs, ['sft', 'model']) } : {}),
    ...(typeof outputs.pairs?.output === 'string' ? { data: outputs.pairs.output } : {}),
  }),
  summarize: (s) => rewardModelSummary(s as unknown as RmSummary),
});

/** Held-out pair accuracy as `accuracy` (absent without held-out pairs), the last batch's as `trainAccuracy`. */
export function rewardModelSummary(s: RmSummary): Record<string, number | string> {
  const out: Record<string, number | string> = { status: s.status, steps: s.steps, loss: s.loss, trainAccuracy: s.accuracy };
  if (s.eval && s.eval.n > 0) Object.assign(out, { accuracy: s.eval.accuracy, heldOutPairs: s.eval.n, margin: s.eval.meanMargin });
  out.pairsPerSecond = s.pairsPerSecond;
  return out;
}
