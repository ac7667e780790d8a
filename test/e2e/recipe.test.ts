// The Recipe page against real serve mode: a small recipe (tiny model made on the fly, the synthetic
// Korean arithmetic task, a short SFT, evaluation and report) is opened by path, checked, run with the
// Run button as a `pipeline` job, stopped during SFT and resumed, and its stages, before/after table,
// chart and report appear; a second run skips every unchanged stage. The bundled recipes are listed.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { launchChromium, openApp, untilShown, untilTrue, type AppUnderTest } from '../helpers/browser.ts';

const ARTIFACTS = join(import.meta.dirname, '..', 'artifacts');

const RECIPE = `name: page-demo
description: tiny recipe for the browser test
seed: 1
provider: cpu
model:
  make: { shape: { hiddenSize: 32, numLayers: 1, numHeads: 2, numKvHeads: 1, intermediateSize: 64, maxPositionEmbeddings: 256 }, seed: 1 }
data: { task: korean-arithmetic, train: 64, prompts: 0, heldout: 4, steps: 1 }
sft: { method: { kind: full }, maxSeqLength: 96, packing: false, batchSize: 4, maxSteps: 300, learningRate: 0.003, warmupSteps: 0, decay: constant, evalSplit: 0, evalEvery: 0, saveEvery: 5 }
eval: { maxNewTokens: 12 }
report: { title: Page demo }
`;

describe('recipe page (serve mode, Chromium)', () => {
  let browser: Browser;
  let app: AppUnderTest;
  let recipePath: string;

  before(async () => {
    // The tiny model can take all 300 steps between two polls on a fast machine: the fresh SFT run waits
    // after step 20 until it is stopped (the resumed run does not), so Stop lands during SFT on any machine.
    process.env.SAENGGAK_TEST_HOLD_AT_STEP = '20';
    browser = await launchChromium();
    app = await openApp(browser, { locale: 'en' });
    recipePath = join(app.workspace, '..', `${app.workspace.split('/').pop()}-recipe.yaml`);
    await writeFile(recipePath, RECIPE);
  });

  after(async () => {
    delete process.env.SAENGGAK_TEST_HOLD_AT_STEP;
    await app?.close();
    await browser?.close();
  });

  it('lists the bundled recipes, checks, runs, stops, resumes and shows the report', async () => {
    const { page } = app;
    await page.getByTestId('nav-recipe').click();
    await page.getByRole('heading', { name: 'Recipe', exact: true }).waitFor();
    const items = page.getByTestId('recipe-item');
    await items.first().waitFor();
    const names = await items.allInnerTexts();
    assert.ok(names.some((n) => n.includes('demo')) && names.some((n) => n.includes('qwen2.5-1.5b-ko')), names.join(' | '));

    await page.getByTestId('recipe-open-path').fill(recipePath);
    await page.getByTestId('recipe-open').click();
    await page.getByTestId('recipe-item').filter({ hasText: 'page-demo' }).waitFor();
    const stages = page.getByTestId('recipe-stages').locator('li');
    await stages.first().waitFor();
    assert.deepEqual(await stages.evaluateAll((els) => els.map((e) => e.getAttribute('data-stage'))), ['model', 'data', 'sft', 'eval', 'report']);

    await page.getByTestId('recipe-check').click();
    await page.getByTestId('recipe-check-report').getByText('The recipe can run.').waitFor();

    // Run, then stop during SFT once it has taken a few steps (it holds at step 20): the stage shows
    // "stopped". Each wait is for what the app reports (stage status, the progress message with its ETA),
    // however long the machine takes; a run that ends first fails the wait at once.
    const status = (value: string) => page.locator(`[data-testid="recipe-status"][data-status="${value}"]`);
    const ended = page.locator('[data-testid="recipe-status"][data-status="finished"], [data-testid="recipe-status"][data-status="failed"]');
    await page.getByTestId('recipe-run').click();
    const sft = page.locator('li[data-stage="sft"]');
    await untilShown(page.locator('li[data-stage="sft"][data-status="running"]'), ended);
    await untilShown(sft.getByText(/ETA/), ended);
    // The status bar speaks of the running stage, not a job-level "stages/s" rate whose ETA disagrees with
    // the stage card (#24 point 5).
    await untilShown(page.getByTestId('status-job').getByText(/sft \d+\/\d+ \w+ · stage 3 of 5/), ended);
    assert.doesNotMatch(await page.getByTestId('status-job').innerText(), /stages\/s|ETA/);
    await page.getByTestId('recipe-stop').click();
    await untilShown(status('stopped'), ended);
    assert.equal(await sft.getAttribute('data-status'), 'stopped');
    assert.equal(await page.locator('li[data-stage="eval"]').getAttribute('data-status'), 'pending');

    // Resume: the finished stages are skipped, SFT continues, everything finishes.
    await page.getByTestId('recipe-run').getByText('Resume').click();
    await untilShown(status('finished'), status('failed'));
    assert.deepEqual(await stages.evaluateAll((els) => els.map((e) => e.getAttribute('data-status'))), ['skipped', 'skipped', 'finished', 'finished', 'finished']);
    const beforeAfter = page.getByTestId('recipe-before-after');
    await beforeAfter.waitFor();
    assert.match(await beforeAfter.innerText(), /Before \(base\)\s+\d+\.\d%\s+\d+\.\d%/);
    assert.match(await page.getByTestId('recipe-models').innerText(), /after SFT/);
    assert.ok((await page.getByTestId('recipe-results').locator('svg rect').count()) >= 4, 'the chart has bars');
    // The report is the rendered HTML report in a themed article, the Markdown under a toggle.
    const report = page.getByTestId('recipe-report-html');
    assert.equal(await report.locator('h1').innerText(), 'Page demo');
    assert.ok((await report.locator('table#before-after tr').count()) >= 3);
    await page.getByTestId('recipe-report').locator('summary').click();
    assert.match(await page.getByTestId('recipe-report').locator('pre').innerText(), /# Page demo[\s\S]*Before \/ after/);

    // The SFT run resumed in one run folder: the Train page's run list has exactly one SFT run.
    const runs = await app.call('runs.list', {});
    assert.equal(runs.filter((r: { name: string }) => r.name.startsWith('page-demo-sft-')).length, 1);
    // A run the recipe trained shows the pipeline job's log on the Train page (#24 point 8), not "No log yet".
    await page.getByTestId('nav-train').click();
    await page.locator('[data-testid="run-row"][data-run^="page-demo-sft-"]').click();
    await page.getByTestId('run-log-panel').locator('summary').click();
    await untilShown(page.getByTestId('run-log'));
    assert.match(await page.getByTestId('run-log').innerText(), /sft/i);
    await page.getByTestId('nav-recipe').click();
    await page.getByTestId('recipe-report-html').waitFor();

    await mkdir(ARTIFACTS, { recursive: true });
    await page.setViewportSize({ width: 1280, height: 1400 });
    await page.screenshot({ path: join(ARTIFACTS, 'recipe.png') });
    await page.setViewportSize({ width: 1280, height: 800 });

    // Nothing changed: a second run skips every stage.
    await page.getByTestId('recipe-run').click();
    await untilTrue(page, () => Array.from(document.querySelectorAll('[data-testid="recipe-stages"] li')).every((li) => li.getAttribute('data-status') === 'skipped'));
    assert.deepEqual(app.problems, []);
  });
});
