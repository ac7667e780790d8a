// assets/recipes/pairs-example.yaml is the documented pairs recipe: it must stay valid for `pairs build`
// (same parser) and must not be offered as a pipeline recipe on the Recipe page.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { readPairsRecipeFile } from '../../../main/pairs/recipe.ts';
import { listRecipes } from '../../../main/pipeline/catalog.ts';

test('the example pairs recipe parses, with the values its comments describe', async () => {
  const recipe = await readPairsRecipeFile('assets/recipes/pairs-example.yaml');
  assert.equal(recipe.collection, 'ko-chat-v1');
  assert.deepEqual(recipe.generators?.map((g) => g.type), ['openai', 'local']);
  assert.equal(recipe.samples_per_prompt, 2);
  assert.deepEqual(recipe.scorers.map((s) => s.type), ['reward_model', 'judge']);
  assert.deepEqual(recipe.sets.map((s) => s.construction), ['consensus', 'best_vs_worst', 'balanced']);
  assert.equal(recipe.recentre.calibration, 'all');
});

test('the Recipe page does not list pairs recipes as pipeline recipes', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pairs-example-'));
  try {
    const names = (await listRecipes(dir)).map((r) => r.path);
    assert.ok(names.some((p) => p.endsWith('demo.yaml')));
    assert.ok(!names.some((p) => p.endsWith('pairs-example.yaml')), names.join(', '));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
