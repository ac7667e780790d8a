// The GRPO run's prompt selector: the ordinary shuffled stream (the trainer's data cursor), or, when the
// config turns one on, Variance-Aware Sampling or the Self-Evolving Curriculum (prompt-sampling.ts).
// With neither on it only forwards the stream and never draws a random number, so such runs sample exactly
// as before these options existed.
import { Rng, type RngState } from '../../engine/index.ts';
import type { GrpoConfig } from './config.ts';
import type { GrpoPrompt } from './prompts.ts';
import { categoryRewards, CurriculumBandit, passRateBucket, VarianceAwareSampler, type CurriculumState, type VasPromptState } from './prompt-sampling.ts';

/** Checkpointed with the data cursor. */
export interface SelectorState {
  rng: RngState;
  vas?: Record<string, VasPromptState>;
  curriculum?: CurriculumState;
  /** Last pass rate per prompt id (the curriculum's pass-rate buckets). */
  passRates?: Record<string, number>;
}

export class PromptSelector {
  private readonly rng: Rng;
  private readonly vas: VarianceAwareSampler | null;
  private readonly bandit: CurriculumBandit | null;
  private readonly passRates: Map<string, number>;
  /** Category of each prompt picked in the current step (pass-rate buckets move between steps). */
  private readonly pickedCategory = new Map<string, string>();
  private readonly ids: string[];
  private readonly byId: Map<string, GrpoPrompt>;

  constructor(
    private readonly prompts: readonly GrpoPrompt[],
    private readonly config: Pick<GrpoConfig, 'seed' | 'varianceAwareSampling' | 'curriculum'>,
    private readonly nextFromStream: () => GrpoPrompt,
    state?: SelectorState,
  ) {
    // Its own stream, apart from the rollouts' Rng: turning a sampler on does not shift the rollout seeds.
    this.rng = new Rng(state?.rng ?? config.seed * 104729 + 17);
    this.ids = prompts.map((p) => p.id);
    this.byId = new Map(prompts.map((p) => [p.id, p]));
    this.passRates = new Map(Object.entries(state?.passRates ?? {}));
    const v = config.varianceAwareSampling;
    this.vas = v.enabled ? new VarianceAwareSampler({ ratio: v.ratio, outcomeWeight: v.outcomeWeight, diversityWeight: v.diversityWeight }, state?.vas) : null;
    const c = config.curriculum;
    if (c.enabled) {
      const arms =
        c.by === 'column'
          ? [...new Set(prompts.map((p) => p.category!))].sort()
          : ['unseen', ...Array.from({ length: c.buckets }, (_, i) => `b${i}`)];
      this.bandit = new CurriculumBandit(arms, { learningRate: c.learningRate, temperature: c.temperature }, state?.curriculum);
    } else this.bandit = null;
  }

  /** The category a prompt belongs to now (curriculum runs). */
  categoryOf(p: GrpoPrompt): string {
    const c = this.config.curriculum;
    if (c.by === 'column') return p.category!;
    return passRateBucket(this.passRates.get(p.id) ?? null, c.buckets);
  }

  /** Clears the per-step bookkeeping; call at the start of each step's rollouts. */
  beginStep(): void {
    this.pickedCategory.clear();
  }

  /** One prompt for the batch, not among `exclude` where the sampler can avoid it. */
  pick(exclude: ReadonlySet<string>): GrpoPrompt {
    if (this.vas && this.vas.drawsByScore(this.rng)) {
      const id = this.vas.draw(this.ids, exclude, this.rng);
      if (id !== null) return this.byId.get(id)!;
    }
    if (this.bandit) {
      const members = new Map<string, GrpoPrompt[]>();
      for (const p of this.prompts) {
        if (exclude.has(p.id)) continue;
        const cat = this.categoryOf(p);
        const list = members.get(cat);
        if (list) list.push(p);
        else members.set(cat, [p]);
      }
      const available = this.bandit.arms.filter((a) => members.has(a));
      if (available.length > 0) {
        const arm = this.bandit.pick(this.rng, available);
        const list = members.get(arm)!;
        const p = list[this.rng.int(list.length)];
        this.pickedCategory.set(p.id, arm);
        return p;
      }
    }
    return this.nextFromStream();
  }

  /** After scoring a group: its pass rate and responses (VPS, pass-rate buckets). */
  observe(promptId: string, passRate: number, responses: readonly (readonly number[])[]): void {
    this.vas?.observe(promptId, passRate, responses);
    if (this.bandit) this.passRates.set(promptId, passRate);
  }

  /** After the advantages: the curriculum's TD(0) update from each sampled category's mean |advantage|. */
  learn(groups: readonly { promptId: string; advantages: ArrayLike<number> }[]): void {
    if (!this.bandit) return;
    const tagged = groups.map((g) => ({ category: this.pickedCategory.get(g.promptId) ?? this.categoryOf(this.byId.get(g.promptId)!), advantages: g.advantages }));
    this.bandit.update(categoryRewards(tagged));
  }

  /** Per-prompt VPS (VAS runs) for the samples file and prompt table; null otherwise. */
  score(promptId: string): number | null {
    return this.vas ? this.vas.score(promptId) : null;
  }

  /** Q value and picks per category (curriculum runs), for the metrics log. */
  curriculumValues(): CurriculumState | null {
    return this.bandit ? this.bandit.state() : null;
  }

  state(): SelectorState {
    return {
      rng: this.rng.getState(),
      ...(this.vas ? { vas: this.vas.state() } : {}),
      ...(this.bandit ? { curriculum: this.bandit.state(), passRates: Object.fromEntries(this.passRates) } : {}),
    };
  }
}
