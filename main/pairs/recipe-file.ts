// The Pairs page's "Collect pairs" form writes the same RECIPE.yaml a user would give `saenggak pairs build`,
// so a build started from the window can be rerun, edited or versioned from a terminal. The file goes to
// <workspace>/recipes/pairs-<collection>.yaml (the collection name is validated by the recipe schema:
// letters, digits, "_", "-", "." only, so it cannot leave the folder).
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { writeFileAtomic } from '../store/index.ts';
import { CodedError } from '../store/errors.ts';
import { parsePairsRecipe, readPairsRecipeFile } from './recipe.ts';

const HEADER = '# Written by the Pairs page (Collect pairs). Rerun from a terminal with the command below.\n';

export async function savePairsRecipe(workspace: string, collection: string, recipe: Record<string, unknown>): Promise<{ path: string; yaml: string; command: string }> {
  const dir = join(workspace, 'recipes');
  await mkdir(dir, { recursive: true });
  const path = join(dir, `pairs-${collection}.yaml`);
  const command = `saenggak pairs build ${JSON.stringify(path)} --workspace ${JSON.stringify(workspace)}`;
  const yaml = `${HEADER}#   ${command}\n${stringify(recipe)}`;
  await writeFileAtomic(path, yaml);
  return { path, yaml, command };
}

/** The collection a pairs recipe (an object, or a file's path) builds; a bad recipe is the caller's input error. */
export async function pairsRecipeCollection(source: { recipe: Record<string, unknown> } | { recipePath: string }): Promise<string> {
  try {
    if ('recipe' in source) return parsePairsRecipe(source.recipe).collection;
    return (await readPairsRecipeFile(source.recipePath)).collection;
  } catch (error) {
    throw new CodedError('invalid_input', (error as Error).message);
  }
}
