// What an SFT run takes and gives back: its options (workspace, stop signal, progress), summary and result.

export interface SftProgress {
  /** Optimizer steps done and planned. */
  step: number;
  totalSteps: number;
  loss: number;
  learningRate: number;
  tokensPerSecond: number;
}

export interface RunSftOptions {
  /** Workspace folder: runs go to <workspace>/runs/<name>/. Overrides config.workspace. */
  workspace?: string;
  /** Abort → the trainer finishes the current step, saves a checkpoint and ends with status 'stopped'. */
  signal?: AbortSignal;
  log?: (line: string) => void;
  onProgress?: (progress: SftProgress) => void;
  /**
   * Continue the run named config.name from its latest checkpoint (its saved config must match).
   * Without it, an existing run of that name is an error.
   */
  resume?: boolean;
}

export interface SftSummary {
  status: 'finished' | 'stopped';
  steps: number;
  totalSteps: number;
  /** Mean training loss (per target token) of the last optimizer step. */
  loss: number;
  /** Last held-out loss (per target token); null without an eval split. */
  evalLoss: number | null;
  tokensPerSecond: number;
  /** Share of non-padding tokens in the training batches. */
  packingEfficiency: number;
  examples: { train: number; eval: number; dropped: number; cut: number };
}

export interface SftResult {
  /** Run name. */
  run: string;
  /** runs/<name>/ */
  runDir: string;
  /** runs/<name>/output/: the HF checkpoint or PEFT adapter, with the run config (empty string when stopped). */
  output: string;
  summary: SftSummary;
}

/** Trains one SFT run end to end (or resumes it) and returns where its output is. */
