// Downloads one release archive into a `.part` file that survives interruption: a cut connection or a
// restarted app continues from the bytes already on disk with an HTTP Range request, and the finished
// file is accepted only when its SHA-256 matches the recorded digest. A wrong file is deleted, never kept.
import http from 'node:http';
import https from 'node:https';
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';

export type DownloadProgress = {
  file: string;
  receivedBytes: number;
  /** From Content-Length / Content-Range, or the recorded size; null when nobody says. */
  totalBytes: number | null;
  /** Bytes that were already on disk when this attempt started (0 for a fresh start). */
  resumedFrom: number;
  attempt: number;
};

export type DownloadOptions = {
  /** Name used in progress events and errors. */
  file: string;
  url: string;
  /** Where the bytes go while incomplete; kept across attempts and app restarts. */
  partPath: string;
  /** Lower-case hex; null only when the caller accepted an unrecorded digest. */
  expectedSha256: string | null;
  expectedBytes?: number | null;
  onProgress?: (p: DownloadProgress) => void;
  /** Attempts after a cut connection (each resumes where the last stopped). */
  retries?: number;
  signal?: AbortSignal;
};

export class DigestMismatchError extends Error {
  constructor(
    readonly file: string,
    readonly expected: string,
    readonly actual: string,
    what = 'the download was deleted and nothing was installed',
  ) {
    super(`${file}: SHA-256 ${actual} does not match the expected ${expected}; ${what}`);
  }
}

async function sizeOf(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hash);
  return hash.digest('hex');
}

/** One GET (following redirects); resolves with the response, already checked for a usable status. */
function request(url: string, headers: Record<string, string>, signal: AbortSignal | undefined, hops = 0): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    const client = url.startsWith('https:') ? https : url.startsWith('http:') ? http : null;
    if (!client) return reject(new Error(`unsupported URL ${url} (http or https only)`));
    const req = client.get(url, { headers, signal }, (res) => {
      const status = res.statusCode ?? 0;
      if ([301, 302, 303, 307, 308].includes(status) && res.headers.location) {
        res.resume();
        if (hops >= 5) return reject(new Error(`${url}: too many redirects`));
        resolve(request(new URL(res.headers.location, url).href, headers, signal, hops + 1));
        return;
      }
      resolve(res);
    });
    req.on('error', reject);
  });
}

/** Why an attempt ended early: retried (connection cut) or final (HTTP error, abort). */
class CutConnection extends Error {}

async function attemptOnce(options: DownloadOptions, attempt: number): Promise<void> {
  const { file, url, partPath, signal } = options;
  const have = await sizeOf(partPath);
  if (options.expectedBytes && have === options.expectedBytes) return;
  const res = await request(url, have > 0 ? { Range: `bytes=${have}-` } : {}, signal).catch((error: Error) => {
    if (signal?.aborted) throw error;
    throw new CutConnection(`${file}: ${error.message}`);
  });
  const status = res.statusCode ?? 0;
  if (status === 416 && have > 0) {
    // The server has nothing past what we hold: the file is complete (the digest decides).
    res.resume();
    return;
  }
  if (status !== 200 && status !== 206) {
    res.resume();
    throw new Error(`${file}: ${url} answered HTTP ${status}`);
  }
  // 200 to a Range request means the server ignores ranges: start over rather than append a second copy.
  const resumedFrom = status === 206 ? have : 0;
  let total: number | null = options.expectedBytes ?? null;
  const range = /\/(\d+)$/.exec(String(res.headers['content-range'] ?? ''));
  if (range) total = Number(range[1]);
  else if (res.headers['content-length'] && status === 200) total = Number(res.headers['content-length']);
  const announced = res.headers['content-length'] ? Number(res.headers['content-length']) : null;

  let received = resumedFrom;
  let lastReport = 0;
  const report = () => options.onProgress?.({ file, receivedBytes: received, totalBytes: total, resumedFrom, attempt });
  // Every byte that arrived is written before the attempt ends, also when the connection is cut (a
  // pipeline would destroy the file stream on the read error and drop its pending writes).
  const out = createWriteStream(partPath, { flags: resumedFrom > 0 ? 'a' : 'w' });
  let writeError: Error | null = null;
  out.on('error', (error) => (writeError = error));
  // Flowing mode: each chunk is handed to the file as it is parsed, so a cut loses nothing that arrived
  // (an async iterator would throw on the abort and drop the chunks still buffered in the stream).
  const cut = await new Promise<Error | null>((resolve) => {
    res.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (!out.write(chunk)) {
        res.pause();
        out.once('drain', () => res.resume());
      }
      const now = Date.now();
      if (now - lastReport >= 100) {
        lastReport = now;
        report();
      }
    });
    res.once('error', (error) => resolve(error));
    res.once('close', () => resolve(res.complete ? null : new Error('the server closed the connection early')));
    out.once('error', () => {
      res.destroy();
      resolve(null);
    });
  });
  if (!writeError) await new Promise<void>((r) => out.end(() => r()));
  if (writeError) throw new Error(`${file}: writing ${partPath} failed: ${(writeError as Error).message}`);
  if (signal?.aborted) throw signal.reason ?? new Error('aborted');
  if (cut) throw new CutConnection(`${file}: connection cut after ${received} bytes (${cut.message})`);
  report();
  if (!res.complete || (announced !== null && received - resumedFrom < announced)) {
    throw new CutConnection(`${file}: connection cut after ${received} of ${total ?? '?'} bytes`);
  }
}

/**
 * Downloads `url` to `partPath`, resuming across cut connections, then checks the digest. Resolves with
 * the file's SHA-256; on a mismatch deletes the part file and throws DigestMismatchError.
 */
export async function downloadVerified(options: DownloadOptions): Promise<{ sha256: string; bytes: number }> {
  const retries = options.retries ?? 5;
  for (let attempt = 1; ; attempt++) {
    try {
      await attemptOnce(options, attempt);
      break;
    } catch (error) {
      if (!(error instanceof CutConnection) || attempt > retries) throw error;
      // Brief pause so a flapping link is not hammered; the part file keeps what arrived.
      await new Promise((r) => setTimeout(r, Math.min(2000, 100 * attempt)));
    }
  }
  const bytes = await sizeOf(options.partPath);
  const sha256 = await sha256File(options.partPath);
  const expected = options.expectedSha256?.toLowerCase() ?? null;
  if (expected && sha256 !== expected) {
    await rm(options.partPath, { force: true });
    throw new DigestMismatchError(options.file, expected, sha256);
  }
  if (options.expectedBytes && bytes !== options.expectedBytes) {
    await rm(options.partPath, { force: true });
    throw new Error(`${options.file}: ${bytes} bytes instead of the recorded ${options.expectedBytes}; the download was deleted`);
  }
  return { sha256, bytes };
}
