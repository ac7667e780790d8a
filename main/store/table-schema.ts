// The LanceDB table layout of one dataset version (explicit Arrow schema, apache-arrow 18).
//
//   _row      Int64, not null  0-based position of the row in the dataset (import order). Tables are
//                              append-only and written once, so `_row` equals the physical row offset and
//                              pages are read with `takeOffsets` in O(page size), whatever the offset.
//   row_json  Utf8,  not null  the row: one JSON object (heterogeneous columns stay exact: nested values,
//                              big numbers as written, keys in their original order).
//   _text     Utf8,  not null  the row's values, lowercased, for case-insensitive substring search
//                              (see search-text.ts).
//
// Column names and types for display are inferred while writing (columns.ts) and kept in the registry.
import { Field, Int64, makeData, RecordBatch, Schema, Struct, Table, Utf8 } from 'apache-arrow';

export const ROW_INDEX = '_row';
export const ROW_JSON = 'row_json';
export const SEARCH_TEXT = '_text';

export const datasetSchema = new Schema([
  new Field(ROW_INDEX, new Int64(), false),
  new Field(ROW_JSON, new Utf8(), false),
  new Field(SEARCH_TEXT, new Utf8(), false),
]);

/**
 * A Utf8 column built into one buffer: strings are encoded straight into a buffer sized for the worst
 * case (3 bytes per UTF-16 unit), byte arrays (already UTF-8, e.g. original JSONL lines) are copied.
 * Much faster than apache-arrow's generic builders.
 */
function utf8Data(values: readonly (string | Uint8Array)[]) {
  let capacity = 0;
  for (const value of values) capacity += typeof value === 'string' ? value.length * 3 : value.length;
  const data = Buffer.allocUnsafe(capacity);
  const offsets = new Int32Array(values.length + 1);
  let position = 0;
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (typeof value === 'string') position += data.write(value, position, 'utf8');
    else {
      data.set(value, position);
      position += value.length;
    }
    offsets[i + 1] = position;
  }
  return makeData({
    type: new Utf8(),
    length: values.length,
    nullCount: 0,
    valueOffsets: offsets,
    data: new Uint8Array(data.buffer, data.byteOffset, position),
  });
}

/** One Arrow table holding rows `firstRow .. firstRow + json.length - 1` of a dataset. */
/** `json[i]` is the row's JSON text, as a string or as UTF-8 bytes. */
export function datasetBatch(firstRow: number, json: readonly (string | Uint8Array)[], text: readonly string[]): Table {
  const length = json.length;
  const rowIndex = new BigInt64Array(length);
  for (let i = 0; i < length; i++) rowIndex[i] = BigInt(firstRow + i);
  const children = [
    makeData({ type: new Int64(), length, nullCount: 0, data: rowIndex }),
    utf8Data(json),
    utf8Data(text),
  ];
  const struct = makeData({ type: new Struct(datasetSchema.fields), length, nullCount: 0, children });
  return new Table([new RecordBatch(datasetSchema, struct)]);
}

/** Reads an Int64 column of query results as plain numbers. */
export function int64ColumnToNumbers(table: Table, name: string): number[] {
  const column = table.getChild(name);
  if (!column) return [];
  const out = new Array<number>(column.length);
  let i = 0;
  for (const value of column) out[i++] = Number(value as bigint);
  return out;
}

