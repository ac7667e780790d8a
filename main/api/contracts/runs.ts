// The runs area's part of the API contract (see ../contract.ts): training runs of every kind (SFT, reward
// model, GRPO) as the Train page sees them — list, details, metrics polled by byte offset, start / stop /
// resume through the job kinds, GRPO rollouts per step, memory estimates and the models a run can start from.
//
// The value types mirror main/train/run (RunInfo, MetricRecord) instead of importing them, so the renderer
// keeps importing types from main/api only.
import { z } from 'zod';
import { method } from '../method.ts';

// Value types live with their modules (train/run/types.ts, jobs/types.ts); re-exported here for the contract.
import type { RunDetails, RunRecord } from '../../jobs/types.ts';
import type { RunMemoryEstimate, RunMetricsPage, RunSamples, RunStartModel } from '../../train/run/types.ts';
export type { RunDetails, RunRecord } from '../../jobs/types.ts';
export type {
  MemoryAdvice,
  RolloutGroup,
  RolloutResponse,
  RunKindName,
  RunMemoryEstimate,
  RunMetricRecord,
  RunMetricsPage,
  RunSamples,
  RunStartModel,
  RunState,
} from '../../train/run/types.ts';

const runName = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[\p{L}\p{N}_.-]+$/u, 'run names use letters, digits, "_", "-" and "." only')
  .refine((n) => n !== '.' && n !== '..', 'not a run name');

const runKind = z.enum(['sft', 'grpo', 'rm']);
const configObject = z.record(z.string(), z.unknown());

export const runsMethods = {
  'runs.list': method<RunRecord[]>()(z.object({})),
  'runs.get': method<RunDetails>()(z.object({ name: runName })),
  /** Metrics points from byte offset `from` (0 = the start); poll with the returned `next`. */
  'runs.metrics': method<RunMetricsPage>()(z.object({ name: runName, from: z.number().int().min(0).default(0) })),
  /**
   * Validates the config against the kind's schema (SFT, GRPO; RM configs are checked by their job) and
   * starts the job. The run is named config.name, or a free name from the kind ("sft", "sft-2", ...);
   * an existing run of that name is a conflict (resume it instead).
   */
  'runs.start': method<{ jobId: string; run: string }>()(
    z.object({
      kind: runKind,
      config: configObject,
      /** cpu, webgpu or cuda:N (#21): the job waits in that device's queue and sees only that device. */
      device: z.string().max(32).optional(),
    }),
  ),
  /** Cancels the run's job: the trainer saves a checkpoint and ends with status 'stopped'. */
  'runs.stop': method<{ stopped: boolean; jobId: string | null }>()(z.object({ name: runName })),
  /** Starts the job again with the saved config; the trainer continues from the newest checkpoint. */
  'runs.resume': method<{ jobId: string; run: string }>()(
    z.object({
      name: runName,
      /** cpu, webgpu or cuda:N (#21): resume on another device (after the run's GPU was lost), checked and queued like runs.start. */
      device: z.string().max(32).optional(),
    }),
  ),
  /** GRPO rollouts of one step (default: the newest) and the list of steps that have them. */
  'runs.samples': method<RunSamples>()(
    z.object({ name: runName, step: z.number().int().min(0).optional(), limit: z.number().int().min(1).max(1000).default(200) }),
  ),
  /** Training-memory estimate of a config on a device, and whether it fits. */
  'runs.estimate': method<RunMemoryEstimate>()(
    z.object({
      kind: runKind,
      config: configObject,
      provider: z.enum(['auto', 'cpu', 'cuda', 'webgpu']).default('auto'),
      /** A device (cpu, webgpu, cuda:N): the estimate is checked against that GPU's free memory (#21). */
      device: z.string().max(32).optional(),
    }),
  ),
  /** Model folders a run can start from: workspace models/<name>/ and finished runs' outputs. */
  'runs.models': method<RunStartModel[]>()(z.object({})),
  /** Starts an `export` job: the run's output as a GGUF (llama.cpp, LM Studio) or GGUF + Modelfile (Ollama) in runs/<name>/export/. */
  'runs.export': method<{ jobId: string; files: string[] }>()(
    z.object({ name: runName, format: z.enum(['gguf', 'ollama']), quant: z.enum(['f32', 'f16', 'bf16', 'q8_0', 'q4_k_m']).default('q8_0') }),
  ),
} as const;

export type RunsEvents = {
  /** A run was started, stopped or resumed from the app (lists refresh; metrics are polled). */
  'runs.changed': { name: string };
};
