// The open workspace (a folder on the back end's machine) and the recently opened ones.
import { api } from '../api/client.ts';
import type { ApiError, WorkspaceInfo } from '../api/types.ts';

const RECENT_KEY = 'saenggak.recentWorkspaces';
const RECENT_MAX = 8;

function loadRecent(): string[] {
  try {
    const parsed: unknown = JSON.parse(globalThis.localStorage?.getItem(RECENT_KEY) ?? '[]');
    return Array.isArray(parsed) ? parsed.filter((p): p is string => typeof p === 'string').slice(0, RECENT_MAX) : [];
  } catch {
    return [];
  }
}

class WorkspaceStore {
  #current = $state<WorkspaceInfo | null>(null);
  #version = $state('');
  #transport = $state<'electron' | 'http'>(api.transport);
  #allowedPaths = $state<string[] | null>(null);
  #loaded = $state(false);
  #busy = $state(false);
  #error = $state<ApiError | null>(null);
  #recent = $state<string[]>(loadRecent());

  constructor() {
    api.on('workspace.changed', (info) => {
      this.#current = info;
      if (info) this.#remember(info.path);
    });
    api.onReconnect(() => void this.refresh());
  }

  get current(): WorkspaceInfo | null {
    return this.#current;
  }
  get version(): string {
    return this.#version;
  }
  get transport(): 'electron' | 'http' {
    return this.#transport;
  }
  /** Serve mode's folders the server may use besides the open workspace; null when unrestricted. */
  get allowedPaths(): string[] | null {
    return this.#allowedPaths;
  }
  /** False until the first answer from the back end. */
  get loaded(): boolean {
    return this.#loaded;
  }
  get busy(): boolean {
    return this.#busy;
  }
  get error(): ApiError | null {
    return this.#error;
  }
  get recent(): string[] {
    return this.#recent;
  }

  async refresh(): Promise<void> {
    const res = await api.call('app.info', {});
    this.#loaded = true;
    if (!res.ok) {
      this.#error = res.error;
      return;
    }
    this.#error = null;
    this.#version = res.value.version;
    this.#transport = res.value.transport;
    this.#allowedPaths = res.value.allowedPaths;
    this.#current = res.value.workspace;
    if (res.value.workspace) this.#remember(res.value.workspace.path);
  }

  /** Opens (or with `create`, initialises) a workspace; true on success. */
  async open(path: string, create: boolean): Promise<boolean> {
    this.#busy = true;
    const res = await api.call('workspace.open', { path: path.trim(), create });
    this.#busy = false;
    if (!res.ok) {
      this.#error = res.error;
      return false;
    }
    this.#error = null;
    this.#current = res.value;
    this.#remember(res.value.path);
    return true;
  }

  forget(path: string): void {
    this.#recent = this.#recent.filter((p) => p !== path);
    this.#save();
  }

  clearError(): void {
    this.#error = null;
  }

  #remember(path: string): void {
    this.#recent = [path, ...this.#recent.filter((p) => p !== path)].slice(0, RECENT_MAX);
    this.#save();
  }

  #save(): void {
    globalThis.localStorage?.setItem(RECENT_KEY, JSON.stringify(this.#recent));
  }
}

export const workspace = new WorkspaceStore();
