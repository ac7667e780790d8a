// Column names and types of a dataset, inferred from its rows as they are written.
//
// Rows are heterogeneous JSON objects, so a column's type is the set of JSON kinds seen in it:
// "string", "integer", "number", "boolean", "array", "object", "null", joined with " | " when mixed
// (e.g. "string | null"). A column missing from some rows counts as null there. Integers mixed with
// other numbers are "number". Columns are listed in first-seen order.
import type { ColumnInfo, Row } from '../api/contract.ts';

const STRING = 1;
const INTEGER = 2;
const NUMBER = 4;
const BOOLEAN = 8;
const ARRAY = 16;
const OBJECT = 32;
const NULL = 64;

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
