// The Reward Model page's state: the training form, the runs and the selected run's metrics (polled by
// byte offset while it trains), stored evaluations, the comparison table, the score histogram and the
// reward model GRPO uses. Only this store calls the rm.* methods.
import { api } from '../api/client.ts';
import type { ApiError, MethodInput, MethodOutput, RmMetricRecord as MetricRecord, RmRunInfo as RunInfo } from '../api/types.ts';
import { jobs } from './jobs.svelte.ts';
import { deviceChoices } from './device-choices.svelte.ts';

const POLL_MS = 1000;

type Options = MethodOutput<'rm.options'>;
type Evaluation = MethodOutput<'rm.evaluations'>[number];
type Compare = MethodOutput<'rm.compare'>;
type Scores = MethodOutput<'rm.scores'>;

/** Defaults of the form (the back end validates the same fields). */
export const trainDefaults = {
  method: 'full' as 'full' | 'lora',
  loraRank: 16,
  epochs: 1,
  learningRate: 1e-5,
  pairsPerBatch: 8,
  maxLength: 1024,
  centeringCoefficient: 0,
  heldOutShare: 0.1,
};

class RewardModelStore {
  // Form
  model = $state('');
  data = $state('');
  name = $state('');
  method = $state(trainDefaults.method);
  loraRank = $state(trainDefaults.loraRank);
  epochs = $state(trainDefaults.epochs);
  learningRate = $state(trainDefaults.learningRate);
  pairsPerBatch = $state(trainDefaults.pairsPerBatch);
  maxLength = $state(trainDefaults.maxLength);
  centeringCoefficient = $state(trainDefaults.centeringCoefficient);
  heldOutShare = $state(trainDefaults.heldOutShare);
  /** '' = the default device (first free GPU, else CPU), #21. */
  device = $state('');
  // Evaluation form
  evalModels = $state<string[]>([]);
  evalData = $state('');

  #options = $state<Options | null>(null);
  #runs = $state<RunInfo[]>([]);
  #run = $state<string | null>(null);
  #metrics = $state<MetricRecord[]>([]);
  #next = 0;
  #evaluations = $state<Evaluation[]>([]);
  #compare = $state<Compare | null>(null);
  #scores = $state<Scores | null>(null);
  #scoresFor = $state<string | null>(null);
  #error = $state<ApiError | null>(null);
  #busy = $state(false);
  #timer: ReturnType<typeof setInterval> | null = null;
  #unsubscribe: (() => void) | null = null;

  get options(): Options | null {
    return this.#options;
  }
  get runs(): RunInfo[] {
    return this.#runs;
  }
  get run(): RunInfo | null {
    return this.#runs.find((r) => r.name === this.#run) ?? null;
  }
  get metrics(): MetricRecord[] {
    return this.#metrics;
  }
  get evaluations(): Evaluation[] {
    return this.#evaluations;
  }
  get compare(): Compare | null {
    return this.#compare;
  }
  get scores(): Scores | null {
    return this.#scores;
  }
  get scoresFor(): string | null {
    return this.#scoresFor;
  }
  get error(): ApiError | null {
    return this.#error;
  }
  get busy(): boolean {
    return this.#busy;
  }
  get selected() {
    return this.#options?.selected ?? null;
  }
  get baseModels() {
    return this.#options?.models ?? [];
  }
  get rewardModels() {
    return (this.#options?.models ?? []).filter((m) => m.kind === 'reward-model');
  }

  /** Starts the page's live view: refresh everything, poll the selected run, follow rm jobs. */
  open(): void {
    void this.refresh();
    this.#timer ??= setInterval(() => void this.poll(), POLL_MS);
    this.#unsubscribe ??= jobs.subscribe((job) => {
      if (job.kind === 'rm' && (job.status === 'succeeded' || job.status === 'failed' || job.status === 'cancelled')) {
        if (job.status === 'failed' && job.error) this.#error = { code: 'job_failed', message: job.error };
        void this.refresh();
      }
    });
  }

  close(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    this.#unsubscribe?.();
    this.#unsubscribe = null;
  }

  clear(): void {
    this.#options = null;
    this.#runs = [];
    this.#run = null;
    this.#metrics = [];
    this.#next = 0;
    this.#evaluations = [];
    this.#compare = null;
    this.#scores = null;
    this.#scoresFor = null;
    this.#error = null;
  }

  async refresh(): Promise<void> {
    const [options, runs, evaluations, compare] = await Promise.all([
      api.call('rm.options', {}),
      api.call('rm.runs', {}),
      api.call('rm.evaluations', {}),
      api.call('rm.compare', {}),
    ]);
    for (const res of [options, runs, evaluations, compare]) if (!res.ok) this.#error = res.error;
    if (options.ok) {
      this.#options = options.value;
      if (!this.model && options.value.models.length) this.model = options.value.models[0].path;
      if (!this.data && options.value.preferenceSets.length) this.data = options.value.preferenceSets[0].name;
      if (!this.evalData && options.value.preferenceSets.length) this.evalData = (options.value.preferenceSets.find((s) => s.hasSubset) ?? options.value.preferenceSets[0]).name;
    }
    if (runs.ok) {
      this.#runs = runs.value;
      if (!this.#run && runs.value.length) this.selectRun(runs.value[0].name);
      // A run that just ended has its final held-out scores: show them unless an evaluation is shown.
      else if (this.#run && (this.#scoresFor === this.#run || !this.#scores)) void this.loadScores({ run: this.#run });
    }
    if (evaluations.ok) this.#evaluations = evaluations.value;
    if (compare.ok) this.#compare = compare.value;
  }

  selectRun(name: string): void {
    if (this.#run === name) return;
    this.#run = name;
    this.#metrics = [];
    this.#next = 0;
    void this.poll();
    void this.loadScores({ run: name });
  }

  /** Reads new metric points of the selected run; refreshes the run list while it trains. */
  async poll(): Promise<void> {
    const run = this.#run;
    if (!run) return;
    const res = await api.call('rm.metrics', { run, from: this.#next });
    if (run !== this.#run || !res.ok) return;
    if (res.value.records.length) this.#metrics = [...this.#metrics, ...res.value.records];
    this.#next = res.value.next;
    const info = this.run;
    if (!info || info.status === 'running' || info.status === 'created') {
      const runs = await api.call('rm.runs', {});
      if (runs.ok) {
        const before = info?.status;
        this.#runs = runs.value;
        const after = this.run?.status;
        if (before !== after && after !== 'running') void this.loadScores({ run });
        if (res.value.records.some((r) => r.split === 'eval')) void this.loadScores({ run });
      }
    }
  }

  async train(): Promise<boolean> {
    const input: MethodInput<'rm.train'> = {
      model: this.model,
      data: this.data,
      ...(this.name.trim() ? { name: this.name.trim() } : {}),
      method: this.method,
      loraRank: this.loraRank,
      epochs: this.epochs,
      learningRate: this.learningRate,
      pairsPerBatch: this.pairsPerBatch,
      maxLength: this.maxLength,
      centeringCoefficient: this.centeringCoefficient,
      heldOutShare: this.heldOutShare,
      ...(deviceChoices.forJob(this.device) ? { device: deviceChoices.forJob(this.device) } : {}),
    };
    this.#busy = true;
    const res = await api.call('rm.train', input);
    this.#busy = false;
    if (!res.ok) {
      this.#error = res.error;
      return false;
    }
    this.#error = null;
    this.name = '';
    this.#run = null;
    const runs = await api.call('rm.runs', {});
    if (runs.ok) this.#runs = runs.value;
    this.selectRun(res.value.run);
    return true;
  }

  async evaluate(): Promise<boolean> {
    if (this.evalModels.length === 0 || !this.evalData) return false;
    const res = await api.call('rm.evaluate', { models: [...this.evalModels], data: this.evalData });
    if (!res.ok) {
      this.#error = res.error;
      return false;
    }
    this.#error = null;
    return true;
  }

  async loadScores(which: { run?: string; evaluation?: string }): Promise<void> {
    const res = await api.call('rm.scores', which);
    if (res.ok) {
      this.#scores = res.value;
      this.#scoresFor = which.evaluation ?? which.run ?? null;
    }
  }

  async select(model: string): Promise<void> {
    const res = await api.call('rm.select', { model });
    if (!res.ok) {
      this.#error = res.error;
      return;
    }
    if (this.#options) this.#options = { ...this.#options, selected: res.value };
  }

  dismissError(): void {
    this.#error = null;
  }
}

export const rewardModel = new RewardModelStore();
