// The rows table with 100k rows: only a window of rows is in the DOM, scrolling far shows the right
// later rows, and only the pages on screen are fetched (not everything scrolled past).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Locator } from 'playwright-core';
import { launchChromium, openApp, type AppUnderTest } from '../helpers/browser.ts';

const TOTAL = 100_000;
/** Scroll steps of the far jump (one per animation frame). */
const STEPS = 30;

function jsonl(): string {
  const lines: string[] = [];
  for (let i = 0; i < TOTAL; i++) lines.push(JSON.stringify({ n: i, text: `row-${i}`, lang: i % 2 ? 'ko' : 'en' }));
  return lines.join('\n') + '\n';
}

/** For each rendered, loaded row: its data-index and the `n` column it shows. */
async function renderedRows(table: Locator): Promise<{ index: number; n: number | null; text: string }[]> {
  return table.locator('[data-index]').evaluateAll((els) =>
    els.map((el) => {
      const cells = el.querySelectorAll('[role=gridcell]');
      const n = cells[1]?.textContent?.trim() ?? '';
      return { index: Number((el as HTMLElement).dataset.index), n: /^\d+$/.test(n) ? Number(n) : null, text: cells[2]?.textContent?.trim() ?? '' };
    }),
  );
}

describe('virtualized rows table (100k rows)', () => {
  let browser: Browser;
  let app: AppUnderTest;
  const rowRequests: string[] = [];

  before(async () => {
    browser = await launchChromium();
    app = await openApp(browser, { locale: 'en', viewport: { width: 1280, height: 800 } });
    await app.importBytes('big', 'big.jsonl', jsonl());
    app.page.on('request', (req) => {
      if (req.url().endsWith('/api/call/datasets.rows')) rowRequests.push(req.postData() ?? '');
    });
  });

  after(async () => {
    await app?.close();
    await browser?.close();
  });

  it('renders only a window of rows', async () => {
    const { page } = app;
    await page.getByTestId('dataset-big').click();
    const table = page.getByTestId('virtual-table');
    await table.locator('[data-index="0"]').getByText('row-0', { exact: true }).waitFor();
    assert.equal(await table.getAttribute('data-total'), String(TOTAL));
    const rows = await renderedRows(table);
    assert.ok(rows.length >= 20 && rows.length <= 60, `${rows.length} rows in the DOM`);
    for (const r of rows) if (r.n !== null) assert.equal(r.n, r.index, 'each line shows the row of its own index');
  });

  it('shows the right rows after scrolling far, fetching only the pages on screen', async () => {
    const { page } = app;
    const table = page.getByTestId('virtual-table');
    const before = rowRequests.length;
    // A jump to 90 % in small steps, as a dragged scrollbar produces.
    await table.evaluate(async (el, steps) => {
      const target = (el.scrollHeight - el.clientHeight) * 0.9;
      for (let k = 1; k <= steps; k++) {
        el.scrollTop = (target * k) / steps;
        await new Promise((r) => requestAnimationFrame(() => r(null)));
      }
    }, STEPS);
    await table.getByText('row-90000', { exact: true }).waitFor();
    const rows = await renderedRows(table);
    assert.ok(rows.length <= 60, `${rows.length} rows in the DOM after scrolling`);
    const loaded = rows.filter((r) => r.n !== null);
    assert.ok(loaded.length > 10);
    for (const r of loaded) {
      assert.equal(r.n, r.index);
      assert.equal(r.text, `row-${r.index}`);
    }
    assert.ok(Math.min(...rows.map((r) => r.index)) > 85_000);
    // 90 k rows were scrolled past (450 pages of 200). A window spans at most 2 pages, so even if every
    // one of the 30 scroll steps got its pages fetched that is 60 requests (plus the final window), not 450.
    const fetched = rowRequests.length - before;
    assert.ok(fetched >= 1 && fetched <= STEPS * 2 + 2, `${fetched} page requests`);
  });

  it('reaches the last row with the End key', async () => {
    const { page } = app;
    const table = page.getByTestId('virtual-table');
    await table.focus();
    await page.keyboard.press('End');
    const last = table.locator(`[data-index="${TOTAL - 1}"]`);
    await last.getByText(`row-${TOTAL - 1}`, { exact: true }).waitFor();
    assert.equal(await last.getAttribute('aria-selected'), 'true');
    const box = await last.boundingBox();
    const view = await table.boundingBox();
    assert.ok(box && view && box.y + box.height <= view.y + view.height + 1, 'the last row is fully visible');
  });

  it('ran without page errors, console errors or CSP violations', () => {
    assert.deepEqual(app.problems, []);
  });

  it('says so in the status bar when the server goes away', async () => {
    const { page } = app;
    assert.equal(await page.getByTestId('disconnected').count(), 0);
    await app.stopServer();
    await page.getByTestId('disconnected').waitFor();
    // The rows already on screen stay readable.
    assert.ok((await page.getByTestId('virtual-table').locator('[data-index]').count()) > 0);
  });
});
