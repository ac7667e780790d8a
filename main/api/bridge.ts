// Names shared by the Electron preload and main process. Kept apart from contract.ts so the sandboxed
// preload bundle does not pull in zod; contract.ts re-exports them.

/** The object the Electron preload exposes on `window` under this name. */
export const BRIDGE_NAME = 'saenggak';
/** The single IPC channel both directions use (events on `${IPC_CHANNEL}:event`). */
export const IPC_CHANNEL = 'saenggak:api';
/** The preload's openPath asks the main process on this channel to open a workspace file or folder. */
export const OPEN_PATH_CHANNEL = 'saenggak:open-path';
