// "Open file" (#24): the report, run folders and outputs open from the page. In the desktop app the
// preload's openPath asks the main process, which opens only what lies inside the workspace (checked there,
// main/api/workspace-file.ts) with the system's default app. In serve mode the file comes down as a
// download from GET /api/file (inside the workspace only), fetched with the token; folders cannot.
import { api } from '../api/client.ts';
import { bridgeName, type ApiError, type Result } from '../api/types.ts';

type OpenPathBridge = { openPath?: (path: string) => Promise<Result<{ opened: string }>> };

function bridge(): OpenPathBridge | null {
  return (window as unknown as Record<string, OpenPathBridge | undefined>)[bridgeName] ?? null;
}

/** How this window opens files: the desktop app opens files and folders, a browser downloads files. */
export function openMode(): 'app' | 'download' | null {
  if (api.transport === 'electron') return bridge()?.openPath ? 'app' : null;
  return api.download ? 'download' : null;
}

/** Opens (desktop) or downloads (serve mode) a workspace file; the error when it could not. */
export async function openWorkspaceFile(path: string): Promise<ApiError | null> {
  if (api.transport === 'electron') {
    const open = bridge()?.openPath;
    if (!open) return { code: 'unsupported', message: 'this window cannot open files' };
    try {
      const result = await open(path);
      return result.ok ? null : result.error;
    } catch (error) {
      return { code: 'ipc', message: (error as Error).message };
    }
  }
  if (!api.download) return { code: 'unsupported', message: 'this window cannot download files' };
  return api.download(path);
}
