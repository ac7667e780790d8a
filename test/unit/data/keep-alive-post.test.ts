import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { test } from 'node:test';
import { KeepAlivePoster, PostFailure } from '../../../main/llm/keep-alive-post.ts';

/** Echo server that numbers its sockets; `onRequest` may sabotage a request instead of answering it. */
async function startServer(onRequest?: (socketRequests: number, socket: Socket) => boolean) {
  const sockets = new Map<Socket, number>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const n = (sockets.get(req.socket) ?? 0) + 1;
      sockets.set(req.socket, n);
      if (onRequest?.(n, req.socket)) return;
      res.writeHead(200, { 'content-type': 'application/json', 'x-socket-request': String(n) });
      res.end(JSON.stringify({ echo: Buffer.concat(chunks).toString('utf8') }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/chat/completions`,
    sockets,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

test('requests reuse at most maxSockets kept-alive connections, bodies arrive intact', async () => {
  const server = await startServer();
  const poster = new KeepAlivePoster(server.url, 3);
  try {
    const sendOne = async (i: number) => {
      const reply = await poster.post(`요청 ${i}`, { 'content-type': 'text/plain' }, () => undefined);
      assert.equal(reply.status, 200);
      assert.equal(reply.header('Content-Type'), 'application/json');
      assert.deepEqual(JSON.parse(await reply.text()), { echo: `요청 ${i}` });
    };
    for (let round = 0; round < 5; round++) await Promise.all([0, 1, 2, 3, 4, 5].map((i) => sendOne(round * 6 + i)));
    assert.ok(server.sockets.size <= 3, `${server.sockets.size} connections for 30 requests`);
    assert.equal([...server.sockets.values()].reduce((a, b) => a + b, 0), 30);
  } finally {
    poster.close();
    await server.close();
  }
});

test('a kept-alive socket the server dropped is sent again on a fresh one; a fresh socket reset is an error', async () => {
  // Every second request on a socket is dropped unanswered, as when the server closes an idle connection
  // just as the client reuses it.
  const server = await startServer((n, socket) => {
    if (n < 2) return false;
    socket.destroy();
    return true;
  });
  const poster = new KeepAlivePoster(server.url, 1);
  try {
    const first = await poster.post('a', {}, () => undefined);
    assert.equal(first.header('x-socket-request'), '1');
    await first.text();
    const second = await poster.post('b', {}, () => undefined);
    assert.deepEqual(JSON.parse(await second.text()), { echo: 'b' });
    assert.equal(second.header('x-socket-request'), '1', 'answered on a new connection');
    assert.equal(server.sockets.size, 2);
  } finally {
    poster.close();
    await server.close();
  }
  const resetting = await startServer((_, socket) => (socket.destroy(), true));
  const poster2 = new KeepAlivePoster(resetting.url, 1);
  try {
    await assert.rejects(poster2.post('c', {}, () => undefined), (e: unknown) => e instanceof PostFailure && e.code === 'ECONNRESET');
    assert.equal(resetting.sockets.size, 1, 'not resent: the socket was not a reused one');
  } finally {
    poster2.close();
    await resetting.close();
  }
});

test('the bound destroy function aborts a request before headers and a body mid-way', async () => {
  const hanging: http.ServerResponse[] = [];
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (req.url === '/slow-body') {
        res.writeHead(200, { 'content-length': '100' });
        res.write('partial');
      }
      hanging.push(res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const noHeaders = new KeepAlivePoster(`${base}/hang`, 1);
    let destroy: ((reason: Error) => void) | null = null;
    const pending = noHeaders.post('x', {}, (d) => (destroy = d));
    setTimeout(() => destroy!(new Error('timed out')), 30);
    await assert.rejects(pending, /timed out/);
    noHeaders.close();
    const slowBody = new KeepAlivePoster(`${base}/slow-body`, 1);
    let destroyBody: ((reason: Error) => void) | null = null;
    const reply = await slowBody.post('x', {}, (d) => (destroyBody = d));
    setTimeout(() => destroyBody!(new Error('idle too long')), 30);
    await assert.rejects(reply.text());
    slowBody.close();
  } finally {
    for (const res of hanging) res.socket?.destroy();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

test('only http and https URLs are accepted', () => {
  assert.throws(() => new KeepAlivePoster('ftp://example.com/v1', 1), /only http\(s\) URLs/);
});
