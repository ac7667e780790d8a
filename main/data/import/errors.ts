// Errors that stop an import as a whole (bad rows are reported per line instead, see types.ts).
// `code` follows the API's error codes, so handlers can pass it through: 'invalid_input' for a file that
// cannot be imported (missing, empty, wrong shape, no valid rows), 'cancelled' when the AbortSignal fired.
import { CodedError } from '../../store/errors.ts';

export type ImportErrorCode = 'invalid_input' | 'cancelled';

export class ImportError extends CodedError<ImportErrorCode> {}
