import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, mkdir, writeFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { startServer, type RunningServer } from '../../../main/server.ts';

async function withServer(fn: (server: RunningServer, dir: string) => Promise<void>) {
  const dir = await mkdtemp(join(tmpdir(), 'saenggak-serve-'));
  const staticDir = join(dir, 'ui');
  await mkdir(join(staticDir, 'assets'), { recursive: true });
  await writeFile(join(staticDir, 'index.html'), '<!doctype html><title>Saenggak</title>');
  await writeFile(join(staticDir, 'assets', 'app.js'), 'console.log(1)');
  const server = await startServer({ staticDir, port: 0 });
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

test('listens on 127.0.0.1 and prints a URL with a 64-hex-digit token', async () => {
  await withServer(async (server) => {
    assert.match(server.origin, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.match(server.token, /^[0-9a-f]{64}$/);
    assert.equal(server.url, `${server.origin}/?token=${server.token}`);
  });
});

test('no token or a bad token: 401 and nothing changes', async () => {
  await withServer(async (server, dir) => {
    const ws = join(dir, 'new-ws');
    const attempts: Record<string, string>[] = [{}, { Authorization: 'Bearer nope' }, { Authorization: `Bearer ${server.token}x` }, { Cookie: 'saenggak_token=nope' }];
    for (const headers of attempts) {
      const res = await post(server, '/api/call/workspace.open', { path: ws, create: true }, headers);
      assert.equal(res.status, 401);
    }
    await assert.rejects(readdir(ws), /ENOENT/, 'the workspace was not created');
    assert.equal((await fetch(server.origin + '/')).status, 401);
    assert.equal((await fetch(server.origin + '/assets/app.js')).status, 401);
    assert.equal((await fetch(`${server.origin}/?token=wrong`, { redirect: 'manual' })).status, 401);
    const upload = await fetch(server.origin + '/api/upload?name=a.jsonl', { method: 'POST', body: '{}' });
    assert.equal(upload.status, 401);
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

test('the cookie flow: /?token=T sets an HttpOnly SameSite=Strict cookie, redirects to /, and the cookie then works', async () => {
  await withServer(async (server) => {
    const res = await fetch(server.url, { redirect: 'manual' });
    assert.equal(res.status, 302);
    assert.equal(res.headers.get('location'), '/');
    const cookie = res.headers.get('set-cookie')!;
    assert.match(cookie, /^saenggak_token=[0-9a-f]{64}; /);
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /SameSite=Strict/);
    assert.match(cookie, /Path=\//);
    const jar = cookie.split(';')[0]!;

    const page = await fetch(server.origin + '/', { headers: { Cookie: jar } });
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<title>Saenggak/);
    const csp = page.headers.get('content-security-policy')!;
    for (const part of ["default-src 'self'", "script-src 'self'", "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'"]) {
      assert.ok(csp.includes(part), `CSP has ${part}`);
    }
    assert.equal(page.headers.get('x-content-type-options'), 'nosniff');
    // SPA fallback for app routes, 404 for missing files, no escape from the UI folder.
    assert.match(await (await fetch(server.origin + '/datasets/x', { headers: { Cookie: jar } })).text(), /Saenggak/);
    assert.equal((await fetch(server.origin + '/assets/missing.js', { headers: { Cookie: jar } })).status, 404);
    assert.equal((await fetch(server.origin + '/%2e%2e/%2e%2e/etc/passwd.txt', { headers: { Cookie: jar } })).status, 404);
    const js = await fetch(server.origin + '/assets/app.js', { headers: { Cookie: jar } });
    assert.equal(js.headers.get('content-type'), 'text/javascript; charset=utf-8');

    const info = await (await post(server, '/api/call/app.info', {}, { Cookie: jar, Origin: server.origin })).json();
    assert.equal(info.ok, true);
    assert.equal(info.value.transport, 'http');
  });
});

test('a POST with a foreign Origin is refused with 403 even with a valid cookie, and changes nothing', async () => {
  await withServer(async (server, dir) => {
    const ws = join(dir, 'csrf-ws');
    const res = await post(server, '/api/call/workspace.open', { path: ws, create: true }, {
      Cookie: `saenggak_token=${server.token}`,
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

function openSocket(url: string, headers: Record<string, string> = {}): Promise<{ ws: WebSocket; status: number | null }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers });
    ws.once('open', () => resolve({ ws, status: 101 }));
    ws.once('unexpected-response', (_req, res) => resolve({ ws, status: res.statusCode ?? null }));
    ws.once('error', () => resolve({ ws, status: null }));
  });
}

test('the event WebSocket refuses missing tokens and foreign origins, and delivers events with the cookie', async () => {
  await withServer(async (server, dir) => {
    const wsUrl = server.origin.replace('http', 'ws') + '/api/events';
    assert.equal((await openSocket(wsUrl)).status, 401);
    assert.equal((await openSocket(wsUrl, { Cookie: 'saenggak_token=bad' })).status, 401);
    assert.equal((await openSocket(wsUrl, { Cookie: `saenggak_token=${server.token}`, Origin: 'http://evil.example' })).status, 403);

    const { ws, status } = await openSocket(wsUrl, { Cookie: `saenggak_token=${server.token}`, Origin: server.origin });
    assert.equal(status, 101);
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
