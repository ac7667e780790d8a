// Cuts the evaluated response into what the playground draws: the thinking (with the spans that were
// stripped before language counting) and the summary, each as a list of plain and highlighted pieces.
// Pure: offsets come from rewards.evaluate, which reports them in UTF-16 units like String.slice.
import type { RewardEvaluation, StrippedSpanKind, TextSpan } from '../api/types.ts';

export type Segment = { text: string; kind: StrippedSpanKind | null };

export type ResponseView = {
  /** null when the response has no thinking block. */
  thinking: Segment[] | null;
  summary: string;
};

/** Pieces of `text[start, end)` with `spans` (sorted, non-overlapping, inside the range) marked. */
export function segment(text: string, start: number, end: number, spans: readonly TextSpan[]): Segment[] {
  const out: Segment[] = [];
  let at = start;
  for (const s of spans) {
    const from = Math.max(s.start, at);
    const to = Math.min(s.end, end);
    if (to <= from) continue;
    if (from > at) out.push({ text: text.slice(at, from), kind: null });
    out.push({ text: text.slice(from, to), kind: s.kind });
    at = to;
  }
  if (at < end) out.push({ text: text.slice(at, end), kind: null });
  return out;
}

export function responseView(response: string, result: RewardEvaluation): ResponseView {
  const { thinking, summaryStart } = result.split;
  return {
    thinking: thinking ? segment(response, ...trimmed(response, thinking.start, thinking.end), result.spans) : null,
    summary: response.slice(summaryStart).trim(),
  };
}

/** [start, end) without the surrounding whitespace (the newlines after `<think>` and before `</think>`). */
function trimmed(text: string, start: number, end: number): [number, number] {
  while (start < end && /\s/.test(text[start]!)) start++;
  while (end > start && /\s/.test(text[end - 1]!)) end--;
  return [start, end];
}

/** How many stripped spans of each kind, for the legend. */
export function spanCounts(spans: readonly TextSpan[]): Partial<Record<StrippedSpanKind, number>> {
  const counts: Partial<Record<StrippedSpanKind, number>> = {};
  for (const s of spans) counts[s.kind] = (counts[s.kind] ?? 0) + 1;
  return counts;
}
