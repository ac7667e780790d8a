// Chat-format Parquet files, written incrementally (one row group per `append`) so an export's memory is
// bounded by one batch. The layout is what pyarrow / Hugging Face `datasets` write for a list of structs:
//
//   messages  list<struct<role: string, content: string>>   (three-level LIST: messages → list → element)
//
// followed by the dataset's other columns (answer, gold, category, …: a chat export keeps them), typed from
// the column types the store inferred: string → UTF8, integer → INT64, number → DOUBLE, boolean →
// BOOLEAN, and anything nested or mixed → a JSON string (converted type JSON), all nullable.
//
// Only main/data uses this; main/pairs/export.ts and main/export/verl/parquet.ts write their own layouts.
import type { SchemaElement } from 'hyparquet';
import { fileWriter, ParquetWriter } from 'hyparquet-writer';
import type { ChatMessage } from './chat-format.ts';

const string = (name: string): SchemaElement => ({ name, type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' });

export const CHAT_PARQUET_SCHEMA: SchemaElement[] = [
  { name: 'schema', num_children: 1 },
  { name: 'messages', repetition_type: 'OPTIONAL', converted_type: 'LIST', num_children: 1 },
  { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
  { name: 'element', repetition_type: 'OPTIONAL', num_children: 2 },
  string('role'),
  string('content'),
];

/** How one extra column is stored. */
type ExtraColumn = { name: string; storage: 'string' | 'int64' | 'double' | 'boolean' | 'json' };

/** The Parquet storage of a column from the store's inferred type ("string | null", "integer", …). */
export function storageOf(type: string): ExtraColumn['storage'] {
  const kinds = type.split('|').map((k) => k.trim()).filter((k) => k && k !== 'null');
  if (kinds.length === 1 && kinds[0] === 'string') return 'string';
  if (kinds.length === 1 && kinds[0] === 'integer') return 'int64';
  if (kinds.length >= 1 && kinds.every((k) => k === 'integer' || k === 'number')) return 'double';
  if (kinds.length === 1 && kinds[0] === 'boolean') return 'boolean';
  return 'json';
}

function schemaElement(column: ExtraColumn): SchemaElement {
  switch (column.storage) {
    case 'string': return string(column.name);
    case 'int64': return { name: column.name, type: 'INT64', repetition_type: 'OPTIONAL' };
    case 'double': return { name: column.name, type: 'DOUBLE', repetition_type: 'OPTIONAL' };
    case 'boolean': return { name: column.name, type: 'BOOLEAN', repetition_type: 'OPTIONAL' };
    case 'json': return { name: column.name, type: 'BYTE_ARRAY', converted_type: 'JSON', repetition_type: 'OPTIONAL' };
  }
}

function columnValue(storage: ExtraColumn['storage'], value: unknown): unknown {
  if (value === undefined || value === null) return null;
  if (storage === 'int64') return BigInt(value as number);
  return value;
}

export class ChatParquetWriter {
  private readonly writer: ParquetWriter;
  private readonly extra: ExtraColumn[];
  rows = 0;

  /** Creates (truncates) `path` and writes the Parquet header; `extra` columns follow `messages` (name and store type). */
  constructor(path: string, extra: readonly { name: string; type: string }[] = []) {
    this.extra = extra.map((c) => ({ name: c.name, storage: storageOf(c.type) }));
    const schema: SchemaElement[] = [{ ...CHAT_PARQUET_SCHEMA[0], num_children: 1 + this.extra.length }, ...CHAT_PARQUET_SCHEMA.slice(1), ...this.extra.map(schemaElement)];
    this.writer = new ParquetWriter({ writer: fileWriter(path), schema, createdBy: 'saenggak' });
  }

  /** Writes one row group of conversations, with the rows' other columns when there are extra columns. */
  append(conversations: readonly ChatMessage[][], rows: readonly Record<string, unknown>[] = []): void {
    if (!conversations.length) return;
    const columnData = [
      { name: 'messages', data: conversations.map((c) => c.map((m) => ({ role: m.role, content: m.content }))) },
      ...this.extra.map((c) => ({ name: c.name, data: conversations.map((_, i) => columnValue(c.storage, rows[i]?.[c.name])) })),
    ];
    this.writer.write({ columnData, rowGroupSize: conversations.length });
    this.rows += conversations.length;
  }

  /** Writes the footer and flushes the file. */
  finish(): void {
    this.writer.finish();
  }
}
