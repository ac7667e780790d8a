// The desktop app's "open file" (#24) as a plain function, so its checks are testable without Electron:
// the call must come from the app's own frame, and the path must be inside the open workspace
// (workspace-file.ts) before it reaches `openPath` (Electron's shell.openPath, which starts the default
// app for the file). Errors are values, like every other IPC answer.
import type { Result } from './contract.ts';
import { toApiError } from './errors.ts';
import { workspaceFile } from './workspace-file.ts';

export interface OpenPathDeps {
  /** shell.openPath: '' when it opened, else the reason it did not. */
  openPath(path: string): Promise<string>;
  /** The open workspace's folder, or null. */
  workspaceRoot(): string | null | undefined;
  /** Whether the IPC came from the app's own page. */
  isOwnFrame(frameUrl: string | undefined): boolean;
}

export function openPathHandler(deps: OpenPathDeps) {
  return async (frameUrl: string | undefined, path: unknown): Promise<Result<{ opened: string }>> => {
    if (!deps.isOwnFrame(frameUrl)) return { ok: false, error: { code: 'forbidden', message: 'IPC from a foreign frame' } };
    try {
      const file = workspaceFile(deps.workspaceRoot(), path);
      const failure = await deps.openPath(file.path);
      return failure ? { ok: false, error: { code: 'open_failed', message: failure } } : { ok: true, value: { opened: file.path } };
    } catch (error) {
      return { ok: false, error: toApiError(error) };
    }
  };
}
