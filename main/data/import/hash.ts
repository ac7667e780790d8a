// Content hash of an import file: sha256 of its bytes, hex. Used to detect re-imports of the same file.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { Worker } from 'node:worker_threads';

export async function hashFile(path: string, signal?: AbortSignal): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024, signal }) as AsyncIterable<Buffer>) {
    hash.update(chunk);
  }
  return hash.digest('hex');
}

// Plain JS so the worker needs no TypeScript loader.
const HASH_WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const { createReadStream } = require('node:fs');
const hash = createHash('sha256');
createReadStream(workerData.path, { highWaterMark: 1024 * 1024 })
  .on('data', (chunk) => hash.update(chunk))
  .on('error', (error) => parentPort.postMessage({ error: String(error && error.message || error) }))
  .on('end', () => parentPort.postMessage({ hex: hash.digest('hex') }));
`;

/**
 * The same hash computed on a worker thread. An import parses on the main thread, which is its bottleneck;
 * hashing there too costs it ~7% (sha256 over the whole file), so the import hashes beside it instead
 * (the second read comes from the page cache).
 */
export function hashFileOffThread(path: string, signal?: AbortSignal): Promise<string> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(HASH_WORKER_SOURCE, { eval: true, workerData: { path } });
    const onAbort = () => {
      void worker.terminate();
      reject(signal?.reason ?? new Error('aborted'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    worker.once('message', (message: { hex?: string; error?: string }) => {
      signal?.removeEventListener('abort', onAbort);
      void worker.terminate();
      if (message.hex) resolve(message.hex);
      else reject(new Error(`cannot hash ${path}: ${message.error}`));
    });
    worker.once('error', (error) => {
      signal?.removeEventListener('abort', onAbort);
      reject(error);
    });
  });
}
