// Uploaded files (serve mode: the browser cannot hand us a path) land in the workspace's tmp/uploads
// folder under a random id; `datasets.import` then names them by that id. Ids are checked against a
// strict pattern so an upload id can never point outside the folder.
import { createWriteStream } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import { Transform, type Readable } from 'node:stream';
import { ApiFailure } from './errors.ts';
import type { AppSession } from './session.ts';

const UPLOAD_ID = /^[0-9a-f]{32}$/;
/** Default ceiling for one upload (a dataset file). */
export const MAX_UPLOAD_BYTES = 8 * 2 ** 30;

export async function saveUpload(
  session: AppSession,
  body: Readable,
  fileName: string,
  maxBytes = MAX_UPLOAD_BYTES,
): Promise<{ kind: 'upload'; uploadId: string; fileName: string }> {
  const cleanName = fileName.replace(/[\\/]/g, '_').trim();
  if (!cleanName || cleanName.length > 255) throw new ApiFailure('invalid_input', 'the upload needs a file name (?name=...)');
  const uploadId = randomBytes(16).toString('hex');
  const path = join(await session.uploadsDir(), uploadId);
  let received = 0;
  const limit = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      received += chunk.length;
      if (received > maxBytes) callback(new ApiFailure('too_large', `uploads are limited to ${maxBytes} bytes`));
      else callback(null, chunk);
    },
  });
  try {
    await pipeline(body, limit, createWriteStream(path, { flags: 'wx' }));
  } catch (error) {
    await rm(path, { force: true });
    throw error;
  }
  return { kind: 'upload', uploadId, fileName: cleanName };
}

export async function resolveUpload(session: AppSession, uploadId: string): Promise<string> {
  if (!UPLOAD_ID.test(uploadId)) throw new ApiFailure('invalid_input', `not an upload id: ${JSON.stringify(uploadId)}`);
  const path = join(await session.uploadsDir(), uploadId);
  try {
    await stat(path);
  } catch {
    throw new ApiFailure('not_found', `upload ${uploadId} not found (uploads are removed after their import)`);
  }
  return path;
}
