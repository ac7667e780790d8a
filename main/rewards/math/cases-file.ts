// A file of math answer checks for `saenggak reward math --input CASES.jsonl`: one {pred, gold, options?}
// object per line, each checked with the accuracy reward's own verifier. Every bad row is reported with its
// line number before anything is checked, so a long file does not fail halfway.
import { readFile } from 'node:fs/promises';

export type MathCase = { pred: string; gold: string; options?: string[] | Record<string, string> };

/** Reads `{pred, gold, options?}` rows; every bad row is reported with its line number before anything runs. */
export async function readMathCases(file: string): Promise<MathCase[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new Error(`cannot read --input ${file}: ${(err as Error).message}`);
  }
  const cases: MathCase[] = [];
  const problems: string[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '') return;
    let row: unknown;
    try {
      row = JSON.parse(line);
    } catch {
      problems.push(`line ${i + 1}: not JSON`);
      return;
    }
    const r = row as Record<string, unknown>;
    if (typeof r !== 'object' || r === null || Array.isArray(r)) problems.push(`line ${i + 1}: expected an object {pred, gold}`);
    else if (typeof r.pred !== 'string' || typeof r.gold !== 'string') problems.push(`line ${i + 1}: "pred" and "gold" must be strings`);
    else if (r.options !== undefined && (typeof r.options !== 'object' || r.options === null)) problems.push(`line ${i + 1}: "options" must be a list or a letter → value map`);
    else cases.push({ pred: r.pred, gold: r.gold, options: r.options as MathCase['options'] });
  });
  if (problems.length) throw new Error(`${file}: ${problems.length} bad row(s): ${problems.slice(0, 5).join('; ')}${problems.length > 5 ? '; …' : ''}`);
  return cases;
}
