// The Electron preload: the renderer's only door to the back end. It exposes one object on `window`
// (`window.saenggak`) with four functions and nothing else: no ipcRenderer, no Node. Runs sandboxed
// (bundled to CommonJS by scripts/build-electron.mjs).
import { contextBridge, ipcRenderer, webUtils } from 'electron';
import { BRIDGE_NAME, IPC_CHANNEL, OPEN_PATH_CHANNEL } from './api/bridge.ts';
import type { EventMessage, Result } from './api/contract.ts';

const EVENT_CHANNEL = `${IPC_CHANNEL}:event`;

const bridge = {
  /** Calls a contract method; always resolves to a Result (the main process validates everything). */
  invoke: (method: string, input: unknown): Promise<Result<unknown>> => ipcRenderer.invoke(IPC_CHANNEL, method, input),
  /** Subscribes to back-end events; returns the unsubscribe function. */
  onEvent: (listener: (message: EventMessage) => void): (() => void) => {
    const handler = (_event: unknown, message: EventMessage) => listener(message);
    ipcRenderer.on(EVENT_CHANNEL, handler);
    return () => {
      ipcRenderer.removeListener(EVENT_CHANNEL, handler);
    };
  },
  /** The local path of a dropped or picked File (so imports read it in place instead of uploading). */
  pathForFile: (file: File): string => webUtils.getPathForFile(file),
  /** Opens a workspace file or folder with the system's default app; the main process checks the path. */
  openPath: (path: string): Promise<Result<{ opened: string }>> => ipcRenderer.invoke(OPEN_PATH_CHANNEL, path),
};

export type SaenggakBridge = typeof bridge;

contextBridge.exposeInMainWorld(BRIDGE_NAME, bridge);
