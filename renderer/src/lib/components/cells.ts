// How a cell value is shown in one table line. The table never renders a full long text: the row
// detail panel does that.
const MAX_CELL_CHARS = 300;

export function cellText(value: unknown): string {
  if (value === null || value === undefined) return '';
  let text: string;
  if (typeof value === 'string') text = value;
  else if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') text = String(value);
  else {
    try {
      text = JSON.stringify(value) ?? String(value);
    } catch {
      text = String(value);
    }
  }
  if (text.length > MAX_CELL_CHARS) text = text.slice(0, MAX_CELL_CHARS) + '…';
  return text.replace(/\r?\n/g, ' ↵ ');
}

/** Full text of a value for the detail view: strings as they are, everything else as indented JSON. */
export function fullText(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return '';
  if (typeof value === 'string') return value;
  try {
    return JSON.stringify(value, null, 2) ?? String(value);
  } catch {
    return String(value);
  }
}

/** Numbers and booleans get a narrow, right-aligned column; text gets room. */
export function isNarrowType(type: string): boolean {
  return /int|float|double|decimal|number|bool|date|time/i.test(type);
}
