// Dataset import: parsers for JSONL, JSON arrays, CSV and Parquet, format detection, and the import
// operation that turns a file into a dataset version atomically (import-dataset.ts).
export { importDataset, MAX_REPORTED_ERRORS } from './import-dataset.ts';
export type { ImportOptions, ImportProgress, ImportResult } from './import-dataset.ts';
export { ImportError } from './errors.ts';
export type { ImportErrorCode } from './errors.ts';
export { hashFile } from './hash.ts';
export { detectFormat, formatFromExtension, formatFromContent } from './detect.ts';
export { parseJsonl } from './jsonl.ts';
export { parseJsonArray } from './json-array.ts';
export { parseCsv, splitCsvRecord } from './csv.ts';
export type { CsvParseOptions } from './csv.ts';
export { CSV_ENCODINGS, parseCsvEncoding, sniffEncoding, toUtf8 } from './encoding.ts';
export type { CsvEncoding, ResolvedEncoding } from './encoding.ts';
export { parseParquet, parquetValueToJson } from './parquet.ts';
export { readFileChunks, chunksOf } from './read-chunks.ts';
export { DEFAULT_MAX_LINE_BYTES } from './types.ts';
export type { ParseBatch, TextParseOptions } from './types.ts';
