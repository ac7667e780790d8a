// Row search: case-insensitive substring match over a row's values (strings, numbers and literals,
// nested ones included), never its keys, so a search for "prompt" finds rows that mention prompts rather
// than every row that has a "prompt" column.
//
// The search runs in LanceDB over the stored row JSON (table-schema.ts) with one regular expression, so
// import does not have to build and store a second, lowercased copy of every row (that copy cost about
// half of the import's CPU). Stored JSON has canonical string escapes (json-escapes.ts), so a needle
// escaped the same way matches exactly the values that contain it:
//
//   (?i)  ^  (?:[^"] | "<string body>")*?      whole tokens up to the match: never starts inside a string
//         (?: "<body> NEEDLE <body>" \s* [,}\]]  a string followed by , } or ] is a value (a key has ":")
//           | NEEDLE | true | false )           outside strings: inside a number, or a boolean
//
// where <string body> is (?:[^"\\]|\\.)*, which steps over escapes whole, so "n" never matches the "\n"
// of a newline. The NEEDLE branch is there only for needles made of number characters, `true`/`false`
// only when the needle is part of that word; null is not a searchable value. Numbers are matched as
// written in the file (1e3 is found by "e3", not by "1000").
//
// Tables written before this layout have a `_text` column (lowercased values); `legacySearchFilter`
// searches those.

/** LIKE wildcards and its escape character (DataFusion's default escape is the backslash). */
const LIKE_META = /[\\%_]/g;
/** Rust regex (DataFusion's regexp_like) metacharacters, as regex::escape escapes them. */
const REGEX_META = /[\\.+*?()|[\]{}^$#&\-~]/g;
const STRING_BODY = String.raw`(?:[^"\\]|\\.)*`;
const WHOLE_TOKENS = String.raw`^(?:[^"]|"(?:[^"\\]|\\.)*")*?`;
const NUMBER_NEEDLE = /^[-+.0-9e]+$/i;

function sqlString(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

/** The needle as it appears inside a canonical JSON string: JSON.stringify's escaping, minus the quotes. */
function jsonEscaped(needle: string): string {
  return JSON.stringify(needle).slice(1, -1);
}

/** The regular expression matching rows whose values contain `needle` (case-insensitive). */
export function searchPattern(needle: string): string {
  const escaped = jsonEscaped(needle).replace(REGEX_META, '\\$&');
  const inString = `"${STRING_BODY}${escaped}${STRING_BODY}"\\s*[,}\\]]`;
  const branches = [inString];
  if (NUMBER_NEEDLE.test(needle)) branches.push(escaped);
  for (const word of ['true', 'false']) if (word.includes(needle.toLowerCase())) branches.push(word);
  return `(?i)${WHOLE_TOKENS}(?:${branches.join('|')})`;
}

/**
 * A LanceDB (DataFusion SQL) filter matching rows whose values contain `needle`, case-insensitively.
 * The ILIKE in front is a cheap superset (the needle anywhere in the text, keys included) that spares
 * the regular expression most rows: DataFusion skips the right side of AND where the left is false,
 * which makes a search for a rare needle about twice as fast.
 */
export function searchFilter(needle: string, jsonColumn: string): string {
  const like = `%${jsonEscaped(needle).replace(LIKE_META, '\\$&')}%`;
  return `${jsonColumn} ILIKE ${sqlString(like)} AND regexp_like(${jsonColumn}, ${sqlString(searchPattern(needle))})`;
}

/** The filter for tables from before this layout: a lowercased `_text` column of the row's values. */
export function legacySearchFilter(needle: string, textColumn: string): string {
  return `strpos(${textColumn}, ${sqlString(needle.toLowerCase())}) > 0`;
}
