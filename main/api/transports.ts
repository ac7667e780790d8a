// The method tables of both transports, derived from the contract's keys so that neither can miss a
// method: serve mode routes POST /api/call/<method>, the Electron main process answers IPC calls on one
// channel. test/unit/api/transports.test.ts checks every contract method through both.
import { contract, type MethodName, type Result } from './contract.ts';
import { dispatch, type Handlers } from './router.ts';
import { fail } from './errors.ts';
import type { AppSession } from './session.ts';

export const METHOD_NAMES = Object.keys(contract) as MethodName[];

export const HTTP_CALL_PREFIX = '/api/call/';
export const HTTP_UPLOAD_PATH = '/api/upload';
export const HTTP_EVENTS_PATH = '/api/events';

/** POST path → method. */
export const httpRoutes: ReadonlyMap<string, MethodName> = new Map(METHOD_NAMES.map((m) => [HTTP_CALL_PREFIX + m, m]));

/** Methods the Electron main process answers on IPC_CHANNEL. */
export const ipcMethods: ReadonlySet<string> = new Set(METHOD_NAMES);

/**
 * The function the Electron main process registers with `ipcMain.handle(IPC_CHANNEL, ...)`. Anything the
 * renderer sends is untrusted: the method name is checked against the table, the input by the router.
 */
export function createIpcHandler(session: AppSession, handlers: Handlers) {
  return async (method: unknown, input: unknown): Promise<Result<unknown>> => {
    if (typeof method !== 'string' || !ipcMethods.has(method)) {
      return fail('unknown_method', `unknown method ${JSON.stringify(method)}`);
    }
    return dispatch(method, input, { transport: 'electron', session }, handlers);
  };
}
