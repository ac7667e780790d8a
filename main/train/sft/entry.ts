// SFT behind the one trainer contract (shared/entry.ts): `data` replaces data.source (and the held-out
// split with another source), onProgress becomes onStep, the result the shared RunResult.
import { flatSummary, type RunResult, type Trainer, type TrainRequest } from '../shared/entry.ts';
import { parseSftConfig, sftBase, sftShape, sftConfigSchema, type SftConfig } from './config.ts';
import { runSft } from './run-sft.ts';

/** The request's config with its data override applied. */
function configOf(request: TrainRequest): SftConfig {
  const config = parseSftConfig(request.config);
  if (!request.data) return config;
  return { ...config, data: { ...config.data, source: request.data.source }, ...(request.data.heldOut ? { evalSplit: { source: request.data.heldOut } } : {}) };
}

export const sftTrainer: Trainer = {
  kind: 'sft',
  schema: sftConfigSchema,
  memoryShape: (config) => sftShape(parseSftConfig(config)),
  base: (config) => sftBase(parseSftConfig(config)),
  async train(request): Promise<RunResult> {
    const result = await runSft(configOf(request), {
      workspace: request.workspace,
      signal: request.signal,
      log: request.log,
      resume: request.resume,
      onProgress: request.onStep && ((p) => request.onStep!({ step: p.step, totalSteps: p.totalSteps, metrics: { loss: p.loss, learningRate: p.learningRate, tokensPerSecond: p.tokensPerSecond } })),
    });
    const s = result.summary;
    return { kind: 'sft', run: result.run, runDir: result.runDir, status: s.status, output: result.output, steps: s.steps, totalSteps: s.totalSteps, summary: flatSummary({ ...s, evalLoss: s.evalLoss ?? undefined }), details: s };
  },
};
