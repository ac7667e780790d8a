// The Reward model page against real serve mode: train a tiny reward model from the form (an `rm` job),
// watch its charts fill and its run finish, evaluate it on a RewardBench-layout set, see the comparison
// table and the histogram, export, and mark it as GRPO's reward model.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { launchChromium, openApp, untilShown, type AppUnderTest } from '../helpers/browser.ts';
import { makeTinyBase, syntheticPreferences } from '../unit/rm/fixtures.ts';

const ARTIFACTS = join(import.meta.dirname, '..', 'artifacts');
const jsonl = (rows: object[]) => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';

describe('reward model page (serve mode, Chromium)', () => {
  let browser: Browser;
  let app: AppUnderTest;

  before(async () => {
    browser = await launchChromium();
    app = await openApp(browser, { locale: 'en' });
    makeTinyBase(join(app.workspace, 'models'), { hidden: 16, layers: 1 }); // models/base (+ models/tokenizer, not a model)
    await app.importBytes('prefs', 'prefs.jsonl', jsonl(syntheticPreferences(64, 2).map(({ prompt, chosen, rejected }) => ({ prompt, chosen, rejected }))));
    const subsets = ['alpacaeval-easy', 'llmbar-natural', 'donotanswer', 'math-prm'];
    await app.importBytes('bench', 'bench.jsonl', jsonl(syntheticPreferences(16, 8).map(({ prompt, chosen, rejected }, i) => ({ prompt, chosen, rejected, subset: subsets[i % 4] }))));
  });

  after(async () => {
    await app?.close();
    await browser?.close();
  });

  it('trains from the form and follows the run live until it finishes', async () => {
    const { page } = app;
    await page.getByTestId('nav-reward-model').click();
    await page.getByRole('heading', { name: 'Reward model' }).waitFor();
    await page.getByTestId('rm-data').selectOption('prefs');
    assert.match(await page.getByTestId('rm-model').inputValue(), /models[/\\]base$/);
    await page.getByTestId('rm-epochs').fill('2');
    await page.getByTestId('rm-lr').fill('0.003');
    await page.getByTestId('rm-pairs').fill('8');
    await page.getByTestId('rm-start').click();

    await untilShown(page.locator('[data-testid="rm-run-status"][data-status="finished"]'), page.locator('[data-testid="rm-run-status"][data-status="failed"]'));
    assert.equal(await page.getByTestId('rm-run-select').inputValue(), 'rm');
    // The charts drew the training curve (and the held-out point), the histogram the held-out scores.
    // The charts redraw on the next metrics poll after the run's last line, so wait for each curve.
    for (const chart of ['rm-chart-loss', 'rm-chart-accuracy', 'rm-chart-margin']) {
      await page.getByTestId(chart).locator('path').first().waitFor({ state: 'attached', timeout: 0 });
      assert.ok((await page.getByTestId(chart).locator('path').count()) > 0, `${chart} drew a curve`);
    }
    const histogram = page.getByTestId('rm-histogram');
    await histogram.locator('rect[data-series="chosen"]').first().waitFor();
    const counts = await histogram.locator('rect[data-series="chosen"]').evaluateAll((bars) => bars.reduce((n, b) => n + Number(b.getAttribute('data-count')), 0));
    assert.equal(counts, 6, 'one chosen score per held-out pair (10% of 64)');
    await page.getByTestId('rm-run-heldout').waitFor();
  });

  it('evaluates the trained model on a RewardBench-layout set, compares, exports and marks it for GRPO', async () => {
    const { page } = app;
    await page.getByTestId('rm-eval-data').selectOption('bench');
    await page.locator('[data-testid="rm-eval-model"][data-name="rm/output"]').check();
    await page.getByTestId('rm-eval-start').click();
    const row = page.locator('[data-testid="rm-compare"] tr[data-model="rm"]');
    await untilShown(row, app.failedJob);
    const headers = await page.getByTestId('rm-compare').locator('th').allInnerTexts();
    assert.deepEqual(headers.slice(0, 6), ['Model', 'Chat', 'Chat Hard', 'Safety', 'Reasoning', 'Overall']);
    const overall = Number(await row.locator('td[data-col="overall"]').innerText());
    assert.ok(overall >= 0 && overall <= 100);
    assert.equal(await row.locator('td.best').count(), 5, 'the only model is best in every column');

    const download = page.waitForEvent('download');
    await page.getByTestId('rm-export-md').click();
    const file = await download;
    assert.equal(file.suggestedFilename(), 'reward-models.md');

    await row.getByTestId('rm-use').click();
    await row.getByTestId('rm-in-use').waitFor();
    assert.match(await page.getByTestId('rm-selected').innerText(), /GRPO reward model: rm/);
    const selected = await app.call('rm.getSelected', {});
    assert.match(selected!.model, /runs[/\\]rm[/\\]output$/);
    assert.deepEqual(app.problems, []);
    await mkdir(ARTIFACTS, { recursive: true });
    await page.setViewportSize({ width: 1280, height: 1300 });
    await page.screenshot({ path: join(ARTIFACTS, 'reward-model.png') });
  });
});
