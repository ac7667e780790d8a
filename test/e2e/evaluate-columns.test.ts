// Evaluate any dataset (#24 point 1), in serve mode with Chromium as a user would: a plain prompt/answer
// dataset is evaluated with the mapping detected from its column names; a dataset with odd column names is
// mapped with the pickers (Evaluate stays disabled until both roles are chosen); a pipeline run's held-out
// split is offered as a benchmark; and a failing evaluation shows its message once, the stack behind
// "Details".
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { launchChromium, openApp, untilShown, type AppUnderTest } from '../helpers/browser.ts';
import { createModelFolder } from '../../main/models/init.ts';
import { workspacePaths } from '../../main/store/index.ts';
import { PIPELINE_STATE_FORMAT } from '../../main/pipeline/state.ts';

const plain = [
  { prompt: '2 더하기 3은?', answer: '5' },
  { prompt: '4 곱하기 2는?', answer: '8' },
];
const odd = [
  { q_text: 'What is 1+1?', gold_value: '2', empty: '' },
  { q_text: 'What is 2+2?', gold_value: '4', empty: '' },
];

describe('evaluate any dataset: column mapping (serve mode, Chromium)', () => {
  let browser: Browser;
  let app: AppUnderTest;

  before(async () => {
    browser = await launchChromium();
    app = await openApp(browser, { locale: 'en' });
    createModelFolder({ family: 'qwen2', preset: 'tiny', outDir: join(workspacePaths(app.workspace).models, 'tiny'), seed: 2 });
    await app.importBytes('plain_pa', 'plain_pa.jsonl', plain.map((r) => JSON.stringify(r)).join('\n') + '\n');
    await app.importBytes('odd_cols', 'odd_cols.jsonl', odd.map((r) => JSON.stringify(r)).join('\n') + '\n');
    // What the demo's data stage leaves behind: pipelines/demo/state.json naming its held-out split.
    const dir = join(workspacePaths(app.workspace).pipelines, 'demo');
    mkdirSync(join(dir, 'data'), { recursive: true });
    const heldout = join(dir, 'data', 'heldout.jsonl');
    writeFileSync(heldout, [{ id: 'heldout-0', prompt: '1 더하기 1은?', answer: '2', lang: 'ko' }].map((r) => JSON.stringify(r)).join('\n') + '\n');
    const state = { format: PIPELINE_STATE_FORMAT, name: 'demo', status: 'finished', updatedAt: new Date().toISOString(), stages: { data: { status: 'finished', outputs: { heldout } } } };
    writeFileSync(join(dir, 'state.json'), JSON.stringify(state));
  });

  after(async () => {
    await app?.close();
    await browser?.close();
  });

  it('evaluates a plain prompt/answer dataset with the detected columns', async () => {
    const { page } = app;
    await page.getByTestId('nav-evaluate').click();
    await page.getByRole('heading', { name: 'Evaluate' }).waitFor();
    await page.getByTestId('eval-models').getByLabel(/tiny/).check();
    await page.getByTestId('eval-benchmarks').getByLabel(/plain_pa/).check();
    const columns = page.getByTestId('eval-columns');
    await columns.getByText('detected from the column names').waitFor();
    assert.equal(await columns.getByTestId('eval-column-problem').inputValue(), 'prompt');
    assert.equal(await columns.getByTestId('eval-column-answer').inputValue(), 'answer');
    await page.getByTestId('eval-max-tokens').fill('3');
    await page.getByTestId('eval-start').click();
    const table = page.getByTestId('eval-comparison');
    await untilShown(table, app.failedJob);
    assert.match(await table.innerText(), /plain_pa/);
    await page.getByTestId('eval-benchmarks').getByLabel(/plain_pa/).uncheck();
  });

  it('maps odd column names with the pickers; a pipeline held-out split is selectable', async () => {
    const { page } = app;
    const benchmarks = page.getByTestId('eval-benchmarks');
    // The demo's held-out split is on offer, labelled by its pipeline, with its columns detected.
    await benchmarks.getByLabel('demo/heldout').check();
    const heldout = page.getByTestId('eval-columns').filter({ hasText: 'demo/heldout' });
    await heldout.getByText('detected from the column names').waitFor();
    assert.equal(await heldout.getByTestId('eval-column-problem').inputValue(), 'prompt');
    await benchmarks.getByLabel('demo/heldout').uncheck();

    await benchmarks.getByLabel(/odd_cols/).check();
    const box = page.getByTestId('eval-columns').filter({ hasText: 'odd_cols' });
    await box.getByTestId('eval-columns-missing').waitFor();
    assert.equal(await page.getByTestId('eval-start').isDisabled(), true);
    // Each option shows the first row's value beside the column name.
    assert.match(await box.getByTestId('eval-column-problem').innerText(), /q_text — What is 1\+1\?/);
    await box.getByTestId('eval-column-problem').selectOption('q_text');
    assert.equal(await page.getByTestId('eval-start').isDisabled(), true);
    await box.getByTestId('eval-column-answer').selectOption('gold_value');
    assert.equal(await box.getByTestId('eval-columns-missing').count(), 0);
    await page.getByTestId('eval-max-tokens').fill('3');
    await page.getByTestId('eval-start').click();
    await untilShown(page.getByTestId('eval-comparison').getByText('odd_cols'), app.failedJob);
  });

  it('a failed evaluation shows its message once and the stack only under Details', async () => {
    const { page } = app;
    const box = page.getByTestId('eval-columns').filter({ hasText: 'odd_cols' });
    // A column with no answers: the job fails with a sentence naming the row and the column.
    await box.getByTestId('eval-column-answer').selectOption('empty');
    await page.getByTestId('eval-start').click();
    const error = page.getByTestId('eval-job-error');
    await error.waitFor();
    const message = /row 1 has no answer in column "empty"/g;
    const visible = await page.locator('main, body').first().innerText();
    assert.equal(visible.match(message)?.length, 1, visible);
    const details = error.locator('details');
    assert.equal(await details.getAttribute('open'), null);
    assert.equal(await error.locator('pre').isVisible(), false);
    await details.locator('summary').click();
    assert.match(await error.locator('pre').innerText(), /Last log lines:[\s\S]*\n\s*at /);
    assert.doesNotMatch(await error.locator('.message').innerText(), /^Error:|\bat /);
    const pageErrors = app.problems.filter((p) => !/status of 4\d\d/.test(p));
    assert.deepEqual(pageErrors, []);
  });
});
