// Light / dark theme. 'system' follows the OS; the choice is remembered. The CSS reads the resolved
// choice from <html data-theme> and picks colours with light-dark(), so no colour lives here.
export type ThemeChoice = 'system' | 'light' | 'dark';
export const themeChoices: ThemeChoice[] = ['system', 'light', 'dark'];

const STORAGE_KEY = 'saenggak.theme';

function initialChoice(): ThemeChoice {
  const saved = globalThis.localStorage?.getItem(STORAGE_KEY);
  return saved === 'light' || saved === 'dark' || saved === 'system' ? saved : 'system';
}

class ThemeStore {
  #choice = $state<ThemeChoice>(initialChoice());

  constructor() {
    this.#apply();
  }

  get choice(): ThemeChoice {
    return this.#choice;
  }

  set(choice: ThemeChoice): void {
    this.#choice = choice;
    globalThis.localStorage?.setItem(STORAGE_KEY, choice);
    this.#apply();
  }

  #apply(): void {
    if (typeof document === 'undefined') return;
    if (this.#choice === 'system') delete document.documentElement.dataset.theme;
    else document.documentElement.dataset.theme = this.#choice;
  }
}

export const theme = new ThemeStore();
