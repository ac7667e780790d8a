// The one typed contract between the UI and the back end.
//
// Every method has a zod schema for its input (validated on the back end before a handler runs) and a
// TypeScript output type. The same contract is served twice: by the Electron preload (IPC on one channel)
// and by serve mode (HTTP + WebSocket). The renderer imports only types from this folder.
//
// Errors cross the boundary as values: every call resolves to `Result<T>`, never a thrown exception.
import { z } from 'zod';
import { method, type MethodDef } from './method.ts';
import { runsMethods, type RunsEvents } from './contracts/runs.ts';
import { evalMethods, type EvalEvents } from './contracts/eval.ts';
import { pairsMethods, type PairsEvents } from './contracts/pairs.ts';
import { pipelineMethods, type PipelineEvents } from './contracts/pipeline.ts';
import { rmMethods, type RmEvents } from './contracts/rm.ts';
import { rewardServerMethods } from './contracts/rewardServer.ts';
import { neuronsMethods } from './contracts/neurons.ts';
import { gpuSetupMethods } from './contracts/gpuSetup.ts';

export type { MethodDef } from './method.ts';
import type { TelemetryView } from '../devices/telemetry-sampler.ts';
export type { TelemetryView } from '../devices/telemetry-sampler.ts';
import type { DeviceChoices } from '../devices/device-choice.ts';
export type { DeviceChoices, DeviceChoice } from '../devices/device-choice.ts';
export type { TelemetrySample } from '../devices/telemetry.ts';
// Domain types live with their module; the contract re-exports them so UI, handlers and CLI import one place.
import type { DatasetInfo, RowsPage, WorkspaceInfo } from '../store/types.ts';
export type { ColumnInfo, DatasetInfo, ImportFormat, Row, RowsPage, WorkspaceInfo } from '../store/types.ts';
export type { ImportLineError, ImportSummary } from '../data/import/types.ts';
import type { JobRecord } from '../jobs/types.ts';
export type { JobProgress, JobRecord, JobStatus, JobTitleParams } from '../jobs/types.ts';
import type { DevicesInfo } from '../devices/types.ts';
export type { DevicesInfo, ExecutionProviderStatus, GpuInfo } from '../devices/types.ts';
// Each later stage keeps its value types and methods in contracts/<area>.ts; they are part of this one contract.
export * from './contracts/runs.ts';
export * from './contracts/eval.ts';
export * from './contracts/pairs.ts';
export * from './contracts/pipeline.ts';
export * from './contracts/rm.ts';
export * from './contracts/rewardServer.ts';
export * from './contracts/neurons.ts';
export * from './contracts/gpuSetup.ts';

// ---------------------------------------------------------------------------------------------
// Shared value types
// ---------------------------------------------------------------------------------------------

export type ApiError = {
  /** Machine-readable code: 'invalid_input', 'not_found', 'no_workspace', 'conflict', 'internal', ... */
  code: string;
  message: string;
  /** Optional structured detail (e.g. zod issues, the duplicate dataset for a re-import). */
  details?: unknown;
};

export type Result<T> = { ok: true; value: T } | { ok: false; error: ApiError };

/** What a dataset build reports next to the dataset it wrote (main/data/build/stats.ts, stored in stats.json). */
export type DatasetBuildStats = {
  dataset: string;
  rows: number;
  builtAt: string;
  /** False when the dataset was replaced after this build, so the stats describe an earlier version. */
  current: boolean;
  /** Rows after each step: 'generated', then every filter step in recipe order. */
  funnel: { step: string; in: number; kept: number; dropped: number; seconds: number }[];
  teachers: { teacher: string; generated: number; kept: number; passRate: number; droppedBy: Record<string, number> }[];
  /** Kept responses by length in characters (equal-width bins). */
  lengthBins: { start: number; end: number; count: number }[];
  /** Kept responses by detected language; 'none' when there are no letters. */
  languageShare: Record<string, { count: number; share: number }>;
  usage: { teacher: string; responses: number; errors: number; promptTokens: number; completionTokens: number; withoutUsage: number; estimatedCost: number | null }[];
};

// ---------------------------------------------------------------------------------------------
// Reward playground (rewards.evaluate)
// ---------------------------------------------------------------------------------------------

// The playground's result types live with the rewards (main/rewards/playground-types.ts).
import type { RewardEvaluation } from '../rewards/playground-types.ts';
export type { RewardComponentName, RewardComponentResult, RewardEvaluation, StrippedSpanKind, TextSpan } from '../rewards/playground-types.ts';

/** Size limits of rewards.evaluate (the rewards themselves guard 1 MB responses; the UI needs far less). */
export const REWARD_LIMITS = { promptChars: 20_000, responseChars: 200_000, answerChars: 1_000, options: 10 } as const;

// ---------------------------------------------------------------------------------------------
// Method definitions
// ---------------------------------------------------------------------------------------------

const datasetName = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[\p{L}\p{N}_.-]+$/u, 'dataset names use letters, digits, "_", "-" and "." only');

/** Where import bytes come from: a local path (Electron, CLI) or an upload id (browser, serve mode). */
export const importSource = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('path'), path: z.string().min(1) }),
  z.object({ kind: z.literal('upload'), uploadId: z.string().min(1), fileName: z.string().min(1) }),
]);

export const contract = {
  /** `allowedPaths`: serve mode's folders (besides the open workspace) that calls may use; null when unrestricted. */
  'app.info': method<{ version: string; transport: 'electron' | 'http'; workspace: WorkspaceInfo | null; allowedPaths: string[] | null }>()(
    z.object({}),
  ),

  'workspace.open': method<WorkspaceInfo>()(
    z.object({ path: z.string().min(1), create: z.boolean().default(false) }),
  ),
  'workspace.current': method<WorkspaceInfo | null>()(z.object({})),

  'datasets.list': method<DatasetInfo[]>()(z.object({})),
  'datasets.get': method<DatasetInfo>()(z.object({ name: datasetName })),
  /**
   * Starts an import job and returns its id. When the file's content hash matches an earlier import
   * and `onDuplicate` is 'ask', fails with code 'duplicate' and details {dataset, fileName, importedAt}
   * so the UI can ask; 'import' imports anyway, 'skip' returns the earlier dataset without a job.
   */
  'datasets.import': method<{ jobId: string | null; dataset: string }>()(
    z.object({
      dataset: datasetName,
      source: importSource,
      format: z.enum(['jsonl', 'json', 'csv', 'parquet']).optional(),
      /** CSV text encoding (main/data/import/encoding.ts); auto when omitted. */
      encoding: z.enum(['auto', 'utf-8', 'cp949', 'utf-16le', 'utf-16be']).optional(),
      onDuplicate: z.enum(['ask', 'import', 'skip']).default('ask'),
    }),
  ),
  'datasets.rows': method<RowsPage>()(
    z.object({
      name: datasetName,
      offset: z.number().int().min(0).default(0),
      limit: z.number().int().min(1).max(1000).default(100),
      search: z.string().max(1000).optional(),
    }),
  ),
  'datasets.delete': method<{ deleted: boolean }>()(z.object({ name: datasetName })),
  /**
   * Exports to a path on the back end's machine; returns rows written. Format: from the path's extension
   * when unset. Parquet is chat format (`messages`: list<struct<role, content>>); JSONL is the stored rows,
   * or chat format with `chat: true`. Rows without `messages` are turned into chat turns from `columns`.
   */
  'datasets.export': method<{ path: string; rows: number; format: 'jsonl' | 'parquet'; chat: boolean }>()(
    z.object({
      name: datasetName,
      path: z.string().min(1),
      format: z.enum(['jsonl', 'parquet']).optional(),
      chat: z.boolean().optional(),
      columns: z.object({ prompt: z.string().min(1).optional(), response: z.string().min(1).optional(), system: z.string().min(1).optional() }).optional(),
    }),
  ),

  /** The stats of the build that wrote this dataset (funnel, per-teacher pass rates, lengths, languages); null when it was not built. */
  'datasets.buildStats': method<DatasetBuildStats | null>()(z.object({ name: datasetName })),

  'jobs.list': method<JobRecord[]>()(z.object({ limit: z.number().int().min(1).max(500).default(100) })),
  'jobs.get': method<JobRecord>()(z.object({ id: z.string().min(1) })),
  'jobs.cancel': method<{ cancelled: boolean }>()(z.object({ id: z.string().min(1) })),
  /** Moves a job waiting for its device to `position` in that device's line (1 = next). */
  'jobs.reorder': method<{ moved: boolean }>()(z.object({ id: z.string().min(1), position: z.number().int().min(1) }).strict()),
  /** Each device's running job and waiting line. */
  'jobs.queues': method<{ device: string; running: string | null; waiting: string[] }[]>()(z.object({}).strict()),
  /** Pauses or resumes a device's queue (#21): paused, the running job finishes and the next waits. Returns the paused devices. */
  'jobs.pauseQueue': method<{ paused: string[] }>()(z.object({ device: z.string().regex(/^(cpu|webgpu|cuda:\d+)$/), paused: z.boolean() }).strict()),
  /** Devices whose queue is paused. */
  'jobs.pausedQueues': method<{
    paused: string[];
    /** Devices lost during a job (#21; their queues are among `paused` until resumed): the job and its message. */
    lost: { device: string; jobId: string; message: string; at: string }[];
  }>()(z.object({}).strict()),
  'jobs.log': method<{ lines: string[] }>()(
    z.object({ id: z.string().min(1), tail: z.number().int().min(1).max(10000).default(200) }),
  ),

  /**
   * Scores one (prompt, response) with the rule-based rewards (accuracy, format, language consistency) and
   * returns everything the playground shows. Runs without a workspace; no model-backed component.
   */
  'rewards.evaluate': method<RewardEvaluation>()(
    z
      .object({
        prompt: z.string().max(REWARD_LIMITS.promptChars),
        response: z.string().max(REWARD_LIMITS.responseChars),
        gold: z.string().max(REWARD_LIMITS.answerChars).optional(),
        /** AMC choices, read as A, B, C, ... */
        options: z.array(z.string().max(REWARD_LIMITS.answerChars)).max(REWARD_LIMITS.options).optional(),
        /** Target language code ('ko', 'en', 'ja', 'zh', ...); default: detected from the prompt. */
        lang: z.string().regex(/^[a-z]{2,3}$/, 'a language code such as "ko"').optional(),
        /** Weights per component (0 turns one off) and whether the total is divided by the weights. */
        config: z
          .object({
            accuracy: z.number().finite().min(0).max(100).optional(),
            format: z.number().finite().min(0).max(100).optional(),
            language: z.number().finite().min(0).max(100).optional(),
            normalize: z.boolean().optional(),
          })
          .strict()
          .optional(),
      })
      .strict(),
  ),

  'devices.info': method<DevicesInfo>()(z.object({ refresh: z.boolean().default(false) })),
  /** Live GPU telemetry (about one sample a second, the last minute); sampling runs while someone polls. */
  'devices.telemetry': method<TelemetryView>()(z.object({}).strict()),
  /** What a run form's device picker offers and its default (first free GPU, else CPU) with why (#21). */
  'devices.choices': method<DeviceChoices>()(z.object({ refresh: z.boolean().default(false) }).strict()),

  ...runsMethods,
  ...evalMethods,
  ...pairsMethods,
  ...pipelineMethods,
  ...rmMethods,
  ...rewardServerMethods,
  ...neuronsMethods,
  ...gpuSetupMethods,
} as const;

export type Contract = typeof contract;
export type MethodName = keyof Contract;
export type MethodInput<M extends MethodName> = z.input<Contract[M]['input']>;
export type MethodParsedInput<M extends MethodName> = z.output<Contract[M]['input']>;
// Inferred from the MethodDef type argument (not `NonNullable<__output>`, which would drop a `| null` output).
export type MethodOutput<M extends MethodName> = Contract[M] extends MethodDef<z.ZodType, infer O> ? O : never;

// ---------------------------------------------------------------------------------------------
// Event streams (back end → UI). One typed map.
// ---------------------------------------------------------------------------------------------

type CoreEvents = {
  /** Any change to a job: status, progress. */
  'job.updated': JobRecord;
  /** A dataset was created, replaced or deleted. */
  'datasets.changed': { name: string };
  'workspace.changed': WorkspaceInfo | null;
};

export type Events = CoreEvents & RunsEvents & EvalEvents & PairsEvents & PipelineEvents & RmEvents;

export type EventName = keyof Events;
export type EventMessage = { [K in EventName]: { event: K; data: Events[K] } }[EventName];

// ---------------------------------------------------------------------------------------------
// The client interface both transports provide to the renderer.
// ---------------------------------------------------------------------------------------------

export interface ApiClient {
  call<M extends MethodName>(method: M, input: MethodInput<M>): Promise<Result<MethodOutput<M>>>;
  /** Subscribe to an event; returns an unsubscribe function. */
  on<E extends EventName>(event: E, listener: (data: Events[E]) => void): () => void;
  /**
   * Sends a file's bytes to the back end and returns an upload id for `datasets.import`. In Electron the
   * preload may instead resolve a local path; either way the result is an `importSource` value.
   */
  upload(file: File): Promise<Result<z.infer<typeof importSource>>>;
}

export { BRIDGE_NAME, IPC_CHANNEL } from './bridge.ts';
