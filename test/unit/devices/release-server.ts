// A local stand-in for nuget.org's flat container: serves release-shaped archives over real HTTP with
// Range support (206 + Content-Range), records every request, and can cut the connection part-way
// through a response to exercise resume.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type ServedRequest = { path: string; range: string | null };

export type ReleaseServer = {
  url: string;
  requests: ServedRequest[];
  /** Cut the next `times` responses after `bytes` body bytes (connection closed mid-body). */
  cutNext(times: number, bytes: number): void;
  close(): Promise<void>;
};

export async function startReleaseServer(files: Record<string, Buffer>): Promise<ReleaseServer> {
  const requests: ServedRequest[] = [];
  let cuts = 0;
  let cutBytes = 0;
  const server = http.createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    requests.push({ path, range: req.headers.range ?? null });
    const body = files[path];
    if (!body) {
      res.writeHead(404).end('not found');
      return;
    }
    let start = 0;
    const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    if (m) {
      start = Number(m[1]);
      if (start >= body.length) {
        res.writeHead(416, { 'Content-Range': `bytes */${body.length}` }).end();
        return;
      }
      res.writeHead(206, { 'Content-Length': body.length - start, 'Content-Range': `bytes ${start}-${body.length - 1}/${body.length}`, 'Accept-Ranges': 'bytes' });
    } else {
      res.writeHead(200, { 'Content-Length': body.length, 'Accept-Ranges': 'bytes' });
    }
    const rest = body.subarray(start);
    if (cuts > 0) {
      cuts--;
      // Half-close after the bytes are flushed: the client gets exactly cutBytes, then a premature end.
      res.write(rest.subarray(0, Math.min(cutBytes, rest.length)), () => res.socket?.end());
      return;
    }
    res.end(rest);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    cutNext(times, bytes) {
      cuts = times;
      cutBytes = bytes;
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
