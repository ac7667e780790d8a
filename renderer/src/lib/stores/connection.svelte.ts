// Whether the back end's event stream is up. In serve mode the server may stop or the network drop;
// the status bar says so while the client reconnects.
import { api } from '../api/client.ts';

class ConnectionStore {
  /** Optimistic until the first answer: a page that loaded was served by a live server. */
  #connected = $state(true);

  constructor() {
    api.onConnectionChange((connected) => (this.#connected = connected));
  }

  get connected(): boolean {
    return this.#connected;
  }
}

export const connection = new ConnectionStore();
