// Streams a file's bytes in large chunks, reporting each to `onChunk` (hashing, byte progress) and
// honouring an AbortSignal between chunks.
import { createReadStream } from 'node:fs';
import { ImportError } from './errors.ts';

export type ReadChunksOptions = {
  chunkBytes?: number;
  signal?: AbortSignal;
  onChunk?: (chunk: Buffer) => void;
};

export async function* readFileChunks(path: string, options: ReadChunksOptions = {}): AsyncGenerator<Buffer> {
  const stream = createReadStream(path, { highWaterMark: options.chunkBytes ?? 1024 * 1024 });
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      if (options.signal?.aborted) throw new ImportError('cancelled', 'import cancelled');
      options.onChunk?.(chunk);
      yield chunk;
    }
  } finally {
    stream.destroy();
  }
}

/** In-memory chunks as the same kind of stream (for tests and small inputs). */
export async function* chunksOf(...chunks: (Uint8Array | string)[]): AsyncGenerator<Buffer> {
  for (const chunk of chunks) yield typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : Buffer.from(chunk);
}
