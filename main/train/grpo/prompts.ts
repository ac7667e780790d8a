// GRPO prompts: rows of a workspace dataset or a JSONL file, reduced to what a rollout needs.
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { openWorkspace } from '../../store/workspace.ts';

export interface GrpoPrompt {
  id: string;
  /** The user turn. */
  prompt: string;
  /** Gold answer (null: the accuracy reward does not apply). */
  answer: string | null;
  /** Target language of the thinking (null: detected from the prompt). */
  lang: string | null;
  /** The curriculum's category (the value of its column), when the run asked for one. */
  category?: string;
}

export interface PromptSource {
  dataset?: string;
  path?: string;
  columns: { prompt: string; answer: string; lang: string };
  limit?: number;
}

function rowToPrompt(row: Record<string, unknown>, columns: PromptSource['columns'], index: number, where: string, categoryColumn?: string): GrpoPrompt {
  let prompt = row[columns.prompt];
  if (typeof prompt !== 'string' && Array.isArray(row.messages)) {
    prompt = (row.messages as { role?: string; content?: string }[]).find((m) => m.role === 'user')?.content;
  }
  if (typeof prompt !== 'string' || prompt.trim() === '') throw new Error(`${where}: row ${index} has no "${columns.prompt}" text (nor a user message)`);
  const answer = row[columns.answer];
  const lang = row[columns.lang];
  const out: GrpoPrompt = {
    id: typeof row.id === 'string' || typeof row.id === 'number' ? String(row.id) : String(index),
    prompt,
    answer: answer === undefined || answer === null ? null : String(answer),
    lang: typeof lang === 'string' && lang ? lang : null,
  };
  if (categoryColumn !== undefined) {
    const category = row[categoryColumn];
    if (category === undefined || category === null || category === '') throw new Error(`${where}: row ${index} has no "${categoryColumn}" value (curriculum.column)`);
    out.category = String(category);
  }
  return out;
}

/** Loads every prompt of the source (relative paths against `baseDir`). */
export async function loadPrompts(source: PromptSource, options: { workspace?: string; baseDir?: string; categoryColumn?: string } = {}): Promise<GrpoPrompt[]> {
  let rows: Record<string, unknown>[];
  let where: string;
  if (source.path) {
    const path = isAbsolute(source.path) ? source.path : resolve(options.baseDir ?? process.cwd(), source.path);
    where = path;
    rows = readFileSync(path, 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l, i) => {
        try {
          return JSON.parse(l) as Record<string, unknown>;
        } catch (err) {
          throw new Error(`${path}: line ${i + 1} is not JSON (${(err as Error).message})`);
        }
      });
  } else {
    if (!options.workspace) throw new Error(`prompts.dataset "${source.dataset}" needs a workspace`);
    where = `dataset "${source.dataset}"`;
    const ws = await openWorkspace(options.workspace);
    try {
      rows = [];
      for (let offset = 0; ; offset += 1000) {
        const page = await ws.datasets.rows(source.dataset!, { offset, limit: 1000 });
        rows.push(...(page.rows as Record<string, unknown>[]));
        if (page.rows.length < 1000) break;
      }
    } finally {
      await ws.close();
    }
  }
  if (rows.length === 0) throw new Error(`${where}: no rows`);
  const prompts = rows.map((r, i) => rowToPrompt(r, source.columns, i, where, options.categoryColumn));
  return source.limit ? prompts.slice(0, source.limit) : prompts;
}
