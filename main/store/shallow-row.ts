// Rows as the API shows them: a stored row may nest arbitrarily deep (JSONL import keeps the text as it
// came), but a page of rows is serialised again by the server and rendered recursively by the UI, and both
// recurse once per level: 5000 levels overflowed JSON.stringify and the page answered 500 (#23). So values
// deeper than MAX_ROW_DEPTH are shown as a string of their (shortened) JSON text instead. The stored row is
// untouched; exports read the stored text.

/** Containers deeper than this (the row object is level 1) become strings. */
export const MAX_ROW_DEPTH = 64;
/** How much of a cut-off value's JSON text is kept. */
const CUT_TEXT_CHARS = 200;

/**
 * The JSON text with every object or array that opens below MAX_ROW_DEPTH replaced by a JSON string of its
 * text (shortened). One linear scan; strings and their escapes are copied through untouched.
 */
export function flattenDeepJson(text: string, maxDepth = MAX_ROW_DEPTH): string {
  let out = '';
  let depth = 0;
  let copiedUpTo = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      for (i++; i < text.length; i++) {
        const s = text.charCodeAt(i);
        if (s === 0x5c /* \ */) i++;
        else if (s === 0x22) break;
      }
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (depth < maxDepth) {
        depth++;
        continue;
      }
      // Find where this too-deep value ends, then put its shortened text in as a string.
      const start = i;
      let inner = 0;
      for (; i < text.length; i++) {
        const s = text.charCodeAt(i);
        if (s === 0x22) {
          for (i++; i < text.length; i++) {
            const t = text.charCodeAt(i);
            if (t === 0x5c) i++;
            else if (t === 0x22) break;
          }
        } else if (s === 0x7b || s === 0x5b) inner++;
        else if (s === 0x7d || s === 0x5d) {
          inner--;
          if (inner === 0) break;
        }
      }
      const raw = text.slice(start, i + 1);
      const shown = `${raw.length > CUT_TEXT_CHARS ? `${raw.slice(0, CUT_TEXT_CHARS)}…` : raw} (nested deeper than ${maxDepth} levels)`;
      out += text.slice(copiedUpTo, start) + JSON.stringify(shown);
      copiedUpTo = i + 1;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      depth--;
    }
  }
  return copiedUpTo === 0 ? text : out + text.slice(copiedUpTo);
}

/** Parses a stored row for display: at most MAX_ROW_DEPTH levels deep. */
export function parseRowForDisplay<T>(text: string): T {
  return JSON.parse(flattenDeepJson(text)) as T;
}
