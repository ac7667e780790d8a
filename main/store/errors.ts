// Errors the store throws on purpose. `code` matches the API's error codes (main/api/contract.ts
// ApiError.code), so the API layer can pass them to the UI unchanged; `details` is optional structure.
export type StoreErrorCode =
  | 'no_workspace' // the folder is not a workspace (or cannot become one)
  | 'not_found' // no such dataset
  | 'invalid_input' // a bad name, an unreadable or malformed input file
  | 'conflict' // the workspace is newer than this app, or a lock could not be taken
  | 'cancelled'; // an operation was aborted through its AbortSignal

export class StoreError extends Error {
  readonly code: StoreErrorCode;
  readonly details: unknown;

  constructor(code: StoreErrorCode, message: string, details?: unknown) {
    super(message);
    this.name = 'StoreError';
    this.code = code;
    this.details = details;
  }
}

/** Throws a `cancelled` StoreError when the signal has fired. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new StoreError('cancelled', 'cancelled');
}
