// The Evaluate page against real serve mode: a tiny model in the workspace's models/ folder and a small
// imported benchmark are picked, evaluated as an `eval` job, and the comparison table, both charts, the
// per-problem drill-down (thinking collapsed) and the report appear.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { launchChromium, openApp, untilShown, type AppUnderTest } from '../helpers/browser.ts';
import { createModelFolder } from '../../main/models/init.ts';
import { workspacePaths } from '../../main/store/index.ts';

const ARTIFACTS = join(import.meta.dirname, '..', 'artifacts');

const PROBLEMS = [
  { id: 'a', problem: 'What is $\\frac{1}{2} + \\frac{1}{2}$?', answer: '1' },
  { id: 'b', problem: 'Compute $2^{3}$.', answer: '8' },
  { id: 'c', problem: '3 × 3는?', answer: '9' },
];

describe('evaluate page (serve mode, Chromium)', () => {
  let browser: Browser;
  let app: AppUnderTest;

  before(async () => {
    browser = await launchChromium();
    app = await openApp(browser, { locale: 'en' });
    createModelFolder({ family: 'qwen2', preset: 'tiny', outDir: join(workspacePaths(app.workspace).models, 'tiny'), seed: 2 });
    await app.importBytes('mini_math', 'mini_math.jsonl', PROBLEMS.map((p) => JSON.stringify(p)).join('\n') + '\n');
  });

  after(async () => {
    await app?.close();
    await browser?.close();
  });

  it('runs a tiny evaluation as a job and shows the comparison table, charts and drill-down', async () => {
    const { page } = app;
    await page.getByTestId('nav-evaluate').click();
    await page.getByRole('heading', { name: 'Evaluate' }).waitFor();
    await page.getByTestId('eval-models').getByLabel(/tiny/).check();
    await page.getByTestId('eval-benchmarks').getByLabel(/mini_math/).check();
    await page.getByTestId('eval-k').fill('2');
    await page.getByTestId('eval-max-tokens').fill('4');
    await page.getByTestId('eval-start').click();

    const table = page.getByTestId('eval-comparison');
    await untilShown(table, app.failedJob);
    assert.match(await table.innerText(), /mini_math/);
    const row = table.locator('tbody tr', { hasText: 'tiny' });
    assert.equal(await row.count(), 1);
    // The only model is the best of its column: its cell is bold.
    assert.equal(await row.locator('td b').count(), 1);
    assert.match(await row.locator('td b').innerText(), /^\d+\.\d{2}$/);
    assert.equal(await page.getByTestId('eval-accuracy-chart').locator('circle').count() >= 1, true);
    assert.equal(await page.getByTestId('eval-language-chart').locator('rect').count(), 2);

    await row.locator('td button').click();
    const drill = page.getByTestId('eval-drilldown');
    await drill.waitFor();
    const text = await drill.innerText();
    assert.match(text, /Problems 1–3 of 3/);
    // Math is typeset as MathML by the shared renderer (two fractions in problem a), no TeX source shown.
    assert.equal(await drill.locator('.statement').first().locator('math mfrac').count(), 2);
    assert.doesNotMatch(text, /\\frac/);
    assert.equal(await drill.locator('.sample').count(), PROBLEMS.length * 2);

    await mkdir(ARTIFACTS, { recursive: true });
    await page.setViewportSize({ width: 1280, height: 1600 });
    await page.screenshot({ path: join(ARTIFACTS, 'evaluate.png') });
    await page.setViewportSize({ width: 1280, height: 800 });

    await page.getByTestId('eval-report').click();
    const path = await page.getByTestId('eval-report-path').innerText();
    assert.ok(existsSync(path), path);
    assert.match(readFileSync(path, 'utf8'), /<table id="comparison">/);
    assert.deepEqual(app.problems, []);
  });
});
