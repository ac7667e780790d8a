// The LanceDB table layout of one dataset version (explicit Arrow schema, apache-arrow 18).
//
//   _row      Int64, not null  0-based position of the row in the dataset (import order). Tables are
//                              append-only and written once, so `_row` equals the physical row offset and
//                              pages are read with `takeOffsets` in O(page size), whatever the offset.
//   row_json  Utf8,  not null  the row: one JSON object (heterogeneous columns stay exact: nested values,
//                              big numbers as written, keys in their original order), with canonical
//                              string escapes (json-escapes.ts) so search can run on it (search-text.ts).
//
// Tables written by earlier versions also have `_text` (Utf8: the row's values, lowercased, for search);
// readers still search those through it (LEGACY_SEARCH_TEXT).
//
// Column names and types for display are inferred while writing (columns.ts) and kept in the registry.
import { Field, Int64, makeData, RecordBatch, Schema, Struct, Table, Utf8 } from 'apache-arrow';

export const ROW_INDEX = '_row';
export const ROW_JSON = 'row_json';
/** The search column of tables written before search ran on row_json. */
export const LEGACY_SEARCH_TEXT = '_text';

export const datasetSchema = new Schema([
  new Field(ROW_INDEX, new Int64(), false),
  new Field(ROW_JSON, new Utf8(), false),
]);

/** A Utf8 column from UTF-8 byte strings: one copy into a single buffer, offsets alongside. */
function utf8Data(values: readonly Uint8Array[]) {
  let size = 0;
  for (const value of values) size += value.length;
  const buffer = Buffer.allocUnsafe(size); // every byte is written below
  const data = new Uint8Array(buffer.buffer, buffer.byteOffset, size);
  const offsets = new Int32Array(values.length + 1);
  let position = 0;
  for (let i = 0; i < values.length; i++) {
    data.set(values[i], position);
    position += values[i].length;
    offsets[i + 1] = position;
  }
  return makeData({ type: new Utf8(), length: values.length, nullCount: 0, valueOffsets: offsets, data });
}

/** One Arrow table holding rows `firstRow .. firstRow + json.length - 1` of a dataset; `json[i]` is row i's JSON text in UTF-8. */
export function datasetBatch(firstRow: number, json: readonly Uint8Array[]): Table {
  const length = json.length;
  const rowIndex = new BigInt64Array(length);
  for (let i = 0; i < length; i++) rowIndex[i] = BigInt(firstRow + i);
  const children = [makeData({ type: new Int64(), length, nullCount: 0, data: rowIndex }), utf8Data(json)];
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

