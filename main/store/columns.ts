// Column names and types of a dataset, inferred from its rows as they are written.
//
// Rows are heterogeneous JSON objects, so a column's type is the set of JSON kinds seen in it:
// "string", "integer", "number", "boolean", "array", "object", "null", joined with " | " when mixed
// (e.g. "string | null"). A column missing from some rows counts as null there. Integers mixed with
// other numbers are "number". Columns are listed in first-seen order.
import type { ColumnInfo, Row } from './types.ts';

// Kind bits of a value, exported for parsers that classify values without building them (JSONL).
export const STRING_KIND = 1;
export const INTEGER_KIND = 2;
export const NUMBER_KIND = 4;
export const BOOLEAN_KIND = 8;
export const ARRAY_KIND = 16;
export const OBJECT_KIND = 32;
export const NULL_KIND = 64;

const STRING = STRING_KIND;
const INTEGER = INTEGER_KIND;
const NUMBER = NUMBER_KIND;
const BOOLEAN = BOOLEAN_KIND;
const ARRAY = ARRAY_KIND;
const OBJECT = OBJECT_KIND;
const NULL = NULL_KIND;

const KIND_NAMES: [number, string][] = [
  [STRING, 'string'],
  [INTEGER, 'integer'],
  [NUMBER, 'number'],
  [BOOLEAN, 'boolean'],
  [ARRAY, 'array'],
  [OBJECT, 'object'],
  [NULL, 'null'],
];

function kindOf(value: unknown): number {
  switch (typeof value) {
    case 'string':
      return STRING;
    case 'number':
      return Number.isInteger(value) ? INTEGER : NUMBER;
    case 'boolean':
      return BOOLEAN;
    case 'object':
      return value === null ? NULL : Array.isArray(value) ? ARRAY : OBJECT;
    default:
      return NULL; // undefined and other non-JSON values are stored as null
  }
}

export class ColumnTracker {
  private readonly kinds = new Map<string, number>();
  private readonly present = new Map<string, number>();
  private rowCount = 0;

  observe(row: Row): void {
    this.rowCount++;
    for (const key of Object.keys(row)) {
      this.kinds.set(key, (this.kinds.get(key) ?? 0) | kindOf(row[key]));
      this.present.set(key, (this.present.get(key) ?? 0) + 1);
    }
  }

  /** The same as `observe(row)`, for a row known by its top-level keys and their values' kind bits. */
  observeShape(keys: readonly string[], kinds: readonly number[]): void {
    this.rowCount++;
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i];
      this.kinds.set(key, (this.kinds.get(key) ?? 0) | kinds[i]);
      this.present.set(key, (this.present.get(key) ?? 0) + 1);
    }
  }

  /** The kind bit of one JSON value. */
  static kindOf(value: unknown): number {
    return kindOf(value);
  }

  get rows(): number {
    return this.rowCount;
  }

  columns(): ColumnInfo[] {
    return [...this.kinds].map(([name, seen]) => {
      let kinds = seen;
      if ((this.present.get(name) ?? 0) < this.rowCount) kinds |= NULL;
      if (kinds & NUMBER) kinds &= ~INTEGER;
      const type = KIND_NAMES.filter(([bit]) => kinds & bit)
        .map(([, label]) => label)
        .join(' | ');
      return { name, type };
    });
  }
}
