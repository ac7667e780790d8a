// The Pairs page's state: who is labeling (asked once, kept in localStorage), which set and filter, the
// queue of pairs being labeled, each pair's randomised screen order (recorded with its label), the pace,
// and the set-building panel (sets, comparison, scorer distributions, agreement).
//
// A label counts as saved only when `pairs.label` has answered: the back end answers after fsync.
import { api } from '../api/client.ts';
import type {
  ApiError,
  PairAgreementReport,
  PairItem,
  PairLabel,
  PairLabelChoice,
  PairSetComparison,
  PairSetInfo,
  PairShownOrder,
  PairsDistributions,
} from '../api/types.ts';

export type PairsFilter = 'all' | 'unlabeled' | 'labeled' | 'disagreements';

const LABELER_KEY = 'saenggak.labeler';
const PAGE = 100;

/** A fair coin per pair, drawn once per session and remembered so going back shows the same sides. */
function randomOrder(): PairShownOrder {
  const bit = new Uint8Array(1);
  crypto.getRandomValues(bit);
  return bit[0] & 1 ? ['rejected', 'chosen'] : ['chosen', 'rejected'];
}

class PairsStore {
  #labeler = $state<string>(globalThis.localStorage?.getItem(LABELER_KEY) ?? '');
  #sets = $state<PairSetInfo[]>([]);
  #setsLoaded = $state(false);
  set = $state<string>('');
  filter = $state<PairsFilter>('unlabeled');
  category = $state<string>('');
  comment = $state('');

  #items = $state<PairItem[]>([]);
  /** Where #items starts in the filtered list (pages of PAGE pairs). */
  #offset = 0;
  #index = $state(0);
  #total = $state(0);
  #setTotal = $state(0);
  #labeled = $state(0);
  #categories = $state<string[]>([]);
  #orders = new Map<string, PairShownOrder>();
  #busy = $state(false);
  #error = $state<ApiError | null>(null);
  /** The last label the back end acknowledged (shown as "saved"). */
  #lastSaved = $state<PairLabel | null>(null);
  #sessionTimes = $state<number[]>([]);

  #distributions = $state<PairsDistributions | null>(null);
  #agreement = $state<PairAgreementReport | null>(null);
  #comparison = $state<PairSetComparison | null>(null);

  constructor() {
    api.on('workspace.changed', () => {
      this.clear();
      void this.refreshSets();
    });
    api.on('job.updated', (job) => {
      // A build writes sets; an import or a recipe run may add prompt/chosen/rejected data (labelable too).
      if ((job.kind === 'pairs' || job.kind === 'pipeline') && job.status === 'succeeded') void this.refreshSets();
    });
    api.on('datasets.changed', () => void this.refreshSets());
    api.onReconnect(() => void this.refreshSets());
  }

  get labeler(): string {
    return this.#labeler;
  }
  get sets(): PairSetInfo[] {
    return this.#sets;
  }
  get setsLoaded(): boolean {
    return this.#setsLoaded;
  }
  get current(): PairItem | null {
    return this.#items[this.#index] ?? null;
  }
  get currentOrder(): PairShownOrder | null {
    const item = this.current;
    return item ? this.orderOf(item) : null;
  }
  /** Index in the loaded page (for previous/next). */
  get position(): number {
    return this.#index;
  }
  /** 1-based number of the current pair in the whole filtered view. */
  get number(): number {
    return this.#offset + this.#index + 1;
  }
  get queueLength(): number {
    return this.#items.length;
  }
  get total(): number {
    return this.#total;
  }
  get setTotal(): number {
    return this.#setTotal;
  }
  get labeled(): number {
    return this.#labeled;
  }
  get categories(): string[] {
    return this.#categories;
  }
  get busy(): boolean {
    return this.#busy;
  }
  get error(): ApiError | null {
    return this.#error;
  }
  get lastSaved(): PairLabel | null {
    return this.#lastSaved;
  }
  get distributions(): PairsDistributions | null {
    return this.#distributions;
  }
  get agreement(): PairAgreementReport | null {
    return this.#agreement;
  }
  get comparison(): PairSetComparison | null {
    return this.#comparison;
  }
  /** Labels per minute over this session's labels (null before two). */
  get pace(): number | null {
    const times = this.#sessionTimes;
    if (times.length < 2) return null;
    const minutes = (times[times.length - 1] - times[0]) / 60_000;
    return minutes > 0 ? (times.length - 1) / minutes : null;
  }
  get sessionCount(): number {
    return this.#sessionTimes.length;
  }

  /**
   * The screen order of a pair: a labeled pair is shown as it was when labeled (its label records the
   * order), so "Your label: response 1" points at the side the labeler chose, also after a reload.
   */
  orderOf(item: Pick<PairItem, 'pairId' | 'label'>): PairShownOrder {
    if (item.label) return item.label.shownOrder;
    const pairId = item.pairId;
    let order = this.#orders.get(pairId);
    if (!order) {
      order = randomOrder();
      this.#orders.set(pairId, order);
    }
    return order;
  }

  setLabeler(name: string): void {
    const trimmed = name.trim();
    if (!trimmed) return;
    this.#labeler = trimmed;
    globalThis.localStorage?.setItem(LABELER_KEY, trimmed);
    void this.loadItems();
  }

  async refreshSets(): Promise<void> {
    const res = await api.call('pairs.sets', {});
    this.#setsLoaded = true;
    if (!res.ok) {
      this.#error = res.error;
      return;
    }
    this.#sets = res.value;
    if (!this.set || !res.value.some((s) => s.name === this.set)) this.set = res.value[0]?.name ?? '';
    if (this.set) await Promise.all([this.loadItems(), this.loadInsights()]);
  }

  /** Re-reads the sets (label counts) and the selected set's insights, leaving the labeling queue alone. */
  async refreshOverview(): Promise<void> {
    const res = await api.call('pairs.sets', {});
    if (res.ok) this.#sets = res.value;
    await this.loadInsights();
  }

  async chooseSet(name: string): Promise<void> {
    this.set = name;
    this.category = '';
    await Promise.all([this.loadItems(), this.loadInsights()]);
  }

  async setFilter(filter: PairsFilter, category = this.category): Promise<void> {
    this.filter = filter;
    this.category = category;
    await this.loadItems();
  }

  async loadItems(offset = 0): Promise<void> {
    if (!this.set || !this.#labeler) return;
    const res = await api.call('pairs.items', {
      set: this.set,
      labeler: this.#labeler,
      filter: this.filter,
      ...(this.category ? { category: this.category } : {}),
      offset,
      limit: PAGE,
    });
    if (!res.ok) {
      this.#error = res.error;
      return;
    }
    this.#error = null;
    this.#items = res.value.items;
    this.#offset = offset;
    this.#index = 0;
    this.#total = res.value.total;
    this.#setTotal = res.value.setTotal;
    this.#labeled = res.value.labeled;
    this.#categories = res.value.categories;
    this.comment = this.current?.label?.comment ?? '';
  }

  async loadInsights(): Promise<void> {
    const info = this.#sets.find((s) => s.name === this.set);
    if (!info) return;
    const [distributions, agreement] = await Promise.all([api.call('pairs.distributions', { collection: info.collection }), api.call('pairs.agreement', { set: info.name })]);
    this.#distributions = distributions.ok ? distributions.value : null;
    this.#agreement = agreement.ok ? agreement.value : null;
  }

  async compare(a: string, b: string): Promise<void> {
    const res = await api.call('pairs.compare', { a, b });
    if (res.ok) this.#comparison = res.value;
    else this.#error = res.error;
  }

  async build(recipePath: string): Promise<string | null> {
    const res = await api.call('pairs.build', { recipePath });
    if (!res.ok) {
      this.#error = res.error;
      return null;
    }
    this.#error = null;
    return res.value.jobId;
  }

  /** Labels the current pair (by screen position) and moves on once the back end has saved it. */
  async label(choice: PairLabelChoice): Promise<void> {
    const item = this.current;
    if (!item || this.#busy) return;
    const shownOrder = this.orderOf(item);
    this.#busy = true;
    const res = await api.call('pairs.label', { set: this.set, pairId: item.pairId, labeler: this.#labeler, choice, shownOrder, comment: this.comment.trim() });
    this.#busy = false;
    if (!res.ok) {
      this.#error = res.error;
      return;
    }
    this.#error = null;
    if (!item.label) this.#labeled++;
    this.#items[this.#index] = { ...item, label: res.value };
    this.#lastSaved = res.value;
    this.#sessionTimes = [...this.#sessionTimes, Date.now()];
    this.#advance(1);
  }

  /** Takes back this labeler's last label and shows that pair again. */
  async undo(): Promise<void> {
    if (this.#busy) return;
    this.#busy = true;
    const res = await api.call('pairs.undo', { set: this.set, labeler: this.#labeler });
    this.#busy = false;
    if (!res.ok) {
      this.#error = res.error;
      return;
    }
    const undone = res.value.undone;
    if (!undone) return;
    this.#lastSaved = null;
    this.#sessionTimes = this.#sessionTimes.slice(0, -1);
    const at = this.#items.findIndex((i) => i.pairId === undone.pairId);
    if (at >= 0) {
      // The pair's label is now whatever was live before it: none, unless it had been relabeled.
      if (this.#items[at].label?.id === undone.undoOf) {
        this.#items[at] = { ...this.#items[at], label: null };
        this.#labeled = Math.max(0, this.#labeled - 1);
      }
      this.#index = at;
      this.comment = '';
    } else {
      await this.loadItems();
    }
  }

  go(step: number): void {
    this.#advance(step);
  }

  #advance(step: number): void {
    this.#index = Math.max(0, Math.min(this.#items.length, this.#index + step));
    this.comment = this.current?.label?.comment ?? '';
    // Past the last pair of this page while the view has more: fetch the next page. Under 'unlabeled' the
    // pairs just labeled drop out of the view, so the next unlabeled ones start at 0 again.
    if (this.#index === this.#items.length && this.#offset + this.#items.length < this.#total) {
      void this.loadItems(this.filter === 'unlabeled' ? 0 : this.#offset + this.#items.length);
    }
  }

  clear(): void {
    this.#sets = [];
    this.#setsLoaded = false;
    this.set = '';
    this.#items = [];
    this.#index = 0;
    this.#orders.clear();
    this.#lastSaved = null;
    this.#distributions = null;
    this.#agreement = null;
    this.#comparison = null;
  }
}

export const pairs = new PairsStore();
