// The Jobs and Devices pages against real serve mode: a finished import with its log, the execution
// providers of this machine, and the GPU set-up command copied to the clipboard.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { launchChromium, openApp, untilShown, type AppUnderTest } from '../helpers/browser.ts';

describe('jobs and devices pages (serve mode, Chromium)', () => {
  let browser: Browser;
  let app: AppUnderTest;

  before(async () => {
    browser = await launchChromium();
    app = await openApp(browser, { locale: 'en' });
    await app.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: app.origin });
  });

  after(async () => {
    await app?.close();
    await browser?.close();
  });

  it('lists a finished import job with its status, progress and log', async () => {
    const { page } = app;
    const job = await app.importBytes('tiny', 'tiny.jsonl', '{"a":1}\n{"a":2}\n{"a":3}\n');
    await page.getByTestId('nav-jobs').click();
    const row = page.getByTestId('job-row').filter({ hasText: job.id });
    await row.getByText('Succeeded').waitFor();
    assert.match(await row.innerText(), new RegExp(job.title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
    assert.equal(await row.getByTestId('job-cancel').count(), 0, 'a finished job cannot be cancelled');
    await row.click();
    const log = page.getByTestId('job-log');
    await log.filter({ hasText: 'tiny' }).waitFor();
    const expected = (await app.call('jobs.log', { id: job.id, tail: 200 })).lines;
    assert.ok(expected.length > 0);
    assert.equal((await log.innerText()).trim(), expected.join('\n').trim());
  });

  it('translates job titles from the record\'s kind and params', async () => {
    const { page } = app;
    const [job] = await app.call('jobs.list', { limit: 1 });
    assert.deepEqual(job!.params, { dataset: 'tiny', fileName: 'tiny.jsonl' });
    await page.getByTestId('nav-jobs').click();
    await page.getByTestId('language-select').selectOption('ko');
    const row = page.getByTestId('job-row').filter({ hasText: job!.id });
    await row.getByText('tiny.jsonl → tiny 가져오기').waitFor();
    await page.getByTestId('language-select').selectOption('en');
    await row.getByText('Import tiny.jsonl into tiny').waitFor();
  });

  it('shows the execution providers, with CPU available, and copies the GPU set-up command', async () => {
    const { page } = app;
    await page.getByTestId('nav-devices').click();
    const providers = page.getByTestId('providers-table');
    await untilShown(providers); // the device probe takes what it takes on a busy machine
    const cpuRow = providers.locator('tr', { hasText: 'cpu' });
    assert.match(await cpuRow.innerText(), /Available/);
    const info = await app.call('devices.info', {});
    assert.equal(await providers.locator('tbody tr').count(), info.providers.length);
    const command = (await page.getByTestId('gpu-setup-command').innerText()).trim();
    assert.equal(command, info.gpuSetupCommand);
    const commandRow = page.getByTestId('gpu-setup-command-row');
    await commandRow.getByRole('button', { name: 'Copy' }).click();
    await commandRow.getByRole('button', { name: 'Copied' }).waitFor();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), info.gpuSetupCommand);
  });

  it('ran without page errors, console errors or CSP violations', () => {
    assert.deepEqual(app.problems, []);
  });
});
