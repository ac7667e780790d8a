// Fails when a contract method has no handler, no HTTP route or no IPC entry.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { contract } from '../../../main/api/contract.ts';
import { handlers } from '../../../main/api/handlers/index.ts';
import { createIpcHandler, httpRoutes, ipcMethods, HTTP_CALL_PREFIX } from '../../../main/api/transports.ts';
import { AppSession } from '../../../main/api/session.ts';
import { startServer } from '../../../main/server.ts';

const methods = Object.keys(contract);

test('every contract method has a handler, and the handler map has nothing else', () => {
  assert.ok(methods.length >= 14);
  for (const method of methods) assert.equal(typeof handlers[method as keyof typeof handlers], 'function', method);
  assert.deepEqual(Object.keys(handlers).sort(), [...methods].sort());
});

test('the HTTP route table and the IPC table both cover exactly the contract', () => {
  assert.deepEqual([...httpRoutes.values()].sort(), [...methods].sort());
  assert.deepEqual([...ipcMethods].sort(), [...methods].sort());
});

// A non-object input is invalid for every method, so each call proves routing reached validation
// without running a handler.
test('every method is reachable over IPC', async () => {
  const session = new AppSession();
  const ipc = createIpcHandler(session, handlers);
  for (const method of methods) {
    const result = await ipc(method, []);
    assert.equal(!result.ok && result.error.code, 'invalid_input', method);
  }
  assert.equal((await ipc('no.such', {})).ok, false);
  const unknown = await ipc(42, {});
  assert.equal(!unknown.ok && unknown.error.code, 'unknown_method');
  await session.close();
});

test('every method is reachable over HTTP', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'saenggak-routes-'));
  const server = await startServer({ staticDir: dir });
  try {
    for (const method of methods) {
      const res = await fetch(server.origin + HTTP_CALL_PREFIX + method, {
        method: 'POST',
        headers: { Authorization: `Bearer ${server.token}`, 'Content-Type': 'application/json' },
        body: '[]',
      });
      const result = await res.json();
      assert.equal(result.error?.code, 'invalid_input', method);
    }
  } finally {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  }
});
