// Short-lived messages at the bottom corner: success confirmations and errors that are not tied to a form.
import type { ApiError } from '../api/types.ts';

export type Notice = { id: number; kind: 'info' | 'error'; text: string; detail?: string };

const INFO_MS = 4000;
const ERROR_MS = 12000;

class NoticesStore {
  #items = $state<Notice[]>([]);
  #next = 1;

  get items(): Notice[] {
    return this.#items;
  }

  info(text: string): void {
    this.#push({ id: this.#next++, kind: 'info', text }, INFO_MS);
  }

  error(text: string, error?: ApiError): void {
    this.#push({ id: this.#next++, kind: 'error', text, detail: error ? `${error.code}: ${error.message}` : undefined }, ERROR_MS);
  }

  dismiss(id: number): void {
    this.#items = this.#items.filter((n) => n.id !== id);
  }

  clear(): void {
    this.#items = [];
  }

  #push(notice: Notice, ttl: number): void {
    this.#items = [...this.#items.slice(-4), notice];
    setTimeout(() => this.dismiss(notice.id), ttl);
  }
}

export const notices = new NoticesStore();
