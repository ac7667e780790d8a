// The one dispatch function both transports call: validate the input against the contract's zod schema,
// run the handler, and return a Result. Nothing thrown inside a handler crosses the boundary as an
// exception; it becomes `{ok: false, error}` (see errors.ts).
import { contract, type MethodName, type MethodOutput, type MethodParsedInput, type Result } from './contract.ts';
import { fail, ok, toApiError } from './errors.ts';
import type { ApiContext } from './context.ts';

export type Handler<M extends MethodName> = (
  input: MethodParsedInput<M>,
  ctx: ApiContext,
) => Promise<MethodOutput<M>> | MethodOutput<M>;

/** One handler per contract method; a missing one is a type error where the map is built. */
export type Handlers = { [M in MethodName]: Handler<M> };

/** A subset of handlers, for the per-area files in handlers/. */
export type HandlerGroup<P extends string> = { [M in Extract<MethodName, `${P}.${string}`>]: Handler<M> };

export function isMethodName(name: string): name is MethodName {
  return Object.hasOwn(contract, name);
}

export async function dispatch(
  method: string,
  rawInput: unknown,
  ctx: ApiContext,
  handlers: Handlers,
): Promise<Result<unknown>> {
  if (!isMethodName(method)) return fail('unknown_method', `unknown method "${method}"`);
  let parsed;
  try {
    parsed = contract[method].input.safeParse(rawInput ?? {});
  } catch (error) {
    // A pathological input (nesting deep enough to exhaust the stack) is bad input, not a server fault.
    return fail('invalid_input', `invalid input for ${method}: ${(error as Error).message}`);
  }
  if (!parsed.success) {
    const summary = parsed.error.issues.map((i) => `${i.path.join('.') || '(input)'}: ${i.message}`).join('; ');
    return fail('invalid_input', `invalid input for ${method}: ${summary}`, parsed.error.issues);
  }
  try {
    const handler = handlers[method] as Handler<MethodName>;
    return ok(await handler(parsed.data as never, ctx));
  } catch (error) {
    const apiError = toApiError(error);
    if (apiError.code === 'internal') console.error(`${method} failed:`, error);
    return { ok: false, error: apiError };
  }
}
