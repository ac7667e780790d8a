// The Recipe page in Korean and the dark theme (#24 points 5 and 6): Check shows a busy state while it
// runs; after a run (tiny model, held-out evaluation, report) the before/after chart's text and grid follow
// the theme — every chart label has at least WCAG AA contrast (4.5:1) against the page behind it — and the
// report is the rendered HTML report in a themed article; the job's title is Korean.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { launchChromium, openApp, untilShown, type AppUnderTest } from '../helpers/browser.ts';

const ARTIFACTS = join(import.meta.dirname, '..', 'artifacts');

const RECIPE = `name: dark-demo
description: tiny recipe for the dark-theme test
seed: 1
provider: cpu
model:
  make: { shape: { hiddenSize: 32, numLayers: 1, numHeads: 2, numKvHeads: 1, intermediateSize: 64, maxPositionEmbeddings: 256 }, seed: 1 }
data: { task: korean-arithmetic, train: 16, prompts: 0, heldout: 3, steps: 1 }
eval: { maxNewTokens: 4 }
report: { title: Dark demo }
`;

/** Relative luminance and contrast ratio (WCAG 2.x) of two CSS rgb()/rgba() colours. */
function contrast(a: string, b: string): number {
  const lum = (css: string) => {
    const [r, g, bl] = (css.match(/[\d.]+/g) ?? []).slice(0, 3).map(Number).map((v) => {
      const c = v / 255;
      return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * bl;
  };
  const [hi, lo] = [lum(a), lum(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

describe('recipe page in Korean, dark theme (serve mode, Chromium)', () => {
  let browser: Browser;
  let app: AppUnderTest;
  let recipePath: string;

  before(async () => {
    browser = await launchChromium();
    app = await openApp(browser, { locale: 'ko', colorScheme: 'dark' });
    recipePath = join(app.workspace, '..', `${app.workspace.split('/').pop()}-dark.yaml`);
    await writeFile(recipePath, RECIPE);
  });

  after(async () => {
    await app?.close();
    await browser?.close();
  });

  it('shows Check as busy, chart text with AA contrast on dark, and the HTML report', async () => {
    const { page } = app;
    await page.getByTestId('nav-recipe').click();
    await page.getByTestId('recipe-open-path').fill(recipePath);
    await page.getByTestId('recipe-open').click();
    await page.getByTestId('recipe-item').filter({ hasText: 'dark-demo' }).waitFor();

    // Check: the button is disabled and says it is checking until the report arrives.
    const check = page.getByTestId('recipe-check');
    const sawBusy = page.waitForFunction(() => {
      const b = document.querySelector('[data-testid="recipe-check"]') as HTMLButtonElement | null;
      return b?.disabled === true && b.getAttribute('aria-busy') === 'true' && /검사 중/.test(b.textContent ?? '');
    }, undefined, { polling: 'raf' });
    await check.click();
    await sawBusy;
    await page.getByTestId('recipe-check-report').waitFor();
    assert.equal(await check.isDisabled(), false);

    const status = (value: string) => page.locator(`[data-testid="recipe-status"][data-status="${value}"]`);
    await page.getByTestId('recipe-run').click();
    await untilShown(status('finished'), status('failed'));
    const chart = page.getByTestId('recipe-results').locator('figure.chart svg');
    await chart.waitFor();

    const colours = await chart.evaluate((svg) => {
      // The background the chart sits on: the first ancestor with an opaque background colour.
      let el: Element | null = svg;
      let bg = 'rgb(255, 255, 255)';
      while (el) {
        const c = getComputedStyle(el).backgroundColor;
        if (c && !/rgba\(0, 0, 0, 0\)|transparent/.test(c)) {
          bg = c;
          break;
        }
        el = el.parentElement;
      }
      return { bg, texts: Array.from(svg.querySelectorAll('text')).map((t) => getComputedStyle(t).fill) };
    });
    assert.ok(colours.texts.length >= 3, 'the chart has labels');
    for (const fill of colours.texts) assert.ok(contrast(fill, colours.bg) >= 4.5, `chart text ${fill} on ${colours.bg}: ${contrast(fill, colours.bg).toFixed(2)}:1`);
    // The page really is dark (the check above would be trivial on white).
    assert.ok(contrast(colours.bg, 'rgb(0, 0, 0)') < 2, `background ${colours.bg}`);

    const report = page.getByTestId('recipe-report-html');
    assert.equal(await report.locator('h1').innerText(), 'Dark demo');
    assert.ok((await report.locator('table#stages tr').count()) >= 4);
    // The report's own charts follow the theme too.
    const reportFills = await report.locator('svg text').evaluateAll((els) => els.map((t) => getComputedStyle(t).fill));
    assert.ok(reportFills.length >= 3);
    for (const fill of reportFills) assert.ok(contrast(fill, colours.bg) >= 4.5, `report chart text ${fill} on ${colours.bg}`);
    // The pipeline job's title is Korean on the Jobs page (#24 point 7).
    await page.getByTestId('nav-jobs').click();
    await page.getByTestId('job-row').filter({ hasText: '파이프라인 dark-demo' }).waitFor();
    await page.getByTestId('nav-recipe').click();
    await page.getByTestId('recipe-report-html').waitFor();

    await mkdir(ARTIFACTS, { recursive: true });
    await page.setViewportSize({ width: 1280, height: 1400 });
    await page.screenshot({ path: join(ARTIFACTS, 'recipe-dark-ko.png') });
    assert.deepEqual(app.problems, []);
  });
});
