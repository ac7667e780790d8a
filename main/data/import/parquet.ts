// Parquet reader (hyparquet), a row slice at a time so memory stays bounded by one slice.
//
//   parseParquet(path, {signal?, onBytes?, sliceRows?}): AsyncGenerator<ParseBatch>
//
// Values become JSON values: INT64 (bigint) → number when it is a safe integer, else its decimal string;
// DATE / TIMESTAMP (Date) → ISO 8601 string; binary without a string annotation (Uint8Array) → base64
// string; NaN and ±Infinity → null; lists → arrays and structs/maps → objects, recursively. Line numbers
// in errors are 1-based row numbers.
import { stat } from 'node:fs/promises';
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } from 'hyparquet';
import { ImportError } from './errors.ts';
import type { ParseBatch } from './types.ts';

export type ParquetParseOptions = {
  signal?: AbortSignal;
  /** Called after each slice with the approximate bytes of the file consumed so far. */
  onBytes?: (bytesDone: number) => void;
  /** Rows per read (default 8192). */
  sliceRows?: number;
};

/** Converts one value read by hyparquet into a JSON value. */
export function parquetValueToJson(value: unknown): unknown {
  switch (typeof value) {
    case 'bigint':
      return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value.toString();
    case 'number':
      return Number.isFinite(value) ? value : null;
    case 'string':
    case 'boolean':
      return value;
    case 'undefined':
      return null;
    case 'object': {
      if (value === null) return null;
      if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
      if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64');
      if (Array.isArray(value) || ArrayBuffer.isView(value)) return Array.from(value as ArrayLike<unknown>, parquetValueToJson);
      if (value instanceof Map) {
        const out: Record<string, unknown> = {};
        for (const [k, v] of value) out[String(k)] = parquetValueToJson(v);
        return out;
      }
      const out: Record<string, unknown> = {};
      for (const key of Object.keys(value)) out[key] = parquetValueToJson((value as Record<string, unknown>)[key]);
      return out;
    }
    default:
      return String(value);
  }
}

export async function* parseParquet(path: string, options: ParquetParseOptions = {}): AsyncGenerator<ParseBatch> {
  const fileBytes = (await stat(path)).size;
  const file = await asyncBufferFromFile(path);
  let metadata;
  try {
    metadata = await parquetMetadataAsync(file);
  } catch (error) {
    throw new ImportError('invalid_input', `not a readable Parquet file: ${(error as Error).message}`);
  }
  const totalRows = Number(metadata.num_rows);
  const sliceRows = options.sliceRows ?? 8192;
  for (let rowStart = 0; rowStart < totalRows; rowStart += sliceRows) {
    if (options.signal?.aborted) throw new ImportError('cancelled', 'import cancelled');
    const rowEnd = Math.min(rowStart + sliceRows, totalRows);
    let objects: Record<string, unknown>[];
    try {
      objects = await parquetReadObjects({ file, metadata, rowStart, rowEnd, utf8: false });
    } catch (error) {
      throw new ImportError('invalid_input', `could not read Parquet rows ${rowStart + 1}-${rowEnd}: ${(error as Error).message}`);
    }
    const batch: ParseBatch = { rows: [], json: [], errors: [] };
    for (let i = 0; i < objects.length; i++) {
      try {
        batch.rows.push(parquetValueToJson(objects[i]) as Record<string, unknown>);
        batch.json.push(undefined);
      } catch (error) {
        batch.errors.push({ line: rowStart + i + 1, reason: `could not convert the row: ${(error as Error).message}` });
      }
    }
    options.onBytes?.(Math.round((fileBytes * rowEnd) / totalRows));
    yield batch;
  }
  options.onBytes?.(fileBytes);
}
