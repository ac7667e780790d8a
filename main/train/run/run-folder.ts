// A training run on disk. Every trainer (SFT, reward model, GRPO) writes the same layout, so the UI,
// the CLI and the pipeline read any run the same way:
//
//   runs/<name>/run.json        RunInfo: kind, status, step/totalSteps, output, error (replaced atomically)
//   runs/<name>/config.yaml     the full, resolved config; `saenggak train <kind> --config` reproduces the run
//   runs/<name>/metrics.jsonl   MetricsLog points (train / eval / trainer-specific splits)
//   runs/<name>/checkpoints/    engine checkpoints (engine/checkpoint.ts: params, optimizer, RNG, data cursor)
//   runs/<name>/output/         the final Hugging Face checkpoint or PEFT adapter, plus run config
//   runs/<name>/samples/        trainer-specific artifacts (GRPO rollouts per step, ...)
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { writeFileAtomic } from '../../store/durable.ts';
import { workspacePaths } from '../../store/workspace.ts';
import { MetricsLog, readMetrics, type MetricsPage } from './metrics-log.ts';
import { tensorboardEnabled } from './tensorboard.ts';
import type { RunKindName, RunState } from './types.ts';

export const RUN_FORMAT = 'saenggak-run/1';

/** The run kinds and statuses the app contract shows (train/run/types.ts), under the names run folders use. */
export type RunKind = RunKindName;
export type RunStatus = RunState;

export interface RunInfo {
  format: typeof RUN_FORMAT;
  name: string;
  kind: RunKind;
  status: RunStatus;
  createdAt: string;
  updatedAt: string;
  /** Optimizer steps done and planned. */
  step: number;
  totalSteps: number | null;
  /** Job running the run, when started from the app. */
  jobId?: string;
  /** Folder of the final model or adapter, once written. */
  output?: string;
  /** Why the run failed or diverged. */
  error?: string;
  /** Final numbers worth a table column (final loss, eval loss, accuracy, ...). */
  summary?: Record<string, number>;
  /** Model the run starts from and data it reads, for lists and provenance. */
  baseModel?: string;
  data?: string;
  /** What the trainer did on its own to keep going (an out-of-memory retry with a halved micro-batch, #21), in order. */
  recoveries?: string[];
}

const RUN_NAME = /^[\p{L}\p{N}_.-]{1,128}$/u;

export function validateRunName(name: string): string {
  if (!RUN_NAME.test(name) || name === '.' || name === '..') throw new Error(`run name "${name}": use 1–128 letters, digits, "_", "-" and "."`);
  return name;
}

export class RunFolder {
  readonly dir: string;
  readonly configPath: string;
  readonly metricsPath: string;
  readonly checkpointsDir: string;
  readonly outputDir: string;
  readonly samplesDir: string;
  private readonly infoPath: string;

  constructor(dir: string) {
    this.dir = dir;
    this.infoPath = join(dir, 'run.json');
    this.configPath = join(dir, 'config.yaml');
    this.metricsPath = join(dir, 'metrics.jsonl');
    this.checkpointsDir = join(dir, 'checkpoints');
    this.outputDir = join(dir, 'output');
    this.samplesDir = join(dir, 'samples');
  }

  /** runs/<name>/ of a workspace. */
  static inWorkspace(workspaceRoot: string, name: string): RunFolder {
    return new RunFolder(join(workspacePaths(workspaceRoot).runs, validateRunName(name)));
  }

  exists(): boolean {
    return existsSync(this.infoPath);
  }

  /**
   * Creates the run (or, when it exists with the same kind, leaves it for a resume). Writes the config
   * and the initial run.json durably.
   */
  async create(init: { name: string; kind: RunKind; config: unknown; totalSteps?: number | null; baseModel?: string; data?: string }): Promise<RunInfo> {
    if (this.exists()) {
      const info = this.info();
      if (info.kind !== init.kind) throw new Error(`run "${init.name}" already exists as a ${info.kind} run`);
      return info;
    }
    mkdirSync(this.dir, { recursive: true });
    await writeFileAtomic(this.configPath, stringify(init.config));
    const now = new Date().toISOString();
    const info: RunInfo = {
      format: RUN_FORMAT,
      name: init.name,
      kind: init.kind,
      status: 'created',
      createdAt: now,
      updatedAt: now,
      step: 0,
      totalSteps: init.totalSteps ?? null,
      ...(init.baseModel ? { baseModel: init.baseModel } : {}),
      ...(init.data ? { data: init.data } : {}),
    };
    await writeFileAtomic(this.infoPath, JSON.stringify(info, null, 2) + '\n');
    return info;
  }

  /** Replaces config.yaml (a run that changed its micro-batch shape after an out-of-memory keeps resumable). */
  async rewriteConfig(config: unknown): Promise<void> {
    await writeFileAtomic(this.configPath, stringify(config));
  }

  info(): RunInfo {
    if (!this.exists()) throw new Error(`${this.dir}: not a run folder (no run.json)`);
    return JSON.parse(readFileSync(this.infoPath, 'utf8')) as RunInfo;
  }

  /** The saved config as YAML text. */
  configText(): string {
    return readFileSync(this.configPath, 'utf8');
  }

  /** Merges `patch` into run.json (atomically) and returns the new info. */
  async update(patch: Partial<Omit<RunInfo, 'format' | 'name' | 'kind' | 'createdAt'>>): Promise<RunInfo> {
    const info: RunInfo = { ...this.info(), ...patch, updatedAt: new Date().toISOString() };
    await writeFileAtomic(this.infoPath, JSON.stringify(info, null, 2) + '\n');
    return info;
  }

  /** Metrics, mirrored to runs/<name>/tb/ for TensorBoard unless `tensorboard: false` or SAENGGAK_TENSORBOARD=0. */
  openMetrics(options: { resumeAfterStep?: number; tensorboard?: boolean } = {}): MetricsLog {
    const tb = options.tensorboard ?? tensorboardEnabled();
    return MetricsLog.open(this.metricsPath, { resumeAfterStep: options.resumeAfterStep, tensorboardDir: tb ? join(this.dir, 'tb') : undefined });
  }

  readMetrics(from = 0): MetricsPage {
    return readMetrics(this.metricsPath, from);
  }
}

/** Every run of a workspace, newest first. Folders without a readable run.json are skipped. */
export function listRuns(workspaceRoot: string): RunInfo[] {
  const root = workspacePaths(workspaceRoot).runs;
  if (!existsSync(root)) return [];
  const runs: RunInfo[] = [];
  for (const entry of readdirSync(root, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    try {
      runs.push(new RunFolder(join(root, entry.name)).info());
    } catch {
      // a run being created (no run.json yet) or a stray folder
    }
  }
  return runs.sort((a, b) => b.createdAt.localeCompare(a.createdAt));
}

/** `base`, or `base-2`, `base-3`, ... whichever does not exist yet. */
export function freeRunName(workspaceRoot: string, base: string): string {
  validateRunName(base);
  for (let i = 1; ; i++) {
    const name = i === 1 ? base : `${base}-${i}`;
    if (!RunFolder.inWorkspace(workspaceRoot, name).exists()) return name;
  }
}
