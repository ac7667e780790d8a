// Errors cross the API boundary as values. Handlers signal an expected failure by throwing `ApiFailure`
// with a machine-readable code; the router turns it (and anything unexpected) into `{ok: false, error}`.
import type { ApiError, Result } from './contract.ts';
import { CodedError } from '../store/errors.ts';
import { describeSystemError } from '../store/system-errors.ts';

export class ApiFailure extends CodedError {}

export function ok<T>(value: T): Result<T> {
  return { ok: true, value };
}

export function fail(code: string, message: string, details?: unknown): { ok: false; error: ApiError } {
  return { ok: false, error: details === undefined ? { code, message } : { code, message, details } };
}

/**
 * Maps any thrown value to an ApiError. Other modules may throw errors carrying a string `code`
 * (e.g. the store's `not_found`); those codes pass through so the UI can react to them.
 */
export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiFailure) {
    return error.details === undefined
      ? { code: error.code, message: error.message }
      : { code: error.code, message: error.message, details: error.details };
  }
  // A raw file-system error (ENOTDIR, EEXIST, …) says what is in the way instead of naming a syscall.
  const system = describeSystemError(error);
  if (system) return system;
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    const details = (error as { details?: unknown }).details;
    const apiCode = typeof code === 'string' && /^[a-z][a-z_]*$/.test(code) ? code : 'internal';
    return details === undefined ? { code: apiCode, message: error.message } : { code: apiCode, message: error.message, details };
  }
  return { code: 'internal', message: String(error) };
}
