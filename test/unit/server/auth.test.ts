import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, mkdir, writeFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:net';
import { WebSocket } from 'ws';
import { startServer, type RunningServer } from '../../../main/server.ts';

async function withServer(fn: (server: RunningServer, dir: string) => Promise<void>) {
  const dir = await mkdtemp(join(tmpdir(), 'saenggak-serve-'));
  const staticDir = join(dir, 'ui');
  await mkdir(join(staticDir, 'assets'), { recursive: true });
  await writeFile(join(staticDir, 'index.html'), '<!doctype html><title>Saenggak</title>');
  await writeFile(join(staticDir, 'assets', 'app.js'), 'console.log(1)');
  const server = await startServer({ staticDir, port: 0, allowPaths: [dir] });
  try {
    await fn(server, dir);
  } finally {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  }
}

const post = (server: RunningServer, path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(server.origin + path, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body: JSON.stringify(body),
    redirect: 'manual',
  });

test('listens on 127.0.0.1 and prints a URL with a 64-hex-digit token in the fragment', async () => {
  await withServer(async (server) => {
    assert.match(server.origin, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.match(server.token, /^[0-9a-f]{64}$/);
    assert.equal(server.url, `${server.origin}/#token=${server.token}`);
  });
});

test('no token or a bad token: 401 and nothing changes; a cookie is no credential', async () => {
  await withServer(async (server, dir) => {
    const ws = join(dir, 'new-ws');
    const attempts: Record<string, string>[] = [
      {},
      { Authorization: 'Bearer nope' },
      { Authorization: `Bearer ${server.token}x` },
      { Cookie: `saenggak_token=${server.token}` },
    ];
    for (const headers of attempts) {
      const res = await post(server, '/api/call/workspace.open', { path: ws, create: true }, headers);
      assert.equal(res.status, 401);
    }
    await assert.rejects(readdir(ws), /ENOENT/, 'the workspace was not created');
    const upload = await fetch(server.origin + '/api/upload?name=a.jsonl', { method: 'POST', body: '{}' });
    assert.equal(upload.status, 401);
  });
});

test('a token in a URL query is refused, even a valid one, and no cookie is ever set', async () => {
  await withServer(async (server) => {
    for (const path of [`/?token=${server.token}`, `/api/call/app.info?token=${server.token}`]) {
      const res = await fetch(server.origin + path, { method: path.startsWith('/api') ? 'POST' : 'GET', redirect: 'manual' });
      assert.equal(res.status, 400, path);
      assert.equal(res.headers.get('set-cookie'), null);
      assert.match(await res.text(), /#token=/);
    }
  });
});

test('a bearer token works for API calls; unknown methods answer unknown_method', async () => {
  await withServer(async (server, dir) => {
    const auth = { Authorization: `Bearer ${server.token}` };
    const ws = join(dir, 'ws');
    const opened = await (await post(server, '/api/call/workspace.open', { path: ws, create: true }, auth)).json();
    assert.equal(opened.ok, true);
    assert.equal(opened.value.path, ws);
    const unknown = await (await post(server, '/api/call/nope.nothing', {}, auth)).json();
    assert.equal(unknown.error.code, 'unknown_method');
    const bad = await (await post(server, '/api/call/datasets.get', { name: 7 }, auth)).json();
    assert.equal(bad.error.code, 'invalid_input');
    const notJson = await fetch(server.origin + '/api/call/app.info', { method: 'POST', headers: auth, body: '{oops' });
    assert.equal((await notJson.json()).error.code, 'invalid_input');
  });
});

test('the UI shell is public (the fragment token never reaches the server) and served under a strict CSP', async () => {
  await withServer(async (server) => {
    const page = await fetch(server.origin + '/');
    assert.equal(page.status, 200);
    assert.equal(page.headers.get('set-cookie'), null);
    assert.match(await page.text(), /<title>Saenggak/);
    const csp = page.headers.get('content-security-policy')!;
    for (const part of ["default-src 'self'", "script-src 'self'", "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'"]) {
      assert.ok(csp.includes(part), `CSP has ${part}`);
    }
    assert.equal(page.headers.get('x-content-type-options'), 'nosniff');
    // SPA fallback for app routes, 404 for missing files, no escape from the UI folder.
    assert.match(await (await fetch(server.origin + '/datasets/x')).text(), /Saenggak/);
    assert.equal((await fetch(server.origin + '/assets/missing.js')).status, 404);
    assert.equal((await fetch(server.origin + '/%2e%2e/%2e%2e/etc/passwd.txt')).status, 404);
    const js = await fetch(server.origin + '/assets/app.js');
    assert.equal(js.headers.get('content-type'), 'text/javascript; charset=utf-8');

    const info = await (await post(server, '/api/call/app.info', {}, { Authorization: `Bearer ${server.token}`, Origin: server.origin })).json();
    assert.equal(info.ok, true);
    assert.equal(info.value.transport, 'http');
  });
});

/** A raw HTTP/1.1 request with a chosen Host header (fetch does not let a caller set Host); its status. */
function rawRequest(origin: string, head: string[], body = ''): Promise<number> {
  const { hostname, port } = new URL(origin);
  const request = [...head, 'Connection: close', `Content-Length: ${Buffer.byteLength(body)}`, '', body].join('\r\n');
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.write(request));
    let text = '';
    socket.on('data', (c) => (text += c));
    socket.on('end', () => resolve(Number(/^HTTP\/1\.1 (\d+)/.exec(text)?.[1] ?? 0)));
    socket.on('error', reject);
  });
}

test('a Host header that is not the server\'s own (DNS rebinding) is refused with 403, even with the token', async () => {
  await withServer(async (server, dir) => {
    const port = new URL(server.origin).port;
    const ws = join(dir, 'rebound');
    const body = JSON.stringify({ path: ws, create: true });
    const call = (host: string) =>
      rawRequest(server.origin, ['POST /api/call/workspace.open HTTP/1.1', `Host: ${host}`, `Authorization: Bearer ${server.token}`, 'Content-Type: application/json'], body);
    assert.equal(await call(`evil.example:${port}`), 403);
    assert.equal(await rawRequest(server.origin, ['GET / HTTP/1.1', `Host: attacker.test:${port}`]), 403);
    await assert.rejects(readdir(ws), /ENOENT/);
    // Our own names work: IP literal, localhost (an SSH tunnel may use another port).
    assert.equal(await rawRequest(server.origin, ['GET / HTTP/1.1', 'Host: localhost:8080']), 200);
    assert.equal(await rawRequest(server.origin, ['GET / HTTP/1.1', `Host: 127.0.0.1:${port}`]), 200);
    assert.equal(await call(`127.0.0.1:${port}`), 200, 'the same call with our own Host goes through');
  });
});

test('a POST with a foreign Origin is refused with 403 even with a valid token, and changes nothing', async () => {
  await withServer(async (server, dir) => {
    const ws = join(dir, 'csrf-ws');
    const res = await post(server, '/api/call/workspace.open', { path: ws, create: true }, {
      Authorization: `Bearer ${server.token}`,
      Origin: 'http://evil.example',
    });
    assert.equal(res.status, 403);
    await assert.rejects(readdir(ws), /ENOENT/);
  });
});

test('request bodies over the limit are refused with 413', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'saenggak-serve-'));
  const server = await startServer({ staticDir: dir, maxCallBytes: 1024 });
  try {
    const res = await post(server, '/api/call/app.info', { pad: 'x'.repeat(4096) }, { Authorization: `Bearer ${server.token}` });
    assert.equal(res.status, 413);
    assert.equal((await res.json()).error.code, 'too_large');
  } finally {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  }
});

function openSocket(url: string, headers: Record<string, string> = {}, protocols: string[] = []): Promise<{ ws: WebSocket; status: number | null }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, protocols, { headers });
    ws.once('open', () => resolve({ ws, status: 101 }));
    ws.once('unexpected-response', (_req, res) => resolve({ ws, status: res.statusCode ?? null }));
    ws.once('error', () => resolve({ ws, status: null }));
  });
}

test('the event WebSocket takes the token as subprotocol bearer.T, refuses missing tokens, query tokens and foreign origins', async () => {
  await withServer(async (server, dir) => {
    const wsUrl = server.origin.replace('http', 'ws') + '/api/events';
    assert.equal((await openSocket(wsUrl)).status, 401);
    assert.equal((await openSocket(wsUrl, { Cookie: `saenggak_token=${server.token}` })).status, 401, 'a cookie is no credential');
    assert.equal((await openSocket(wsUrl, {}, ['saenggak', 'bearer.bad'])).status, 401);
    assert.equal((await openSocket(`${wsUrl}?token=${server.token}`)).status, 400);
    assert.equal((await openSocket(wsUrl, { Origin: 'http://evil.example' }, ['saenggak', `bearer.${server.token}`])).status, 403);

    const { ws, status } = await openSocket(wsUrl, { Origin: server.origin }, ['saenggak', `bearer.${server.token}`]);
    assert.equal(status, 101);
    assert.equal(ws.protocol, 'saenggak', 'the server selects the app protocol, not the token');
    const message = new Promise<{ event: string; data: { path: string } }>((resolve) =>
      ws.once('message', (data) => resolve(JSON.parse(String(data)))),
    );
    const path = join(dir, 'ws');
    await post(server, '/api/call/workspace.open', { path, create: true }, { Authorization: `Bearer ${server.token}` });
    const received = await message;
    assert.equal(received.event, 'workspace.changed');
    assert.equal(received.data.path, path);
    ws.close();
  });
});

test('uploads land in the workspace tmp folder and come back as an import source', async () => {
  await withServer(async (server, dir) => {
    const auth = { Authorization: `Bearer ${server.token}` };
    const noWs = await (await fetch(server.origin + '/api/upload?name=a.jsonl', { method: 'POST', headers: auth, body: '{"a":1}\n' })).json();
    assert.equal(noWs.error.code, 'no_workspace');
    const ws = join(dir, 'ws');
    await post(server, '/api/call/workspace.open', { path: ws, create: true }, auth);
    const res = await (await fetch(server.origin + '/api/upload?name=rows.jsonl', { method: 'POST', headers: auth, body: '{"a":1}\n' })).json();
    assert.equal(res.ok, true);
    assert.equal(res.value.kind, 'upload');
    assert.equal(res.value.fileName, 'rows.jsonl');
    assert.deepEqual(await readdir(join(ws, 'tmp', 'uploads')), [res.value.uploadId]);

    // The upload is an import source: the job imports it and removes the temporary file.
    const started = await (await post(server, '/api/call/datasets.import', { dataset: 'up', source: res.value }, auth)).json();
    assert.equal(started.ok, true, JSON.stringify(started));
    let job;
    for (;;) {
      job = (await (await post(server, '/api/call/jobs.get', { id: started.value.jobId }, auth)).json()).value;
      if (job.status !== 'running' && job.status !== 'queued') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(job.status, 'succeeded', job.error);
    const rows = await (await post(server, '/api/call/datasets.rows', { name: 'up' }, auth)).json();
    assert.deepEqual(rows.value.rows, [{ a: 1 }]);
    assert.deepEqual(await readdir(join(ws, 'tmp', 'uploads')), []);
  });
});

test('a host name given with --allow-host (allowedHostNames) is accepted; other names still are not', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'saenggak-serve-'));
  await writeFile(join(dir, 'index.html'), '<!doctype html><title>Saenggak</title>');
  const server = await startServer({ staticDir: dir, port: 0, allowedHostNames: ['lab.example'] });
  try {
    assert.equal(await rawRequest(server.origin, ['GET / HTTP/1.1', 'Host: lab.example:5123']), 200);
    assert.equal(await rawRequest(server.origin, ['GET / HTTP/1.1', 'Host: LAB.example']), 200);
    assert.equal(await rawRequest(server.origin, ['GET / HTTP/1.1', 'Host: evil.lab.example']), 403);
    assert.equal(await rawRequest(server.origin, ['GET / HTTP/1.1', 'Host: ']), 403);
  } finally {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  }
});
