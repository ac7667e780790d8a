// The "Collect pairs" form of the Pairs page: generators, scorers, re-centring and set rules with the
// recipe's defaults (main/pairs/recipe.ts), a live estimate of the work, and Save + run, which writes the
// RECIPE.yaml `saenggak pairs build` takes (pairs.saveRecipe) and starts a build job from that file.
import { api } from '../api/client.ts';
import type { ApiError, EvalModelInfo } from '../api/types.ts';
import { jobs } from './jobs.svelte.ts';

export type Construction = 'consensus' | 'best_vs_worst' | 'balanced';
export type SetRule = { name: string; construction: Construction; minMargin: number };
export type Calibration = 'all' | 'category' | 'model' | 'lang';

/** The schema's defaults for min_margin per construction (main/pairs/recipe.ts setSchema). */
export const DEFAULT_MARGIN: Record<Construction, number> = { consensus: 0, best_vs_worst: 0.5, balanced: 0.5 };

export type Estimate = { prompts: number; responses: number; perPrompt: number; scoreCalls: number; maxPairsPerSet: number; warning: 'onePerPrompt' | null };

/** What a build will do, before it runs: responses, scorer calls, and the most pairs each set can have. */
export function estimate(prompts: number, generators: number, samples: number, scorers: number): Estimate {
  const perPrompt = generators * samples;
  const responses = prompts * perPrompt;
  return { prompts, responses, perPrompt, scoreCalls: responses * scorers, maxPairsPerSet: perPrompt >= 2 ? prompts : 0, warning: perPrompt < 2 ? 'onePerPrompt' : null };
}

class CollectPairsStore {
  #models = $state<EvalModelInfo[]>([]);
  #error = $state<ApiError | null>(null);
  #saved = $state<{ path: string; yaml: string; command: string; jobId: string } | null>(null);
  #busy = $state(false);

  collection = $state('collected');
  promptsDataset = $state('');
  promptColumn = $state('prompt');
  limit = $state<number | null>(null);
  /** Model folder paths used as local generators, and their settings. */
  generators = $state<string[]>([]);
  maxNewTokens = $state(512);
  temperature = $state(0.7);
  samplesPerPrompt = $state(1);
  /** Model folder paths used as reward-model scorers. */
  scorers = $state<string[]>([]);
  calibration = $state<Calibration>('all');
  calibrationValues = $state('');
  bins = $state(20);
  sets = $state<SetRule[]>([{ name: 'collected-bvw', construction: 'best_vs_worst', minMargin: DEFAULT_MARGIN.best_vs_worst }]);

  get models(): EvalModelInfo[] {
    return this.#models.filter((m) => m.kind === 'model');
  }
  get error(): ApiError | null {
    return this.#error;
  }
  get saved() {
    return this.#saved;
  }
  get busy(): boolean {
    return this.#busy;
  }

  async refresh(): Promise<void> {
    const res = await api.call('eval.models', {});
    if (res.ok) this.#models = res.value;
    else this.#error = res.error;
  }

  toggle(list: 'generators' | 'scorers', path: string): void {
    this[list] = this[list].includes(path) ? this[list].filter((p) => p !== path) : [...this[list], path];
  }
  addSet(construction: Construction): void {
    this.sets = [...this.sets, { name: `${this.collection}-${construction.replace(/_/g, '-')}`, construction, minMargin: DEFAULT_MARGIN[construction] }];
  }
  removeSet(i: number): void {
    this.sets = this.sets.filter((_, j) => j !== i);
  }
  setConstruction(i: number, construction: Construction): void {
    this.sets = this.sets.map((s, j) => (j === i ? { ...s, construction, minMargin: DEFAULT_MARGIN[construction] } : s));
  }

  estimateFor(datasetRows: number | null): Estimate {
    const prompts = Math.min(datasetRows ?? 0, this.limit ?? Infinity);
    return estimate(prompts, this.generators.length, this.samplesPerPrompt, this.scorers.length);
  }

  /** The recipe object, keys as in RECIPE.yaml (snake_case). Names come from the folders' last segment. */
  recipe(): Record<string, unknown> {
    const short = (path: string) => path.split(/[/\\]/).filter(Boolean).slice(-2).join('-').replace(/[^\p{L}\p{N}_.-]/gu, '_');
    const values = this.calibrationValues.split(',').map((v) => v.trim()).filter(Boolean);
    return {
      collection: this.collection,
      prompts: { dataset: this.promptsDataset, columns: { prompt: this.promptColumn }, ...(this.limit ? { limit: this.limit } : {}) },
      generators: this.generators.map((path) => ({ type: 'local', name: short(path), model_dir: path, max_new_tokens: this.maxNewTokens, temperature: this.temperature })),
      samples_per_prompt: this.samplesPerPrompt,
      scorers: this.scorers.map((path) => ({ type: 'reward_model', name: short(path), model_dir: path })),
      recentre: { calibration: this.calibration === 'all' || values.length === 0 ? 'all' : { [this.calibration]: values }, bins: this.bins },
      sets: this.sets.map((s) => ({ name: s.name, construction: s.construction, min_margin: s.minMargin })),
    };
  }

  /** Writes the recipe file, then starts the build job from it. */
  async saveAndRun(): Promise<void> {
    if (this.#busy) return;
    this.#busy = true;
    try {
      const saved = await api.call('pairs.saveRecipe', { recipe: this.recipe() });
      if (!saved.ok) {
        this.#error = saved.error;
        return;
      }
      const started = await api.call('pairs.build', { recipePath: saved.value.path });
      if (!started.ok) {
        this.#error = started.error;
        return;
      }
      this.#error = null;
      this.#saved = { ...saved.value, jobId: started.value.jobId };
      if (!jobs.get(started.value.jobId)) await jobs.fetch(started.value.jobId);
    } finally {
      this.#busy = false;
    }
  }

  get job() {
    return this.#saved ? jobs.get(this.#saved.jobId) : null;
  }
}

export const collectPairs = new CollectPairsStore();
