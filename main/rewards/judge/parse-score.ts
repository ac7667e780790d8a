// Reads a score out of a judge's reply: a JSON object with "score" (also inside a ```json fence), or free
// text such as "점수: 8/10", "Score: 7.5", "8점", "[[9]]", "7 out of 10". The last score in the reply wins
// (judges reason first and conclude last). Only the tail of a long reply is read, which bounds the work.
import { closeBrace } from '../text-scan.ts';

export type ParsedScore = {
  /** The score as written. */
  value: number;
  /** The scale it was given on (the explicit denominator, else the rubric's scale). */
  scale: number;
  /** value / scale, in [0, 1]. */
  normalized: number;
  source: 'json' | 'text';
};

const TAIL_CHARS = 4000;
const JSON_KEYS = ['score', 'rating', '점수', 'grade'];

function finish(value: number, scale: number, source: ParsedScore['source']): ParsedScore | null {
  if (!Number.isFinite(value) || !(scale > 0) || value < 0 || value > scale) return null;
  return { value, scale, normalized: value / scale, source };
}

function fromJson(text: string, scale: number): ParsedScore | null {
  // Try the object candidates from the end; at most a few dozen, each bounded.
  let from = text.length;
  for (let tries = 0; tries < 40; tries++) {
    const open = text.lastIndexOf('{', from - 1);
    if (open < 0) return null;
    from = open;
    const close = closeBrace(text, open, Math.min(text.length, open + 2000));
    if (close < 0) continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(text.slice(open, close));
    } catch {
      continue;
    }
    if (parsed === null || typeof parsed !== 'object') continue;
    for (const key of JSON_KEYS) {
      const raw = (parsed as Record<string, unknown>)[key];
      const value = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(raw) ? Number(raw) : NaN;
      if (Number.isFinite(value)) return finish(value, scale, 'json');
    }
  }
  return null;
}

// Each pattern is a flat sequence (no nested quantifiers) and runs over at most TAIL_CHARS characters.
const TEXT_PATTERNS: RegExp[] = [
  /\[\[(\d+(?:\.\d+)?)\]\]/g,
  /(?:score|rating|점수|평점|총점)[ \t*]{0,8}[:：=]?[ \t*]{0,8}(\d+(?:\.\d+)?)(?:[ \t]{0,8}(?:\/|out of|점 만점에 ?|중)[ \t]{0,8}(\d+(?:\.\d+)?))?/gi,
  /(\d+(?:\.\d+)?)[ \t]{0,8}(?:\/|out of)[ \t]{0,8}(\d+(?:\.\d+)?)/gi,
  /(\d+(?:\.\d+)?)[ \t]{0,8}점(?![수])/g,
];

function fromText(text: string, scale: number): ParsedScore | null {
  let best: { at: number; value: number; scale: number } | null = null;
  for (const pattern of TEXT_PATTERNS) {
    pattern.lastIndex = 0;
    for (let m = pattern.exec(text); m; m = pattern.exec(text)) {
      if (!best || m.index >= best.at) {
        best = { at: m.index, value: Number(m[1]), scale: m[2] !== undefined ? Number(m[2]) : scale };
      }
    }
  }
  return best ? finish(best.value, best.scale, 'text') : null;
}

/** The judge's score, or null when the reply has none (or it is off the scale). */
export function parseJudgeScore(reply: string, scale = 10): ParsedScore | null {
  const tail = reply.length > TAIL_CHARS ? reply.slice(reply.length - TAIL_CHARS) : reply;
  return fromJson(tail, scale) ?? fromText(tail, scale);
}
