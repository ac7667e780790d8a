// The Devices page's live GPU telemetry, driven by a fake nvidia-smi that speaks the real CSV format (two
// GPUs, numbers changing every sample): both GPUs listed with uuid, readings that move while the page is
// open, and the utilisation and memory charts growing.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { launchChromium, openApp, untilShown, type AppUnderTest } from '../helpers/browser.ts';

describe('Devices page: live GPU telemetry (serve mode, Chromium, fake nvidia-smi)', () => {
  let browser: Browser;
  let app: AppUnderTest;

  before(async () => {
    browser = await launchChromium();
    app = await openApp(browser, { locale: 'en', fakeNvidiaSmi: true });
  });

  after(async () => {
    await app?.close();
    await browser?.close();
  });

  it('lists both GPUs and updates their readings every second', async () => {
    const { page } = app;
    await page.getByTestId('nav-devices').click();
    const rows = page.getByTestId('gpu-row');
    await untilShown(rows.first());
    assert.equal(await rows.count(), 2);
    assert.match(await rows.nth(0).innerText(), /NVIDIA A100-SXM4-80GB GPU-0000aaaa-1111-2222-3333-444455556666/);
    assert.equal(await rows.nth(1).getByTestId('gpu-power').innerText(), '—', '[N/A] power shows as a dash');
    // The fake's utilisation of GPU 0 grows by 10 points per sample: two different readings a few seconds apart.
    const first = await rows.nth(0).getByTestId('gpu-utilization').innerText();
    await page.waitForFunction(
      (before) => document.querySelector('[data-testid="gpu-row"] [data-testid="gpu-utilization"]')?.textContent?.trim() !== before,
      first.trim(),
      { timeout: 15_000 },
    );
    const charts = page.getByTestId('gpu-telemetry');
    await untilShown(charts);
    const paths = charts.getByTestId('gpu-utilization-chart').locator('path[data-series]');
    assert.equal(await paths.count(), 2, 'one line per GPU');
    await page.waitForFunction(() => {
      const p = document.querySelector('[data-testid="gpu-memory-chart"] path[data-series]');
      return Number(p?.getAttribute('data-points') ?? 0) >= 3;
    }, undefined, { timeout: 15_000 });
  });

  it('ran without page errors, console errors or CSP violations', () => {
    assert.deepEqual(app.problems, []);
  });
});
