// A request from another page to open the Train page's New-run form preset for selective SFT of chosen
// neurons ("Tune these" on the Neurons page). The form takes it once and clears it.
export interface TuneRequest {
  /** Selection file (the SFT config's method.neurons accepts its path). */
  neurons: string;
  /** The model the selection was found on (the form's model field). */
  model: string;
}

class TuneStore {
  #pending = $state<TuneRequest | null>(null);

  get pending(): TuneRequest | null {
    return this.#pending;
  }

  request(request: TuneRequest): void {
    this.#pending = request;
  }

  /** The pending request, cleared. */
  take(): TuneRequest | null {
    const request = this.#pending;
    this.#pending = null;
    return request;
  }
}

export const tune = new TuneStore();
