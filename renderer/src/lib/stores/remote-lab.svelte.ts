// The remote lab this tab is attached to (#21; api/remote.ts) and the workspace files the back end hands
// out (serve mode, remote labs): what the Workspace page's setting, the status bar and a run's file list use.
import { api } from '../api/client.ts';
import { connectRemote, disconnectRemote, parseRemote, probeRemote } from '../api/remote.ts';
import type { ApiError, Result, WorkspaceEntry } from '../api/types.ts';

class RemoteLabStore {
  /** The lab's origin, or null when this tab uses its own back end. */
  get url(): string | null {
    return api.remote;
  }

  /** Whether the back end lists and sends files (serve mode and remote labs; not the desktop app's own). */
  get hasFiles(): boolean {
    return typeof api.listFiles === 'function';
  }

  /** Checks the lab with the token, then reloads against it; the error message otherwise. */
  async connect(url: string, token: string): Promise<string | null> {
    const lab = parseRemote(url, token);
    if ('error' in lab) return lab.error;
    const probe = await probeRemote(lab);
    if (!probe.ok) return probe.message;
    connectRemote(lab);
    return null;
  }

  disconnect(): void {
    disconnectRemote();
  }

  listFiles(path: string): Promise<Result<WorkspaceEntry[]>> {
    return api.listFiles ? api.listFiles(path) : Promise.resolve({ ok: false, error: { code: 'unsupported', message: 'files are local here' } });
  }

  async download(path: string): Promise<ApiError | null> {
    return (await api.download?.(path)) ?? null;
  }
}

export const remoteLab = new RemoteLabStore();
