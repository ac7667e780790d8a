// What the Recipe page reads: the recipes on offer (bundled ones and those that ran in the workspace),
// a pipeline's saved state and its before/after results. (The verl export preview is the exporter's own:
// export/verl/preview.ts, which reads pipeline recipes; the pipeline does not load the exporter.)
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { workspacePaths } from '../store/index.ts';
import { readRecipeFile, recipeStages } from './recipe.ts';
import { beforeAfter, beforeAfterSvg, type Scores } from './report.ts';
import { readEvalResults, type ModelRole } from './stages/eval.ts';
import type { StageName } from './stage-names.ts';
import { readPipelineState, type PipelineState } from './state.ts';

/**
 * The recipes that ship with the app: assets/recipes/ in the source tree, recipes/ beside the Electron
 * bundle (scripts/build-electron.mjs copies them there; the bundle has no source tree around it).
 */
const RECIPE_DIRS = [fileURLToPath(new URL('../../assets/recipes/', import.meta.url)), fileURLToPath(new URL('./recipes/', import.meta.url))];
export const BUNDLED_RECIPES_DIR = RECIPE_DIRS.find((dir) => existsSync(dir)) ?? RECIPE_DIRS[0]!;

export interface RecipeInfo {
  path: string;
  name: string;
  description: string | null;
  stages: StageName[];
  bundled: boolean;
  /** Null when the file does not parse (see error). */
  error?: string;
}

async function recipeInfo(path: string, bundled: boolean): Promise<RecipeInfo> {
  try {
    const recipe = await readRecipeFile(path);
    return { path, name: recipe.name, description: recipe.description ?? null, stages: recipeStages(recipe), bundled };
  } catch (error) {
    return { path, name: basename(path, '.yaml'), description: null, stages: [], bundled, error: (error as Error).message };
  }
}

/** Bundled recipes, then recipes that ran in this workspace (by the path recorded in their state), then `extra` files. */
export async function listRecipes(workspace: string, extra: readonly string[] = []): Promise<RecipeInfo[]> {
  // pairs-*.yaml are `pairs build` recipes (assets/recipes/pairs-example.yaml), not pipeline recipes.
  const bundled = existsSync(BUNDLED_RECIPES_DIR) ? readdirSync(BUNDLED_RECIPES_DIR).filter((f) => /\.ya?ml$/.test(f) && !f.startsWith('pairs-')).sort().map((f) => join(BUNDLED_RECIPES_DIR, f)) : [];
  const seen = new Set(bundled);
  const ran: string[] = [];
  for (const path of extra) {
    if (seen.has(path)) continue;
    seen.add(path);
    ran.push(path);
  }
  const dir = workspacePaths(workspace).pipelines;
  if (existsSync(dir)) {
    for (const name of readdirSync(dir).sort()) {
      try {
        const path = readPipelineState(workspace, name)?.recipePath;
        if (path && !seen.has(path) && existsSync(path)) {
          seen.add(path);
          ran.push(path);
        }
      } catch {
        // an unreadable state is not a recipe to offer
      }
    }
  }
  return [...(await Promise.all(bundled.map((p) => recipeInfo(p, true)))), ...(await Promise.all(ran.map((p) => recipeInfo(p, false))))];
}

export interface PipelineResults {
  benchmark: string | null;
  before: Scores | null;
  after: Scores | null;
  /** Every model × benchmark: greedy accuracy and target-language share. */
  rows: { role: ModelRole; benchmark: string; accuracy: number; lang: number }[];
  /** Grouped bar chart (inline SVG, escaped). */
  chartSvg: string;
}

export interface PipelineDetail {
  name: string;
  state: PipelineState | null;
  results: PipelineResults | null;
  report: { html: string | null; markdown: string | null };
}

export function pipelineDetail(workspace: string, name: string): PipelineDetail {
  const state = readPipelineState(workspace, name);
  let results: PipelineResults | null = null;
  const resultsPath = state?.stages.eval?.outputs?.output;
  if (typeof resultsPath === 'string' && existsSync(resultsPath)) {
    const evalResults = readEvalResults(resultsPath);
    const { before, after, benchmark } = beforeAfter(evalResults);
    results = {
      benchmark,
      before,
      after,
      rows: evalResults.results.map((r) => ({ role: r.role, benchmark: r.benchmark, accuracy: r.summary.pass1, lang: r.summary.lang.meanTargetShare })),
      chartSvg: beforeAfterSvg(evalResults),
    };
  }
  return { name, state, results, report: { html: state?.report?.html ?? null, markdown: state?.report?.markdown ?? null } };
}

/** The report's Markdown text (the page shows it; the HTML file is for sharing). */
export function reportMarkdown(workspace: string, name: string): string | null {
  const path = readPipelineState(workspace, name)?.report?.markdown;
  return path && existsSync(path) ? readFileSync(path, 'utf8') : null;
}
