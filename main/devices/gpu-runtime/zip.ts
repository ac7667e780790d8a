// Just enough of the ZIP format to take named files out of a NuGet package (.nupkg is a ZIP): read the
// central directory, then stream one entry (stored or deflated) to disk without loading the archive into
// memory (a CUDA provider library is hundreds of MB). Zip64 archives and entries are understood.
import { createReadStream, createWriteStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { createInflateRaw } from 'node:zlib';

export type ZipEntry = { name: string; method: number; compressedSize: number; size: number; localHeaderOffset: number };

const EOCD = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_EOCD = 0x06064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
const MAX32 = 0xffffffff;

async function readAt(path: string, position: number, length: number): Promise<Buffer> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(length);
    const { bytesRead } = await handle.read(buffer, 0, length, position);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

export async function listZipEntries(path: string): Promise<ZipEntry[]> {
  const handle = await open(path, 'r');
  const size = (await handle.stat()).size;
  await handle.close();
  const tailLength = Math.min(size, 65_557);
  const tail = await readAt(path, size - tailLength, tailLength);
  let at = -1;
  for (let i = tail.length - 22; i >= 0; i--) {
    if (tail.readUInt32LE(i) === EOCD) {
      at = i;
      break;
    }
  }
  if (at < 0) throw new Error(`${path} is not a ZIP archive (no end-of-central-directory record)`);
  let count = tail.readUInt16LE(at + 10);
  let cdSize = tail.readUInt32LE(at + 12);
  let cdOffset = tail.readUInt32LE(at + 16);
  if (cdOffset === MAX32 || cdSize === MAX32 || count === 0xffff) {
    const locatorAt = at - 20;
    if (locatorAt < 0 || tail.readUInt32LE(locatorAt) !== ZIP64_LOCATOR) throw new Error(`${path}: Zip64 locator missing`);
    const record = await readAt(path, Number(tail.readBigUInt64LE(locatorAt + 8)), 56);
    if (record.readUInt32LE(0) !== ZIP64_EOCD) throw new Error(`${path}: Zip64 end record missing`);
    count = Number(record.readBigUInt64LE(32));
    cdSize = Number(record.readBigUInt64LE(40));
    cdOffset = Number(record.readBigUInt64LE(48));
  }
  const cd = await readAt(path, cdOffset, cdSize);
  const entries: ZipEntry[] = [];
  let p = 0;
  for (let i = 0; i < count; i++) {
    if (cd.readUInt32LE(p) !== CENTRAL) throw new Error(`${path}: damaged central directory at entry ${i}`);
    const method = cd.readUInt16LE(p + 10);
    let compressedSize = cd.readUInt32LE(p + 20);
    let size = cd.readUInt32LE(p + 24);
    const nameLength = cd.readUInt16LE(p + 28);
    const extraLength = cd.readUInt16LE(p + 30);
    const commentLength = cd.readUInt16LE(p + 32);
    let localHeaderOffset = cd.readUInt32LE(p + 42);
    const name = cd.toString('utf8', p + 46, p + 46 + nameLength);
    // Zip64 extra field (id 1): the 64-bit values, in order, for each 32-bit field that says 0xFFFFFFFF.
    let e = p + 46 + nameLength;
    const extraEnd = e + extraLength;
    while (e + 4 <= extraEnd) {
      const id = cd.readUInt16LE(e);
      const length = cd.readUInt16LE(e + 2);
      if (id === 1) {
        let q = e + 4;
        if (size === MAX32) (size = Number(cd.readBigUInt64LE(q)), (q += 8));
        if (compressedSize === MAX32) (compressedSize = Number(cd.readBigUInt64LE(q)), (q += 8));
        if (localHeaderOffset === MAX32) localHeaderOffset = Number(cd.readBigUInt64LE(q));
      }
      e += 4 + length;
    }
    entries.push({ name, method, compressedSize, size, localHeaderOffset });
    p = extraEnd + commentLength;
  }
  return entries;
}

/** Streams one entry to `dest`; checks the extracted size against the directory's. */
export async function extractZipEntry(path: string, entry: ZipEntry, dest: string): Promise<void> {
  const local = await readAt(path, entry.localHeaderOffset, 30);
  if (local.readUInt32LE(0) !== LOCAL) throw new Error(`${path}: no local header for ${entry.name}`);
  const dataStart = entry.localHeaderOffset + 30 + local.readUInt16LE(26) + local.readUInt16LE(28);
  const out = createWriteStream(dest);
  let written = 0;
  const source = () => createReadStream(path, { start: dataStart, end: dataStart + entry.compressedSize - 1 });
  const count = async function* (chunks: AsyncIterable<Buffer>) {
    for await (const chunk of chunks) {
      written += chunk.length;
      yield chunk;
    }
  };
  if (entry.compressedSize === 0) await pipeline(async function* () {}, out);
  else if (entry.method === 0) await pipeline(source(), count, out);
  else if (entry.method === 8) await pipeline(source(), createInflateRaw(), count, out);
  else throw new Error(`${path}: ${entry.name} uses compression method ${entry.method} (only stored and deflate are supported)`);
  if (written !== entry.size) throw new Error(`${path}: ${entry.name} extracted to ${written} bytes, the directory says ${entry.size}`);
}
