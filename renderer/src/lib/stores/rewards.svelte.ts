// The Reward playground's state: the form (prompt, response, gold answer, AMC options, target language,
// weights), the last evaluation and its errors. Evaluations are numbered so a slow answer to an older
// request never replaces a newer one (live update sends one per pause in typing).
import { api } from '../api/client.ts';
import type { ApiError, MethodInput, RewardComponentName, RewardEvaluation } from '../api/types.ts';
import type { RewardExample } from '../rewards/examples.ts';

export const targetLanguages = ['auto', 'ko', 'en', 'ja', 'zh'] as const;
export type TargetLanguage = (typeof targetLanguages)[number];

/** Pause in typing before a live evaluation. */
const LIVE_DELAY_MS = 400;

/** "12; 24; 36" or one option per line → the list sent as AMC choices (blank entries dropped). */
export function parseOptions(text: string): string[] {
  return text
    .split(/[\n;]/)
    .map((o) => o.trim())
    .filter((o) => o.length > 0);
}

class RewardsStore {
  prompt = $state('');
  response = $state('');
  gold = $state('');
  options = $state('');
  lang = $state<TargetLanguage>('auto');
  /** Weight overrides per component; absent means the back end's default. */
  weights = $state<Partial<Record<RewardComponentName, number>>>({});
  live = $state(true);

  #result = $state<RewardEvaluation | null>(null);
  /** The response text the result belongs to (offsets refer to it, not to what is in the editor now). */
  #scoredResponse = $state('');
  #busy = $state(false);
  #error = $state<ApiError | null>(null);
  #sequence = 0;
  #timer: ReturnType<typeof setTimeout> | null = null;

  get result(): RewardEvaluation | null {
    return this.#result;
  }
  get scoredResponse(): string {
    return this.#scoredResponse;
  }
  get busy(): boolean {
    return this.#busy;
  }
  get error(): ApiError | null {
    return this.#error;
  }

  load(example: RewardExample): void {
    this.prompt = example.prompt;
    this.response = example.response;
    this.gold = example.gold;
    this.options = example.options.join('; ');
    this.changed();
  }

  setWeight(name: RewardComponentName, weight: number): void {
    if (!Number.isFinite(weight) || weight < 0) return;
    this.weights = { ...this.weights, [name]: weight };
    this.changed();
  }

  /** Called after every edit: schedules a live evaluation when live update is on. */
  changed(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    if (!this.live || this.response.trim() === '') return;
    this.#timer = setTimeout(() => void this.evaluate(), LIVE_DELAY_MS);
  }

  async evaluate(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    const sequence = ++this.#sequence;
    const response = this.response;
    const options = parseOptions(this.options);
    const input: MethodInput<'rewards.evaluate'> = {
      prompt: this.prompt,
      response,
      ...(this.gold.trim() ? { gold: this.gold.trim() } : {}),
      ...(options.length ? { options } : {}),
      ...(this.lang !== 'auto' ? { lang: this.lang } : {}),
      ...(Object.keys(this.weights).length ? { config: { ...this.weights } } : {}),
    };
    this.#busy = true;
    const res = await api.call('rewards.evaluate', input);
    if (sequence !== this.#sequence) return;
    this.#busy = false;
    if (res.ok) {
      this.#result = res.value;
      this.#scoredResponse = response;
      this.#error = null;
    } else {
      this.#error = res.error;
    }
  }
}

export const rewards = new RewardsStore();
