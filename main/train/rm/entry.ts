// Reward-model training behind the one trainer contract (shared/entry.ts): `data` replaces the preference
// source, onProgress becomes onStep, the result the shared RunResult. Its held-out pairs are a share of the
// data (heldOutShare); a separate held-out source is refused rather than ignored.
import { flatSummary, type RunResult, type Trainer, type TrainRequest } from '../shared/entry.ts';
import { parseRmConfig, rmBase, rmShape, rmConfigSchema, type RmConfig } from './config.ts';
import { runRewardModelTraining } from './trainer.ts';

function configOf(request: TrainRequest): RmConfig {
  const config = parseRmConfig(request.config);
  if (!request.data) return config;
  if (request.data.heldOut) throw new Error('reward-model training holds out a share of its pairs (heldOutShare); a separate held-out source is not supported');
  return { ...config, data: request.data.source };
}

export const rmTrainer: Trainer = {
  kind: 'rm',
  schema: rmConfigSchema,
  memoryShape: (config) => rmShape(parseRmConfig(config)),
  base: (config) => rmBase(parseRmConfig(config)),
  async train(request): Promise<RunResult> {
    const result = await runRewardModelTraining(configOf(request), {
      workspace: request.workspace,
      signal: request.signal,
      log: request.log,
      resume: request.resume,
      onProgress:
        request.onStep &&
        ((p) => request.onStep!({ step: p.step, totalSteps: p.totalSteps, metrics: { loss: p.loss, accuracy: p.accuracy, margin: p.margin, learningRate: p.learningRate, pairsPerSecond: p.pairsPerSecond } })),
    });
    const s = result.summary;
    const heldOut = s.eval && s.eval.n > 0 ? { evalAccuracy: s.eval.accuracy, evalMargin: s.eval.meanMargin, heldOutPairs: s.eval.n } : {};
    return { kind: 'rm', run: result.run, runDir: result.runDir, status: s.status, output: result.output, steps: s.steps, totalSteps: s.totalSteps, summary: flatSummary({ ...s, ...heldOut }), details: s };
  },
};
