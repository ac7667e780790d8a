// Rows of the shown dataset for the virtualized table: fetched in fixed-size pages by offset, only for
// the part of the table on screen, and cached (past a budget, the pages farthest from the window are dropped).
//
// Fast scrolling asks for many windows in a row. Requests are therefore not issued per scroll event:
// the table reports the window it shows, and at most MAX_IN_FLIGHT page requests run, each time taking
// a page the *current* window still needs. Pages the user scrolled past are never fetched.
import { api } from '../api/client.ts';
import type { ApiError, Row } from '../api/types.ts';

export const PAGE_SIZE = 200;
const MAX_CACHED_PAGES = 60;
const MAX_IN_FLIGHT = 2;

type Query = { dataset: string; search: string };

class RowsStore {
  #query = $state<Query | null>(null);
  #total = $state<number | null>(null);
  #error = $state<ApiError | null>(null);
  /** Bumped whenever a page arrives, so rowAt() readers re-render. The cache itself is not reactive. */
  #version = $state(0);
  #pages = new Map<number, Row[]>();
  #inFlight = new Set<number>();
  #wanted: { first: number; last: number } = { first: 0, last: PAGE_SIZE - 1 };
  /** Answers to an older query are dropped. */
  #generation = 0;

  get dataset(): string | null {
    return this.#query?.dataset ?? null;
  }
  get search(): string {
    return this.#query?.search ?? '';
  }
  /** Rows matching the query; null until the first page has arrived. */
  get total(): number | null {
    return this.#total;
  }
  get error(): ApiError | null {
    return this.#error;
  }
  /** Requests in progress (for tests and a subtle loading hint). */
  get pending(): number {
    this.#version;
    return this.#inFlight.size;
  }

  /** Shows a dataset (and optional search text); keeps the cache when nothing changed. */
  show(dataset: string, search = ''): void {
    const q = this.#query;
    if (q && q.dataset === dataset && q.search === search) return;
    this.#reset({ dataset, search });
  }

  /** Forgets cached rows (after a re-import or delete) and reloads the window on screen. */
  reload(): void {
    if (this.#query) this.#reset({ ...this.#query }, true);
  }

  clear(): void {
    this.#reset(null);
  }

  /** The row at an index, or undefined while its page is loading. */
  rowAt(index: number): Row | undefined {
    this.#version;
    const page = this.#pages.get(Math.floor(index / PAGE_SIZE));
    return page?.[index % PAGE_SIZE];
  }

  /** The table reports which rows it shows (inclusive); missing pages are fetched. */
  want(first: number, last: number): void {
    this.#wanted = { first: Math.max(0, first), last: Math.max(first, last) };
    this.#pump();
  }

  #reset(query: Query | null, keepTotal = false): void {
    this.#generation++;
    this.#query = query;
    if (!keepTotal) this.#total = null;
    this.#error = null;
    this.#pages.clear();
    this.#inFlight.clear();
    this.#wanted = { first: 0, last: PAGE_SIZE - 1 };
    this.#version++;
    if (query) this.#pump();
  }

  #missingPages(): number[] {
    const { first, last } = this.#wanted;
    const lastRow = this.#total === null ? last : Math.min(last, this.#total - 1);
    const out: number[] = [];
    if (lastRow < first) return this.#total === null ? [0] : out;
    for (let p = Math.floor(first / PAGE_SIZE); p <= Math.floor(lastRow / PAGE_SIZE); p++) {
      if (!this.#pages.has(p) && !this.#inFlight.has(p)) out.push(p);
    }
    return out;
  }

  #pump(): void {
    const query = this.#query;
    if (!query) return;
    for (const page of this.#missingPages()) {
      if (this.#inFlight.size >= MAX_IN_FLIGHT) break;
      void this.#fetch(query, page, this.#generation);
    }
  }

  async #fetch(query: Query, page: number, generation: number): Promise<void> {
    this.#inFlight.add(page);
    const res = await api.call('datasets.rows', {
      name: query.dataset,
      offset: page * PAGE_SIZE,
      limit: PAGE_SIZE,
      ...(query.search ? { search: query.search } : {}),
    });
    if (generation !== this.#generation) return;
    this.#inFlight.delete(page);
    if (!res.ok) {
      this.#error = res.error;
      this.#version++;
      return;
    }
    this.#error = null;
    this.#total = res.value.total;
    this.#pages.set(page, res.value.rows);
    this.#evict();
    this.#version++;
    this.#pump();
  }

  /** Drops the pages farthest from the window on screen once the cache is over budget. */
  #evict(): void {
    if (this.#pages.size <= MAX_CACHED_PAGES) return;
    const centre = (this.#wanted.first + this.#wanted.last) / 2 / PAGE_SIZE;
    const byDistance = [...this.#pages.keys()].sort((a, b) => Math.abs(b - centre) - Math.abs(a - centre));
    for (const p of byDistance.slice(0, this.#pages.size - MAX_CACHED_PAGES)) this.#pages.delete(p);
  }
}

export const rows = new RowsStore();
