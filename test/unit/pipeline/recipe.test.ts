// Recipe validation: good recipes parse with defaults; bad ones fail with errors naming the key and the fix.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePipelineRecipe, parsePipelineRecipeText, recipeStages, PipelineRecipeError } from '../../../main/pipeline/recipe.ts';
import { resolveReferences, findReferences } from '../../../main/pipeline/references.ts';

const minimal = {
  name: 'demo',
  model: { make: { preset: 'tiny' } },
  data: { task: 'korean-arithmetic', train: 10, heldout: 4 },
  sft: { model: '${model.output}', data: '${data.train}', maxSteps: 5 },
  eval: {},
  report: {},
};

test('a minimal recipe parses, gets defaults and lists its stages in run order', () => {
  const recipe = parsePipelineRecipe(minimal);
  assert.deepEqual(recipeStages(recipe), ['model', 'data', 'sft', 'eval', 'report']);
  assert.equal(recipe.data && 'task' in recipe.data ? recipe.data.englishThinkingShare : null, 0.5);
  assert.equal(recipe.data && 'task' in recipe.data ? recipe.data.shortcutShare : null, 0, 'the hasty teacher is off unless asked for');
  assert.equal(recipe.eval?.k, 1);
  assert.deepEqual(recipe.report?.formats, ['md', 'html']);
  assert.equal(recipe.model && 'make' in recipe.model ? recipe.model.make.tokenizer : null, 'compact');
});

function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof PipelineRecipeError, `expected PipelineRecipeError, got ${String(error)}`);
    return error.message;
  }
  assert.fail('expected an error');
}

test('errors name the key path and say what to set', () => {
  assert.match(messageOf(() => parsePipelineRecipe({ ...minimal, name: 'bad name!' })), /letters, digits[\s\S]*at name/);
  assert.match(messageOf(() => parsePipelineRecipe({ ...minimal, model: { make: { preset: 'tiny', shape: { hiddenSize: 8, numLayers: 1, numHeads: 1, numKvHeads: 1, intermediateSize: 8 } } } })), /exactly one of model\.make\.preset/);
  assert.match(messageOf(() => parsePipelineRecipe({ ...minimal, data: { task: 'korean-arithmetic', englishThinkingShare: 2 } })), /englishThinkingShare/);
  assert.match(messageOf(() => parsePipelineRecipe({ ...minimal, sftt: {} })), /sftt/);
  assert.match(messageOf(() => parsePipelineRecipe({ name: 'empty' })), /no stages: add at least one of model, data/);
  assert.match(messageOf(() => parsePipelineRecipe([1, 2])), /expected a YAML mapping/);
  assert.match(messageOf(() => parsePipelineRecipeText('name: [unclosed', 'r.yaml')), /r\.yaml is not valid YAML/);
  assert.match(messageOf(() => parsePipelineRecipe({ ...minimal, model: { hub: 'not a hub id' } })), /Hugging Face model id/);
});

test('references must name an earlier stage of the recipe and one of its outputs', () => {
  const later = messageOf(() => parsePipelineRecipe({ ...minimal, sft: { model: '${grpo.output}' }, grpo: {} }));
  assert.match(later, /sft\.model: \$\{grpo\.output\} refers to stage grpo, which runs after sft/);
  assert.match(messageOf(() => parsePipelineRecipe({ ...minimal, sft: { model: '${rewardModel.output}' } })), /which this recipe does not have/);
  assert.match(messageOf(() => parsePipelineRecipe({ ...minimal, sft: { model: '${data.folder}' } })), /stage data has no output "folder" \(it has output, train, prompts, heldout\)/);
  assert.match(messageOf(() => parsePipelineRecipe({ ...minimal, sft: { model: '${sff.output}' } })), /names no stage/);
});

test('references resolve to values, inside strings as text, and $${ escapes', () => {
  const config = { model: '${sft.output}', steps: '${sft.steps}', note: 'from ${sft.output}/x', literal: 'cost $${sft.output}', list: ['${data.train}'] };
  assert.deepEqual(findReferences(config, 'grpo').map((r) => r.at), ['grpo.model', 'grpo.steps', 'grpo.note', 'grpo.list[0]']);
  const resolved = resolveReferences(config, { sft: { output: '/w/runs/a/output', steps: 7 }, data: { train: 'd.jsonl' } });
  assert.deepEqual(resolved, { model: '/w/runs/a/output', steps: 7, note: 'from /w/runs/a/output/x', literal: 'cost ${sft.output}', list: ['d.jsonl'] });
  assert.throws(() => resolveReferences({ m: '${sft.output}' }, {}), /config\.m: \$\{sft\.output\} is not available/);
});
