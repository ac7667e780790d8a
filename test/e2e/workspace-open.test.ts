// Opening a folder that cannot be a workspace says why (#24 point 4, the UI part): the back end's message
// names the folder; the page no longer collapses it into "No workspace is open".
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { launchChromium, openApp, type AppUnderTest } from '../helpers/browser.ts';

describe('workspace page: a folder that does not exist (serve mode, Chromium)', () => {
  let browser: Browser;
  let app: AppUnderTest;

  before(async () => {
    browser = await launchChromium();
    app = await openApp(browser, { locale: 'en' });
  });

  after(async () => {
    await app?.close();
    await browser?.close();
  });

  it('shows the reason with the folder, not "No workspace is open"', async () => {
    const { page } = app;
    await page.locator('nav button.workspace, button.workspace').first().click();
    const missing = join(app.workspace, '..', 'no-such-folder');
    await page.getByTestId('workspace-path').fill(missing);
    await page.getByTestId('workspace-open').click();
    const alert = page.locator('.error-text[role="alert"]');
    await alert.waitFor();
    const text = await alert.innerText();
    assert.match(text, /no-such-folder/);
    assert.doesNotMatch(text, /^No workspace is open\.?$/);
  });
});
