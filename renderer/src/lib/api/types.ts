// Renderer-side view of the contract: types only, so nothing of the back end (zod included) is bundled.
import type {
  ApiClient,
  ApiError,
  EventMessage,
  MethodName,
  Result,
  BRIDGE_NAME,
} from '../../../../main/api/contract.ts';

export type * from '../../../../main/api/contract.ts';

/** What `main/preload.ts` exposes on `window[BRIDGE_NAME]` in the Electron shell. */
export interface ElectronBridge {
  invoke(method: MethodName, input: unknown): Promise<Result<unknown>>;
  onEvent(listener: (msg: EventMessage) => void): () => void;
  pathForFile(file: File): string;
}

/** Checked against the contract's constant at compile time; the value itself must not be imported. */
export const bridgeName: typeof BRIDGE_NAME = 'saenggak';

/** One entry of GET /api/files (main/server/workspace-files.ts): path relative to the workspace. */
export type WorkspaceEntry = { path: string; name: string; kind: 'file' | 'folder'; bytes: number };

export type UploadProgress = (loaded: number, total: number) => void;

/**
 * The contract's client plus what only the UI needs: upload progress and a signal that the event stream
 * reconnected (events may have been missed, so stores refresh).
 */
export interface RendererClient extends ApiClient {
  readonly transport: 'electron' | 'http';
  /** The remote lab's origin when this window is attached to one (#21), else null. */
  readonly remote: string | null;
  /** A workspace folder's entries (GET /api/files); serve mode only (the desktop app's files are local). */
  listFiles?(path: string): Promise<Result<WorkspaceEntry[]>>;
  /** Downloads a workspace file to this machine (GET /api/file, with the token); null when it started. */
  download?(path: string): Promise<ApiError | null>;
  upload(file: File, onProgress?: UploadProgress): ReturnType<ApiClient['upload']>;
  onReconnect(listener: () => void): () => void;
  /** Whether the event stream is up; told on every change. */
  onConnectionChange(listener: (connected: boolean) => void): () => void;
}
