// GRPO behind the one trainer contract (shared/entry.ts): `data` replaces prompts (and heldOut) — a path
// when a file exists there (relative to baseDir), else a workspace dataset, the rule the pipeline's GRPO
// stage uses — onProgress becomes onStep, and the result the shared RunResult (status and step count read
// back from the run folder, as runGrpo's own result leaves them implicit).
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { RunFolder } from '../run/index.ts';
import { flatSummary, type RunResult, type Trainer, type TrainRequest } from '../shared/entry.ts';
import { grpoBase, grpoShape, grpoConfigSchema, parseGrpoConfig, type GrpoConfig } from './config.ts';
import { runGrpo } from './trainer.ts';

function sourceOf(value: string, baseDir: string): { path: string } | { dataset: string } {
  return existsSync(resolve(baseDir, value)) ? { path: value } : { dataset: value };
}

function configOf(request: TrainRequest, baseDir: string): GrpoConfig {
  const config = parseGrpoConfig(request.config);
  if (!request.data) return config;
  const { dataset: _d, path: _p, ...prompts } = config.prompts;
  const next: GrpoConfig = { ...config, prompts: { ...prompts, ...sourceOf(request.data.source, baseDir) } };
  if (request.data.heldOut) {
    const { dataset: _hd, path: _hp, ...heldOut } = config.heldOut ?? { columns: { prompt: 'prompt', answer: 'answer', lang: 'lang' } };
    next.heldOut = { ...heldOut, ...sourceOf(request.data.heldOut, baseDir) };
  }
  return parseGrpoConfig(next);
}

export const grpoTrainer: Trainer = {
  kind: 'grpo',
  schema: grpoConfigSchema,
  memoryShape: (config) => grpoShape(parseGrpoConfig(config)),
  base: (config) => grpoBase(parseGrpoConfig(config)),
  async train(request): Promise<RunResult> {
    if (!request.workspace) throw new Error('GRPO: give a workspace (runs/<name>/ is written there)');
    const baseDir = resolve(request.baseDir ?? process.cwd());
    const config = configOf(request, baseDir);
    const result = await runGrpo(config, {
      workspace: request.workspace,
      baseDir,
      signal: request.signal,
      log: request.log,
      onProgress: request.onStep && ((p) => request.onStep!({ step: p.step, totalSteps: p.totalSteps, metrics: { reward: p.reward ?? NaN, accuracy: p.accuracy ?? NaN } })),
    });
    const info = RunFolder.inWorkspace(request.workspace, result.run).info();
    const status = info.status === 'finished' ? 'finished' : 'stopped';
    return { kind: 'grpo', run: result.run, runDir: RunFolder.inWorkspace(request.workspace, result.run).dir, status, output: result.output, steps: info.step, totalSteps: config.steps, summary: flatSummary(result.summary), details: result.summary };
  },
};
