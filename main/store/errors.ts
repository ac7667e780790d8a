// Errors the store throws on purpose. `code` matches the API's error codes (main/api/contract.ts
// ApiError.code), so the API layer can pass them to the UI unchanged; `details` is optional structure.
export type StoreErrorCode =
  | 'no_workspace' // the folder is not a workspace (or cannot become one)
  | 'not_found' // no such dataset
  | 'invalid_input' // a bad name, an unreadable or malformed input file
  | 'conflict' // the workspace is newer than this app, or a lock could not be taken
  | 'cancelled'; // an operation was aborted through its AbortSignal

/**
 * An error with a machine-readable code and optional structured details: the shape every layer uses so
 * the API can pass failures to the UI as values (`{ok: false, error: {code, message, details}}`).
 * The store is the ground floor, so the base lives here; subclasses narrow the codes.
 */
export class CodedError<Code extends string = string> extends Error {
  readonly code: Code;
  readonly details: unknown;

  constructor(code: Code, message: string, details?: unknown) {
    super(message);
    this.name = new.target.name;
    this.code = code;
    this.details = details;
  }
}

export class StoreError extends CodedError<StoreErrorCode> {}

/** Throws a `cancelled` StoreError when the signal has fired. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new StoreError('cancelled', 'cancelled');
}
