// The generator of a GRPO run's rollouts and held-out evaluations: ONE DecodeLoop for the whole run (#30).
// The base weights come from the checkpoint's files (the session maps them, no second copy handed over
// from JS); the tensors the policy changes — LoRA A/B, or the trained weights of full / selective tuning —
// are session inputs, fed at every run and refreshed from the policy before each use. So an update costs
// reading the trainable tensors, not a new session (which re-reads and re-optimises every weight).
// The loop still makes a session per sampling setting, one at a time: held-out evaluation (greedy) between
// two sampled rollouts switches twice; runs without evaluation make exactly one.
import type { ProviderRequest } from '../../engine/runtime/providers.ts';
import type { SafeTensor } from '../../engine/safetensors.ts';
import type { ModelConfig } from '../../models/config.ts';
import { DecodeLoop } from '../../models/decode-loop.ts';
import { loraTensors } from '../../models/lora.ts';
import type { LoraAdapter } from '../../models/peft.ts';
import type { WeightFiles } from '../../models/weight-files.ts';
import type { Policy } from './policy.ts';

type Weights = ReadonlyMap<string, SafeTensor>;

export class PolicyGenerator {
  private loop: DecodeLoop | null = null;
  private fed: string[] = [];

  /**
   * `base`: the weights the policy was made from (what generatorWeights returns for untouched tensors);
   * `files`: the same weights on disk (null: bake them into the session from memory).
   */
  constructor(
    private readonly model: ModelConfig,
    private readonly base: Weights,
    private readonly files: WeightFiles | null,
    private readonly log?: (line: string) => void,
    /** The run's device (the update's provider): rollouts decode there too. */
    private readonly provider?: ProviderRequest,
  ) {}

  /** The run's DecodeLoop holding the policy's current weights. */
  async current(policy: Policy): Promise<DecodeLoop> {
    const { weights, adapter } = await policy.generatorWeights();
    if (!this.loop) {
      this.fed = adapter ? [...loraTensors(adapter.lora).keys(), ...adapter.extra.keys()] : [...weights].filter(([name, t]) => this.base.get(name) !== t).map(([name]) => name);
      this.loop = DecodeLoop.create(this.model, this.sessionWeights(weights, adapter), { adapter, weightFiles: this.files ?? undefined, liveWeights: this.fed, log: this.log, provider: this.provider });
    } else await this.loop.update(this.sessionWeights(weights, adapter), adapter);
    return this.loop;
  }

  /** With files, only the live tensors travel from JS (the adapter brings its own); without, every weight. */
  private sessionWeights(weights: Weights, adapter: LoraAdapter | undefined): Weights {
    if (!this.files) return weights;
    if (adapter) return new Map();
    return new Map(this.fed.map((name) => [name, weights.get(name)!]));
  }

  /** Sessions the loop made (tests: one per sampling setting, not one per step). */
  get sessionsMade(): number {
    return this.loop?.sessionsMade ?? 0;
  }

  async release(): Promise<void> {
    await this.loop?.release();
    this.loop = null;
  }
}
