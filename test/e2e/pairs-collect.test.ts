// Into labeling from the window (#24 point 2), in serve mode with Chromium: the "Collect pairs" form on the
// Pairs page (two tiny local generators, a tiny reward model as scorer, best-vs-worst with margin 0) shows a
// live estimate, writes the RECIPE.yaml `saenggak pairs build` takes and runs it; the built set is labeled
// with the keyboard (five pairs). An imported prompt/chosen/rejected file and a pipeline run's pairs file
// are offered as labelable sets too, and their labels land on disk; the imported file's gold answer is
// shown and the `t` key folds and unfolds the reasoning.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, openApp, untilShown, type AppUnderTest } from '../helpers/browser.ts';
import { createModelFolder } from '../../main/models/init.ts';
import { workspacePaths } from '../../main/store/index.ts';
import { readPairsRecipeFile } from '../../main/pairs/recipe.ts';
import { PIPELINE_STATE_FORMAT } from '../../main/pipeline/state.ts';

const PROMPTS = ['2 더하기 3은?', '서울은 어느 나라의 수도인가요?', 'What is 7 times 6?', '자기소개를 해 주세요.', '1부터 10까지 더하면?', '여분의 프롬프트'];

async function labelWithKey(page: Page, key: string): Promise<void> {
  const before = await page.getByTestId('pairs-saved').getAttribute('data-label-id').catch(() => null);
  const pairBefore = await page.getByTestId('pairs-current').getAttribute('data-pair-id');
  await page.keyboard.press(key);
  await page.waitForFunction(
    ([old, pair]) => {
      const saved = document.querySelector('[data-testid="pairs-saved"]')?.getAttribute('data-label-id');
      const current = document.querySelector('[data-testid="pairs-current"]')?.getAttribute('data-pair-id') ?? null;
      return saved && saved !== old && current !== pair;
    },
    [before, pairBefore],
  );
}

function labelLines(workspace: string, set: string): { pairId: string; labeler: string }[] {
  const file = join(workspacePaths(workspace).pairs, set, 'labels.jsonl');
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)) : [];
}

describe('collect pairs from the window, label imported and pipeline pairs (serve mode, Chromium)', () => {
  let browser: Browser;
  let app: AppUnderTest;

  before(async () => {
    browser = await launchChromium();
    app = await openApp(browser, { locale: 'en' });
    const models = workspacePaths(app.workspace).models;
    createModelFolder({ family: 'qwen2', preset: 'tiny', outDir: join(models, 'gen-a'), seed: 1 });
    createModelFolder({ family: 'qwen2', preset: 'tiny', outDir: join(models, 'gen-b'), seed: 2 });
    createModelFolder({ family: 'qwen2', preset: 'tiny', outDir: join(models, 'judge-rm'), seed: 3, task: 'sequence-classification', numLabels: 1 });
    await app.importBytes('prompts', 'prompts.jsonl', PROMPTS.map((prompt) => JSON.stringify({ prompt })).join('\n') + '\n');
    const imported = [0, 1, 2].map((i) => ({ prompt: `가져온 질문 ${i}`, chosen: `<think>\n생각하는 과정 ${i}\n</think>\n\n좋은 답 ${i}`, rejected: `<think>\n다른 생각 ${i}\n</think>\n\n나쁜 답 ${i}`, answer: `정답-${i}` }));
    await app.importBytes('imported_pairs', 'imported_pairs.jsonl', imported.map((r) => JSON.stringify(r)).join('\n') + '\n');
    // What the demo's synthetic pairs stage leaves: pipelines/demo/state.json naming pairs.jsonl.
    const dir = join(workspacePaths(app.workspace).pipelines, 'demo', 'pairs');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, 'pairs.jsonl');
    writeFileSync(file, [0, 1].map((i) => JSON.stringify({ prompt: `파이프라인 질문 ${i}`, chosen: `한국어 풀이 ${i}`, rejected: `English working ${i}`, category: 'reasoning', lang: 'ko' })).join('\n') + '\n');
    const state = { format: PIPELINE_STATE_FORMAT, name: 'demo', status: 'finished', updatedAt: new Date().toISOString(), stages: { pairs: { status: 'finished', outputs: { output: file } } } };
    writeFileSync(join(workspacePaths(app.workspace).pipelines, 'demo', 'state.json'), JSON.stringify(state));
  });

  after(async () => {
    await app?.close();
    await browser?.close();
  });

  it('collects pairs with the form (estimate, recipe file, job) and labels five with the keyboard', async () => {
    const { page } = app;
    await page.getByTestId('nav-pairs').click();
    await page.getByTestId('pairs-labeler-name').fill('mina');
    await page.getByTestId('pairs-labeler-name').press('Enter');
    // Imported and pipeline pairs are there to label before any build.
    const setSelect = page.getByTestId('pairs-set');
    await setSelect.locator('option', { hasText: 'demo.pipeline-pairs' }).waitFor({ state: 'attached' });
    const offered = await setSelect.locator('option').allInnerTexts();
    assert.ok(offered.includes('imported_pairs'), offered.join(', '));
    assert.ok(offered.includes('demo.pipeline-pairs'), offered.join(', '));

    await page.getByTestId('pairs-tab-sets').click();
    const form = page.getByTestId('pairs-collect');
    await form.waitFor();
    await form.getByTestId('collect-prompts').selectOption('prompts');
    await form.getByTestId('collect-limit').fill('5');
    await form.getByTestId('collect-generators').getByLabel(/gen-a/).check();
    const estimate = form.getByTestId('collect-estimate');
    // One generator, one sample: no pairs possible, and the form says why.
    await form.getByTestId('collect-warning').waitFor();
    assert.match(await estimate.innerText(), /5 prompts → 5 responses, 0 reward-model scores; at most 0 pairs per set/);
    await form.getByTestId('collect-generators').getByLabel(/gen-b/).check();
    await form.getByTestId('collect-scorers').getByLabel(/judge-rm/).check();
    await form.getByTestId('collect-max-tokens').fill('6');
    await form.getByTestId('collect-min-margin').fill('0');
    assert.match(await estimate.innerText(), /5 prompts → 10 responses, 10 reward-model scores; at most 5 pairs per set/);
    assert.equal(await form.getByTestId('collect-warning').count(), 0);
    await form.getByTestId('collect-run').click();

    await untilShown(form.locator('[data-testid="collect-job"][data-status="succeeded"]'), app.failedJob);
    const path = await form.getByTestId('collect-path').innerText();
    assert.equal(path, join(app.workspace, 'recipes', 'pairs-collected.yaml'));
    // The file is a recipe the CLI takes, with what the form said.
    const recipe = await readPairsRecipeFile(path);
    assert.equal(recipe.prompts?.dataset, 'prompts');
    assert.equal(recipe.prompts?.limit, 5);
    assert.deepEqual(recipe.generators?.map((g) => g.type === 'local' && g.max_new_tokens), [6, 6]);
    assert.deepEqual(recipe.scorers.map((s) => s.type), ['reward_model']);
    assert.deepEqual(recipe.sets, [{ name: 'collected-bvw', construction: 'best_vs_worst', min_margin: 0 }]);
    assert.match(readFileSync(path, 'utf8'), /# {3}saenggak pairs build /);

    await page.getByTestId('pairs-tab-label').click();
    await setSelect.selectOption('collected-bvw');
    await page.getByTestId('pairs-current').waitFor();
    for (const key of ['1', '2', '1', '2', '1']) await labelWithKey(page, key);
    const labels = labelLines(app.workspace, 'collected-bvw');
    assert.equal(labels.length, 5);
    assert.equal(new Set(labels.map((l) => l.pairId)).size, 5);
    assert.ok(labels.every((l) => l.labeler === 'mina'));
  });

  it('labels an imported pair file and a pipeline pairs file', async () => {
    const { page } = app;
    const setSelect = page.getByTestId('pairs-set');
    await setSelect.selectOption('imported_pairs');
    await page.getByTestId('pairs-current').waitFor();
    assert.match(await page.getByTestId('pairs-prompt').innerText(), /가져온 질문/);
    // The gold answer is shown; `t` unfolds both responses' reasoning and folds it again (keyboard only).
    assert.match(await page.getByTestId('pairs-gold').innerText(), /Gold answer:\s*정답-0/);
    const thinking = page.getByTestId('pairs-first-thinking');
    assert.equal(await thinking.isVisible(), false);
    await page.keyboard.press('t');
    await thinking.waitFor();
    assert.match(await thinking.innerText(), /생각하는 과정 0|다른 생각 0/);
    assert.equal(await page.getByTestId('pairs-second-thinking').isVisible(), true);
    await page.keyboard.press('t');
    await thinking.waitFor({ state: 'hidden' });
    await labelWithKey(page, '1');
    assert.deepEqual(labelLines(app.workspace, 'imported_pairs').map((l) => l.pairId), ['0']);

    await setSelect.selectOption('demo.pipeline-pairs');
    await page.getByTestId('pairs-current').waitFor();
    assert.match(await page.getByTestId('pairs-prompt').innerText(), /파이프라인 질문/);
    await labelWithKey(page, '2');
    assert.equal(labelLines(app.workspace, 'demo.pipeline-pairs').length, 1);

    // The Sets table says where they came from.
    await page.getByTestId('pairs-tab-sets').click();
    const table = page.getByTestId('pairs-sets-table');
    assert.match(await table.locator('tr', { hasText: 'imported_pairs' }).innerText(), /imported pairs/);
    assert.match(await table.locator('tr', { hasText: 'demo.pipeline-pairs' }).innerText(), /from a recipe run/);
    assert.deepEqual(app.problems, []);
  });
});
