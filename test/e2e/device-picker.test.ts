// The run form's device picker (#21) with a fake nvidia-smi (two GPUs, the real CSV format): the picker
// lists both GPUs and the CPU, shows the default and why before start (no CUDA libraries here, so the
// CPU), and a run started on cuda:1 is a job on cuda:1, shown with its device on the Jobs page (the job itself
// fails at once: its model folder does not exist; the queue is what is checked).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { launchChromium, openApp, type AppUnderTest } from '../helpers/browser.ts';

describe('Train page: device picker (serve mode, Chromium, fake nvidia-smi)', () => {
  let browser: Browser;
  let app: AppUnderTest;

  before(async () => {
    browser = await launchChromium();
    app = await openApp(browser, { locale: 'en', fakeNvidiaSmi: true });
    await app.importBytes('arith', 'arith.jsonl', JSON.stringify({ prompt: '3 + 4는?', response: '<think>3 + 4 = 7</think>\n\n답은 7입니다.' }) + '\n');
  });

  after(async () => {
    await app?.close();
    await browser?.close();
  });

  it('lists the two GPUs, shows the default before start, and starts a run on cuda:1', async () => {
    const { page } = app;
    await page.getByTestId('nav-train').click();
    await page.getByTestId('new-run').click();
    const form = page.getByTestId('new-run-form');
    const picker = form.getByTestId('run-device');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="run-device"] option').length >= 4, undefined, { timeout: 30_000 });
    const options = await picker.locator('option').allInnerTexts();
    assert.match(options[1], /^cuda:0 · NVIDIA A100-SXM4-80GB · \d+\.\d of 80\.0 GiB free/);
    assert.match(options[2], /^cuda:1 · NVIDIA GeForce RTX 4090/);
    assert.ok(options.includes('cpu'), options.join(' | '));
    // No CUDA libraries on this machine: the default is the CPU, and the form says why before start.
    assert.equal(options[0], 'Default (cpu)');
    const hint = form.getByTestId('run-device-default');
    await hint.waitFor({ timeout: 30_000 });
    assert.match(await hint.innerText(), /Starts on cpu \(cpu: CUDA support is not installed/);

    await picker.selectOption('cuda:1');
    assert.match(await hint.innerText(), /Starts on cuda:1/);
    // A model folder that does not exist (inside the allowed folder): the job fails on its own, after it was queued on cuda:1.
    await form.getByTestId('run-model').fill(join(app.workspace, 'no-such-model'));
    await form.getByTestId('run-dataset').selectOption('arith');
    await form.getByTestId('run-name').fill('on-gpu-1');
    await form.getByTestId('run-start').click();
    // The job fails at once (no model, so no run folder either); what matters is where it was queued.
    let job: Awaited<ReturnType<typeof app.call<'jobs.list'>>>[number] | undefined;
    for (const end = Date.now() + 30_000; !job && Date.now() < end; await new Promise((r) => setTimeout(r, 200))) {
      job = (await app.call('jobs.list', { limit: 20 })).find((j) => j.kind === 'sft');
    }
    assert.equal(await form.getByTestId('start-error').count(), 0, 'runs.start accepted the run');
    assert.equal(job?.device, 'cuda:1', 'the job went to cuda:1\'s queue');
    await page.getByTestId('nav-jobs').click();
    const shown = page.getByTestId('job-device').or(page.getByTestId('job-queue')).first();
    await shown.waitFor({ timeout: 30_000 });
    assert.match(await shown.innerText(), /cuda:1/);
  });
});
