// Which page is shown. Kept in the URL hash so back/forward work in a browser and in Electron (file://).
export type Page = 'workspace' | 'datasets' | 'jobs' | 'devices' | 'rewards' | 'train' | 'pairs' | 'reward-model' | 'evaluate' | 'recipe' | 'neurons';
const pages: Page[] = ['workspace', 'datasets', 'jobs', 'devices', 'rewards', 'train', 'pairs', 'reward-model', 'evaluate', 'recipe', 'neurons'];

/** Pages that work without an open workspace (they use no workspace data). */
export const workspaceFreePages: ReadonlySet<Page> = new Set<Page>(['workspace', 'rewards']);

function fromHash(): Page | null {
  const name = globalThis.location?.hash.replace(/^#\/?/, '') ?? '';
  return (pages as string[]).includes(name) ? (name as Page) : null;
}

class RouterStore {
  #page = $state<Page>(fromHash() ?? 'datasets');

  constructor() {
    globalThis.addEventListener?.('hashchange', () => {
      const page = fromHash();
      if (page) this.#page = page;
    });
  }

  get page(): Page {
    return this.#page;
  }

  go(page: Page): void {
    if (page === this.#page) return;
    this.#page = page;
    history.pushState(null, '', `#/${page}`);
  }
}

export const router = new RouterStore();
