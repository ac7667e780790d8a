// The back end's event bus: one typed map (`Events` in the contract), fanned out to every transport
// (Electron IPC, serve-mode WebSockets). Listeners that throw are isolated from each other.
import type { EventMessage, EventName, Events } from './contract.ts';

export type EventListener = (message: EventMessage) => void;

export class EventBus {
  readonly #listeners = new Set<EventListener>();

  emit<E extends EventName>(event: E, data: Events[E]): void {
    const message = { event, data } as EventMessage;
    for (const listener of this.#listeners) {
      try {
        listener(message);
      } catch (error) {
        console.error(`event listener for ${event} failed:`, error);
      }
    }
  }

  /** Subscribes to every event; returns the unsubscribe function. */
  subscribe(listener: EventListener): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  get listenerCount(): number {
    return this.#listeners.size;
  }
}
