// The Datasets page in a real browser against real serve mode: import a JSONL file through the file
// picker, see its row count, a row's content and the rejected line, re-import (duplicate question),
// search, switch to Korean, and save a screenshot for people to look at.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Browser } from 'playwright-core';
import { asyncBufferFromFile, parquetReadObjects } from 'hyparquet';
import { launchChromium, openApp, type AppUnderTest, untilShown } from '../helpers/browser.ts';

const ARTIFACTS = resolve(import.meta.dirname, '..', 'artifacts');

const goodRows = [
  { id: 1, prompt: '2 + 3 × 4는 얼마인가요?', answer: '14', source: 'amc' },
  { id: 2, prompt: 'What is the remainder when 2^10 is divided by 7?', answer: '2', source: 'aime' },
  { id: 3, prompt: '정육면체의 모서리는 몇 개인가요?', answer: '12', source: 'ko-math' },
  { id: 4, prompt: 'Find the sum of the first 20 odd numbers.', answer: '400', source: 'gsm' },
];
// Line 3 of the file is not JSON: the import must keep the other four and report that line.
const fileText = [
  JSON.stringify(goodRows[0]),
  JSON.stringify(goodRows[1]),
  '{"id": 99, "prompt": "unterminated',
  JSON.stringify(goodRows[2]),
  JSON.stringify(goodRows[3]),
].join('\n') + '\n';

describe('datasets page (serve mode, Chromium)', () => {
  let browser: Browser;
  let app: AppUnderTest;
  let dir: string;
  let file: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'saenggak-e2e-files-'));
    file = join(dir, 'math prompts.jsonl');
    await writeFile(file, fileText);
    browser = await launchChromium();
    app = await openApp(browser, { locale: 'en' });
  });

  after(async () => {
    await app?.close();
    await browser?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('opens on the Datasets page of the served workspace with an empty state', async () => {
    const { page } = app;
    await page.getByText('No datasets yet').first().waitFor();
    assert.equal(new URL(page.url()).search, '', 'the token must leave the address bar');
    assert.match(await page.getByTestId('statusbar').innerText(), /saenggak-e2e-/);
  });

  it('imports a JSONL file picked in the file chooser, with the bad line reported', async () => {
    const { page } = app;
    await page.getByTestId('file-input').setInputFiles(file);
    const name = page.getByTestId('import-name');
    await name.waitFor();
    assert.equal(await name.inputValue(), 'math_prompts', 'dataset name suggested from the file name');
    await page.getByTestId('import-start').click();

    // The import runs as a job: wait for what its end shows, however long a busy machine takes.
    await untilShown(page.getByTestId('dataset-title').filter({ hasText: 'math_prompts' }), app.failedJob);
    await untilShown(page.getByTestId('dataset-rows').filter({ hasText: '4 rows' }), app.failedJob);
    // A row's content, in the right column, in the windowed table.
    const table = page.getByTestId('virtual-table');
    await table.getByRole('gridcell', { name: '정육면체의 모서리는 몇 개인가요?' }).waitFor();
    const third = table.locator('[data-index="2"]');
    assert.match(await third.innerText(), /정육면체의 모서리는 몇 개인가요\?[\s\S]*12[\s\S]*ko-math/);

    const report = page.getByTestId('import-report');
    await report.waitFor();
    assert.match(await report.innerText(), /4 rows imported, 1 line rejected/);
    const rejected = report.locator('tbody tr');
    assert.equal(await rejected.count(), 1);
    assert.equal((await rejected.locator('td').first().innerText()).trim(), '3');
  });

  it('asks before importing the same file again, and imports on confirmation', async () => {
    const { page } = app;
    await page.getByTestId('file-input').setInputFiles(file);
    await page.getByTestId('import-name').fill('math_prompts_again');
    await page.getByTestId('import-start').click();
    const dialog = page.getByTestId('duplicate-dialog');
    await dialog.getByText('math_prompts', { exact: false }).first().waitFor();
    await page.getByTestId('duplicate-again').click();
    await page.getByTestId('dataset-math_prompts_again').waitFor();
    assert.match(await page.getByTestId('dataset-math_prompts_again').innerText(), /4 rows/);
  });

  it('imports a CSV file dropped onto the page', async () => {
    const { page } = app;
    const dataTransfer = await page.evaluateHandle(() => {
      const dt = new DataTransfer();
      const csv = 'question,answer\n"Is 91 prime? Explain, briefly",no\n삼각형 내각의 합은?,180\n';
      dt.items.add(new File([csv], 'dropped.csv', { type: 'text/csv' }));
      return dt;
    });
    const target = page.locator('main .page');
    await target.dispatchEvent('dragenter', { dataTransfer });
    await page.locator('.drop-overlay').waitFor();
    await target.dispatchEvent('drop', { dataTransfer });
    const name = page.getByTestId('import-name');
    await name.waitFor();
    assert.equal(await name.inputValue(), 'dropped');
    assert.equal(await page.getByTestId('import-dialog').getByLabel('Format').inputValue(), 'csv');
    await page.getByTestId('import-start').click();
    await untilShown(page.getByTestId('dataset-title').filter({ hasText: 'dropped' }), app.failedJob);
    await untilShown(page.getByTestId('dataset-rows').filter({ hasText: '2 rows' }), app.failedJob);
    // The quoted comma stays inside its field.
    await page.getByTestId('virtual-table').getByRole('gridcell', { name: 'Is 91 prime? Explain, briefly' }).waitFor();
    assert.equal(await page.locator('.drop-overlay').count(), 0);
  });

  it('imports a Korean Excel (CP949) CSV with the text encoding chosen in the form', async () => {
    const { page } = app;
    // Encoded by Debian's iconv; 똠 is outside EUC-KR proper, so only a real CP949 decoder gets it right.
    const bytes = [...execFileSync('iconv', ['-f', 'UTF-8', '-t', 'CP949'], { input: '문제,정답\r\n똠방각하의 별명은?,똥강아지\r\n' })];
    const dataTransfer = await page.evaluateHandle((b) => {
      const dt = new DataTransfer();
      dt.items.add(new File([new Uint8Array(b)], 'excel.csv', { type: 'text/csv' }));
      return dt;
    }, bytes);
    const target = page.locator('main .page');
    await target.dispatchEvent('dragenter', { dataTransfer });
    await page.locator('.drop-overlay').waitFor();
    await target.dispatchEvent('drop', { dataTransfer });
    await page.getByTestId('import-name').waitFor();
    await page.getByTestId('import-encoding').selectOption('cp949');
    await page.getByTestId('import-start').click();
    await untilShown(page.getByTestId('dataset-title').filter({ hasText: 'excel' }), app.failedJob);
    await page.getByTestId('virtual-table').getByRole('gridcell', { name: '똠방각하의 별명은?' }).waitFor();
  });

  it('searches rows by text', async () => {
    const { page } = app;
    await page.getByTestId('dataset-math_prompts').click();
    await page.getByTestId('search-input').fill('remainder');
    await page.getByTestId('search-count').filter({ hasText: '1 match' }).waitFor();
    const rowsShown = page.getByTestId('virtual-table').locator('[data-index]');
    await rowsShown.first().getByText('2^10', { exact: false }).waitFor();
    assert.equal(await rowsShown.count(), 1);
    await page.getByTestId('search-input').fill('');
    await page.getByTestId('virtual-table').locator('[data-index="3"]').waitFor();
  });

  it('switches the UI to Korean at run time and remembers it', async () => {
    const { page } = app;
    await page.getByTestId('language-select').selectOption('ko');
    await page.getByTestId('nav-datasets').filter({ hasText: '데이터셋' }).waitFor();
    await page.getByTestId('dataset-rows').filter({ hasText: '4행' }).waitFor();
    assert.equal(await page.evaluate(() => document.documentElement.lang), 'ko');
    await page.reload();
    await page.getByTestId('nav-jobs').filter({ hasText: '작업' }).waitFor();
    await page.getByTestId('language-select').selectOption('en');
    await page.getByTestId('nav-datasets').filter({ hasText: 'Datasets' }).waitFor();
  });

  it('saves a screenshot of the Datasets page', async () => {
    const { page } = app;
    await page.getByTestId('dataset-math_prompts').click();
    await page.getByTestId('virtual-table').locator('[data-index="1"]').click();
    await page.keyboard.press('Enter');
    await page.getByTestId('row-detail').waitFor();
    await mkdir(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'datasets.png') });
  });

  it('exports a dataset to a JSONL file on the server side', async () => {
    const { page } = app;
    await page.getByTestId('dataset-math_prompts').click();
    await page.getByTestId('export-button').click();
    const target = join(app.workspace, 'from-ui.jsonl');
    await page.getByTestId('export-dialog').getByRole('textbox').fill(target);
    await page.getByTestId('export-dialog').getByRole('button', { name: 'Export' }).click();
    await untilShown(page.getByText(`Wrote 4 rows to ${target}.`), app.failedJob);
    const written = (await readFile(target, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.deepEqual(
      written.map((r) => r.prompt),
      goodRows.map((r) => r.prompt),
    );
  });

  it('exports as Parquet in chat format: the format picker sets the extension and the file reads back as messages', async () => {
    const { page } = app;
    await page.getByTestId('dataset-math_prompts').click();
    await page.getByTestId('export-button').click();
    const dialog = page.getByTestId('export-dialog');
    await dialog.getByRole('radio', { name: 'Parquet' }).check();
    assert.match(await dialog.getByRole('textbox').inputValue(), /math_prompts\.parquet$/);
    assert.equal(await dialog.getByRole('checkbox').isChecked(), true, 'Parquet is always chat format');
    assert.equal(await dialog.getByRole('checkbox').isDisabled(), true);
    const target = join(app.workspace, 'from-ui.parquet');
    await dialog.getByRole('textbox').fill(target);
    await dialog.getByRole('button', { name: 'Export' }).click();
    await untilShown(page.getByText(`Wrote 4 rows to ${target}.`), app.failedJob);
    const file = await asyncBufferFromFile(target);
    const rows = (await parquetReadObjects({ file })) as { messages: { role: string; content: string }[] }[];
    assert.deepEqual(
      rows.map((r) => r.messages.map((m) => [m.role, m.content])),
      goodRows.map((r) => [['user', r.prompt], ['assistant', r.answer]]),
    );
  });

  it('deletes a dataset after confirmation', async () => {
    const { page } = app;
    await page.getByTestId('dataset-math_prompts_again').click();
    await page.getByTestId('delete-button').click();
    await page.getByTestId('delete-dialog').getByText('4 rows').waitFor();
    await page.getByTestId('delete-confirm').click();
    await page.getByTestId('dataset-math_prompts_again').waitFor({ state: 'detached' });
    const names = (await app.call('datasets.list', {})).map((d) => d.name);
    assert.deepEqual(names.sort(), ['dropped', 'excel', 'math_prompts']);
  });

  it('ran without page errors, console errors or CSP violations', () => {
    assert.deepEqual(app.problems, []);
  });
});
