import { test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { dispatch, type Handlers } from '../../../main/api/router.ts';
import { handlers } from '../../../main/api/handlers/index.ts';
import { ApiFailure } from '../../../main/api/errors.ts';
import { AppSession } from '../../../main/api/session.ts';
import type { ApiContext } from '../../../main/api/context.ts';

const ctx: ApiContext = { transport: 'http', session: new AppSession() };

test('unknown methods are refused as a value', async () => {
  const result = await dispatch('datasets.drop_all', {}, ctx, handlers);
  assert.equal(result.ok, false);
  assert.equal(!result.ok && result.error.code, 'unknown_method');
  // Prototype keys are not methods either.
  const proto = await dispatch('toString', {}, ctx, handlers);
  assert.equal(!proto.ok && proto.error.code, 'unknown_method');
});

test('invalid input never reaches the handler and comes back with the zod issues', async () => {
  let called = false;
  const spy: Handlers = { ...handlers, 'datasets.get': async () => ((called = true), null as never) };
  const result = await dispatch('datasets.get', { name: '../etc/passwd' }, ctx, spy);
  assert.equal(called, false);
  assert.equal(result.ok, false);
  if (result.ok) return;
  assert.equal(result.error.code, 'invalid_input');
  assert.match(result.error.message, /name/);
  const issues = result.error.details as z.core.$ZodIssue[];
  assert.ok(Array.isArray(issues) && issues.length === 1);
  assert.deepEqual(issues[0]!.path, ['name']);
});

test('defaults from the schema are applied before the handler runs', async () => {
  let seen: unknown;
  const spy: Handlers = { ...handlers, 'jobs.list': async (input) => ((seen = input), []) };
  const result = await dispatch('jobs.list', {}, ctx, spy);
  assert.deepEqual(result, { ok: true, value: [] });
  assert.deepEqual(seen, { limit: 100 });
});

test('thrown errors become values: ApiFailure keeps its code, store-style codes pass, anything else is internal', async () => {
  const throwing = (error: unknown): Handlers => ({ ...handlers, 'devices.info': async () => { throw error; } });
  const failure = await dispatch('devices.info', {}, ctx, throwing(new ApiFailure('conflict', 'busy', { who: 'x' })));
  assert.deepEqual(failure, { ok: false, error: { code: 'conflict', message: 'busy', details: { who: 'x' } } });
  const coded = await dispatch('devices.info', {}, ctx, throwing(Object.assign(new Error('gone'), { code: 'not_found' })));
  assert.deepEqual(coded, { ok: false, error: { code: 'not_found', message: 'gone' } });
  const originalError = console.error;
  console.error = () => {};
  try {
    // Node's errno codes (ENOENT) are not API codes.
    const errno = await dispatch('devices.info', {}, ctx, throwing(Object.assign(new Error('nope'), { code: 'ENOENT' })));
    assert.equal(!errno.ok && errno.error.code, 'internal');
    const odd = await dispatch('devices.info', {}, ctx, throwing('a string'));
    assert.deepEqual(odd, { ok: false, error: { code: 'internal', message: 'a string' } });
  } finally {
    console.error = originalError;
  }
});
