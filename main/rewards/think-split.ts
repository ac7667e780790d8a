// Splits a response into its thinking (inside `<think>…</think>`, tags configurable) and the summary that
// follows. Malformed layouts are reported, not guessed silently: the caller (format reward, language reward,
// reward model on the summary) decides what each status is worth.

export type ThinkTags = { open: string; close: string };

export const DEFAULT_THINK_TAGS: ThinkTags = { open: '<think>', close: '</think>' };

export type ThinkStatus =
  /** One well-formed block followed by the summary. */
  | 'ok'
  /** No tags at all: everything is summary. */
  | 'no_thinking'
  /** Only a close tag: the open tag was part of the prompt (chat templates that pre-fill `<think>`). */
  | 'implicit_open'
  /** An open tag that is never closed (a truncated generation): everything after it is thinking. */
  | 'unclosed'
  /** More than one top-level block. */
  | 'repeated'
  /** A block inside a block. */
  | 'nested'
  /** A close tag with no open tag, after a block was already closed. */
  | 'stray_close';

export type ThinkSplit = {
  thinking: string;
  summary: string;
  status: ThinkStatus;
  /** Top-level thinking blocks found. */
  blocks: number;
  /** [start, end) of the (first) thinking content in the input, or null without thinking. */
  thinkingSpan: [number, number] | null;
  /** Offset where the summary starts in the input. */
  summaryStart: number;
  /** Non-whitespace text before the first open tag. */
  preamble: string;
  thinkingEmpty: boolean;
  summaryEmpty: boolean;
};

function result(
  text: string,
  status: ThinkStatus,
  blocks: number,
  span: [number, number] | null,
  summary: string,
  summaryStart: number,
  preamble: string,
): ThinkSplit {
  const thinking = span ? text.slice(span[0], span[1]).trim() : '';
  const s = summary.trim();
  return {
    thinking,
    summary: s,
    status,
    blocks,
    thinkingSpan: span,
    summaryStart,
    preamble: preamble.trim(),
    thinkingEmpty: thinking.length === 0,
    summaryEmpty: s.length === 0,
  };
}

/**
 * Splits `text` at the thinking tags. Rules (linear scan over the tags):
 * - thinking is the content of the first top-level block (nested blocks stay inside it);
 * - summary is everything after that block with any later blocks removed;
 * - no open tag but a close tag: the text before the first close tag is the thinking ('implicit_open');
 * - an unclosed block makes the rest of the text thinking and the summary empty ('unclosed').
 */
export function splitThinking(text: string, tags: ThinkTags = DEFAULT_THINK_TAGS): ThinkSplit {
  const { open, close } = tags;
  if (!open || !close || open === close) throw new Error('think tags must be two different non-empty strings');
  const firstOpen = text.indexOf(open);
  const firstClose = text.indexOf(close);
  if (firstOpen < 0 && firstClose < 0) return result(text, 'no_thinking', 0, null, text, 0, '');
  if (firstClose >= 0 && (firstOpen < 0 || firstClose < firstOpen)) {
    const end = firstClose + close.length;
    const rest = text.slice(end);
    // Any further tag after the implicit block means more than one block (not walked further: the
    // summary is what remains after removing them).
    const more = rest.includes(open) || rest.includes(close);
    if (!more) return result(text, 'implicit_open', 1, [0, firstClose], rest, end, '');
    return result(text, 'repeated', 2, [0, firstClose], removeBlocks(rest, tags), end, '');
  }

  // Walk the tags from the first open tag, tracking depth.
  let depth = 0;
  let nested = false;
  let blocks = 0;
  let firstSpan: [number, number] | null = null;
  let firstEnd = -1;
  let stray = false;
  let i = firstOpen;
  // The next open and close positions are cached and only searched again once passed, so thousands of
  // unmatched tags cost one pass, not one pass each.
  let o = firstOpen;
  let c = firstClose;
  while (i >= 0 && i < text.length) {
    if (o >= 0 && o < i) o = text.indexOf(open, i);
    if (c >= 0 && c < i) c = text.indexOf(close, i);
    if (o < 0 && c < 0) break;
    if (o >= 0 && (c < 0 || o < c)) {
      if (depth === 0) {
        blocks++;
        if (!firstSpan) firstSpan = [o + open.length, -1];
      } else nested = true;
      depth++;
      i = o + open.length;
    } else {
      if (depth === 0) stray = true;
      else {
        depth--;
        if (depth === 0 && firstEnd < 0) {
          firstSpan![1] = c;
          firstEnd = c + close.length;
        }
      }
      i = c + close.length;
    }
  }
  const preamble = text.slice(0, firstOpen);
  if (firstEnd < 0) {
    return result(text, 'unclosed', blocks, [firstSpan![0], text.length], '', text.length, preamble);
  }
  const status: ThinkStatus = nested ? 'nested' : blocks > 1 ? 'repeated' : stray || depth > 0 ? 'stray_close' : 'ok';
  const summary = removeBlocks(text.slice(firstEnd), tags);
  return result(text, status, blocks, firstSpan as [number, number], summary, firstEnd, preamble);
}

/** The text with every `open…close` block (and stray tags) removed. */
function removeBlocks(text: string, tags: ThinkTags): string {
  let out = '';
  let i = 0;
  for (;;) {
    const o = text.indexOf(tags.open, i);
    if (o < 0) break;
    out += text.slice(i, o);
    const c = text.indexOf(tags.close, o + tags.open.length);
    if (c < 0) {
      i = text.length;
      break;
    }
    i = c + tags.close.length;
  }
  out += text.slice(i);
  return out.split(tags.close).join('');
}
