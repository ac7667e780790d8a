// #23 point 1: serve mode survives any input. One malformed WebSocket frame used to end the process (no
// error listener on the connection), and every job with it. This sends bad frames, huge frames, bad JSON
// and random bytes at the event socket and the HTTP handlers, then checks the server still answers, an
// event socket opened before the storm still gets events, and an import job still runs to the end.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, mkdir, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { startServer, type RunningServer } from '../../../main/server.ts';
import { METHOD_NAMES } from '../../../main/api/transports.ts';

/** A client frame (clients must mask) with a chosen opcode and payload; `fin` false leaves it unfinished. */
function frame(opcode: number, payload: Buffer, fin = true): Buffer {
  const mask = randomBytes(4);
  const masked = Buffer.from(payload.map((b, i) => b ^ mask[i % 4]!));
  let head: Buffer;
  if (payload.length < 126) head = Buffer.from([(fin ? 0x80 : 0) | opcode, 0x80 | payload.length]);
  else if (payload.length < 65536) {
    head = Buffer.alloc(4);
    head[0] = (fin ? 0x80 : 0) | opcode;
    head[1] = 0x80 | 126;
    head.writeUInt16BE(payload.length, 2);
  } else {
    head = Buffer.alloc(10);
    head[0] = (fin ? 0x80 : 0) | opcode;
    head[1] = 0x80 | 127;
    head.writeBigUInt64BE(BigInt(payload.length), 2);
  }
  return Buffer.concat([head, mask, masked]);
}

/** Opens the event socket by hand (so the test can then write anything) and resolves once it is upgraded. */
function rawEventSocket(server: RunningServer): Promise<Socket> {
  const { hostname, port } = new URL(server.origin);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => {
      socket.write(
        [
          'GET /api/events HTTP/1.1',
          `Host: ${hostname}:${port}`,
          'Upgrade: websocket',
          'Connection: Upgrade',
          `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}`,
          'Sec-WebSocket-Version: 13',
          `Authorization: Bearer ${server.token}`,
          '',
          '',
        ].join('\r\n'),
      );
    });
    socket.once('data', (chunk) => {
      if (/^HTTP\/1\.1 101/.test(String(chunk))) resolve(socket);
      else reject(new Error(`no upgrade: ${String(chunk).split('\r\n')[0]}`));
    });
    socket.on('error', () => {}); // the server may close on us: that is the expected outcome
  });
}

/** Writes bytes on a fresh upgraded socket and waits until the server has closed it (or 2 s passed). */
async function sendAndWaitForClose(server: RunningServer, bytes: Buffer[]): Promise<void> {
  const socket = await rawEventSocket(server);
  const closed = new Promise<void>((resolve) => {
    socket.once('close', () => resolve());
    setTimeout(() => (socket.destroy(), resolve()), 2000).unref();
  });
  for (const b of bytes) socket.write(b);
  await closed;
}

function rawHttp(server: RunningServer, bytes: Buffer | string): Promise<string> {
  const { hostname, port } = new URL(server.origin);
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname, () => socket.end(bytes));
    let text = '';
    socket.on('data', (c) => (text += c));
    socket.on('close', () => resolve(text));
    socket.on('error', () => resolve(text));
  });
}

test('bad frames, huge frames, bad JSON and random bytes do not stop the server; events and jobs go on', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'saenggak-fuzz-'));
  await mkdir(join(dir, 'ui'));
  await writeFile(join(dir, 'ui', 'index.html'), '<!doctype html><title>Saenggak</title>');
  const server = await startServer({ staticDir: join(dir, 'ui'), workspace: join(dir, 'ws'), port: 0 });
  const auth = { Authorization: `Bearer ${server.token}` };
  const call = async (method: string, body: unknown) =>
    (await fetch(`${server.origin}/api/call/${method}`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify(body) })).json();
  try {
    // A well-behaved listener, connected before the storm, must keep getting events through it.
    const listener = new WebSocket(server.origin.replace('http', 'ws') + '/api/events', { headers: auth });
    const events: { event: string; data: { status?: string; kind?: string } }[] = [];
    listener.on('message', (data) => events.push(JSON.parse(String(data))));
    await new Promise((resolve, reject) => (listener.once('open', resolve), listener.once('error', reject)));

    // WebSocket: invalid UTF-8 in a text frame, a message over 64 KiB (in one frame and in fragments),
    // bad JSON, random binary, an unknown opcode, a bad close code, and raw noise instead of frames.
    const storms: Buffer[][] = [
      [frame(0x1, Buffer.from([0xc3, 0x28, 0xff, 0xfe]))],
      [frame(0x1, Buffer.alloc(70 * 1024, 0x61))],
      [frame(0x1, Buffer.alloc(40 * 1024, 0x61), false), frame(0x0, Buffer.alloc(40 * 1024, 0x61))],
      [frame(0x1, Buffer.from('{"event": oops'))],
      [frame(0x2, randomBytes(4096))],
      [frame(0x5, Buffer.from('x'))],
      [frame(0x8, Buffer.from([0x03, 0xe7]))],
      [randomBytes(8192)],
    ];
    for (const bytes of storms) await sendAndWaitForClose(server, bytes);
    for (let i = 0; i < 20; i++) await sendAndWaitForClose(server, [randomBytes(1 + Math.floor(Math.random() * 2000))]);

    // HTTP: random bytes instead of a request, a broken request line, and bad bodies for every method.
    for (let i = 0; i < 20; i++) await rawHttp(server, randomBytes(1 + Math.floor(Math.random() * 3000)));
    assert.match(await rawHttp(server, 'GET http://[ HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'), /^HTTP\/1\.1 4\d\d/);
    // Each body is refused (not JSON, or not an object); a deeply nested object may be valid input for a
    // method that ignores unknown keys, so it only has to be answered without an internal error.
    const refused: (string | Uint8Array<ArrayBuffer>)[] = ['{oops', '[]', '"x"', '1e999999', new Uint8Array([0xc3, 0x28, 0xff]), new Uint8Array(randomBytes(512)), '['.repeat(200_000) + ']'.repeat(200_000)];
    const deep = `${'{"a":'.repeat(50_000)}1${'}'.repeat(50_000)}`;
    for (const method of [...METHOD_NAMES, 'no.such']) {
      for (const body of [...refused, deep]) {
        const res = await fetch(`${server.origin}/api/call/${method}`, { method: 'POST', headers: auth, body });
        assert.equal(res.status, 200, `${method} answers a bad body with a Result`);
        const result = await res.json();
        if (body !== deep) assert.equal(result.ok, false, `${method} refuses ${String(body).slice(0, 20)}`);
        if (!result.ok) assert.notEqual(result.error.code, 'internal', `${method}: ${result.error.message}`);
      }
    }

    // Still alive: calls answer, the old listener still gets events, and a job runs to the end.
    assert.equal((await call('app.info', {})).ok, true);
    const upload = await (await fetch(`${server.origin}/api/upload?name=rows.jsonl`, { method: 'POST', headers: auth, body: '{"q":"1+1","a":"2"}\n' })).json();
    const started = await call('datasets.import', { dataset: 'after-storm', source: upload.value });
    assert.equal(started.ok, true, JSON.stringify(started));
    let job;
    for (;;) {
      job = (await call('jobs.get', { id: started.value.jobId })).value;
      if (job.status !== 'running' && job.status !== 'queued') break;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(job.status, 'succeeded', job.error);
    const deadline = Date.now() + 10_000;
    while (!events.some((e) => e.event === 'job.updated' && e.data.status === 'succeeded') && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.ok(events.some((e) => e.event === 'job.updated' && e.data.status === 'succeeded'), 'the listener saw the job finish');
    assert.equal(listener.readyState, WebSocket.OPEN);
    listener.close();
  } finally {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  }
});
