// The Korean web font ships with the app (#24 point 7): on a machine without a Korean font every Hangul
// glyph would be a box. The bundled Noto Sans KR loads from the app's own files under the page's CSP
// (font-src 'self'), is in the UI font stack, and Chromium really draws Korean text with it (CDP's
// CSS.getPlatformFontsForNode names the font used for the glyphs).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { launchChromium, openApp, type AppUnderTest } from '../helpers/browser.ts';

describe('bundled Korean font (serve mode, Chromium)', () => {
  let browser: Browser;
  let app: AppUnderTest;

  before(async () => {
    browser = await launchChromium();
    app = await openApp(browser, { locale: 'ko' });
  });

  after(async () => {
    await app?.close();
    await browser?.close();
  });

  it('loads Noto Sans KR from the app and draws Hangul with it', async () => {
    const { page } = app;
    assert.match(await page.evaluate(() => getComputedStyle(document.body).fontFamily), /Noto Sans KR Variable/);
    const fontRequests: string[] = [];
    page.on('requestfinished', (req) => {
      if (req.url().endsWith('.woff2')) fontRequests.push(req.url());
    });
    // An element that can only use the bundled family: its Hangul must come from that font.
    const loaded = await page.evaluate(async () => {
      const probe = document.createElement('p');
      probe.id = 'font-probe';
      probe.textContent = '생각 연구실: 한국어로 생각하는 작은 모델';
      probe.style.fontFamily = "'Noto Sans KR Variable'";
      document.body.append(probe);
      const faces = await document.fonts.load("16px 'Noto Sans KR Variable'", probe.textContent);
      return faces.map((f) => f.status);
    });
    assert.ok(loaded.length >= 1 && loaded.every((s) => s === 'loaded'), JSON.stringify(loaded));
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('DOM.enable');
    await cdp.send('CSS.enable');
    const { root } = await cdp.send('DOM.getDocument');
    const { nodeId } = await cdp.send('DOM.querySelector', { nodeId: root.nodeId, selector: '#font-probe' });
    const { fonts } = await cdp.send('CSS.getPlatformFontsForNode', { nodeId });
    const used = fonts.filter((f) => f.glyphCount > 0);
    assert.ok(used.some((f) => f.isCustomFont && /Noto Sans KR/i.test(f.familyName)), JSON.stringify(used));
    assert.ok(fontRequests.length >= 1 && fontRequests.every((u) => u.startsWith(new URL(page.url()).origin)), fontRequests.join(', '));
    assert.deepEqual(app.problems, []);
  });
});
