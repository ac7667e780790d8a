// Texts for neuron discovery: one text per line, or JSONL rows with a `text` (or `prompt`) column. A file is
// read as JSONL when its first non-empty line parses as a JSON object; otherwise every non-empty line is
// a text (Korean prose with braces stays prose).
import { readFileSync } from 'node:fs';

export function readTexts(path: string): string[] {
  let raw: string;
  try {
    raw = readFileSync(path, 'utf8');
  } catch (error) {
    throw new Error(`neurons: cannot read ${path}: ${(error as Error).message}`);
  }
  const lines = raw.split(/\r?\n/).filter((l) => l.trim() !== '');
  if (lines.length === 0) throw new Error(`neurons: ${path} has no texts`);
  if (!isJsonObject(lines[0])) return lines;
  return lines.map((line, i) => {
    let row: unknown;
    try {
      row = JSON.parse(line);
    } catch (error) {
      throw new Error(`neurons: ${path} line ${i + 1} is not valid JSON (${(error as Error).message}); a JSONL file needs one object per line`);
    }
    const r = row as Record<string, unknown>;
    const text = typeof r.text === 'string' ? r.text : typeof r.prompt === 'string' ? r.prompt : null;
    if (text === null) throw new Error(`neurons: ${path} line ${i + 1} has no "text" or "prompt" string (keys: ${Object.keys(r).join(', ') || 'none'})`);
    return text;
  });
}

function isJsonObject(line: string): boolean {
  if (!line.trimStart().startsWith('{')) return false;
  try {
    const v = JSON.parse(line) as unknown;
    return !!v && typeof v === 'object' && !Array.isArray(v);
  } catch {
    return false;
  }
}

/** "0-7", "0,2,5-6" → sorted layer indices. */
export function parseLayerRange(spec: string): number[] {
  const out = new Set<number>();
  for (const part of spec.split(',').map((p) => p.trim()).filter(Boolean)) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) throw new Error(`neurons: --layers expects ranges such as 0-7 or 0,2,5-6, got "${spec}"`);
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    if (b < a) throw new Error(`neurons: --layers range ${part} runs backwards`);
    for (let i = a; i <= b; i++) out.add(i);
  }
  if (out.size === 0) throw new Error('neurons: --layers is empty');
  return [...out].sort((x, y) => x - y);
}
