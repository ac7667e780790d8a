// The Reward playground against real serve mode: the reward-hacking example scores low on language with
// its formulas highlighted as stripped math; the good Korean example scores high with correct=true; live
// update, the target language, Korean strings and the dark theme, all under the server's CSP.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { launchChromium, openApp, type AppUnderTest } from '../helpers/browser.ts';

const ARTIFACTS = join(import.meta.dirname, '..', 'artifacts');

describe('reward playground (serve mode, Chromium)', () => {
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

  it('is reachable from the navigation', async () => {
    const { page } = app;
    await page.getByTestId('nav-rewards').click();
    await page.getByRole('heading', { name: 'Reward playground' }).waitFor();
    await page.getByText(/LLM judge and the reward model are not run here/).waitFor();
  });

  it('scores the reward-hacking example low on language and highlights its formulas', async () => {
    const { page } = app;
    // Live update off: this test drives evaluation with the button.
    await page.getByLabel('Live update').uncheck();
    await page.getByTestId('rewards-example-hacking').click();
    await page.getByTestId('rewards-evaluate').click();
    const language = page.getByTestId('reward-row-language');
    await language.waitFor();
    const score = Number(await language.getByTestId('reward-score').innerText());
    assert.ok(score < 0.2, `language score ${score}`);
    assert.match(await language.innerText(), /mostly formulas or code/);

    const marks = page.getByTestId('rewards-thinking').locator('mark[data-kind="math"]');
    assert.ok((await marks.count()) >= 20, `math marks: ${await marks.count()}`);
    assert.match(await marks.first().innerText(), /^\$\$x_\{1\} = \\frac/);
    // The summary is drawn apart from the thinking, unhighlighted.
    assert.match(await page.getByTestId('rewards-summary').innerText(), /정답: \$\\boxed\{5\}\$/);
    assert.equal(await page.getByTestId('rewards-summary').locator('mark').count(), 0);
  });

  it('scores the good Korean example high, with correct=true for its answer (Ctrl+Enter)', async () => {
    const { page } = app;
    await page.getByTestId('rewards-example-good').click();
    const total = page.getByTestId('rewards-total');
    const before = await total.innerText();
    await page.getByTestId('rewards-response').press('Control+Enter');
    await page.waitForFunction((old) => document.querySelector('[data-testid="rewards-total"]')?.textContent !== old, before);
    assert.equal(Number(await page.getByTestId('reward-row-language').getByTestId('reward-score').innerText()), 1);
    assert.ok(Number(await total.innerText()) >= 0.95);
    assert.equal((await page.getByTestId('rewards-correct').innerText()).trim(), 'correct=true');
    assert.match(await page.getByTestId('rewards-answer').innerText(), /Extracted\s+5/);
    assert.ok((await page.getByTestId('rewards-thinking').locator('mark[data-kind="math"]').count()) > 0);

    // The page scrolls inside the shell, so a tall viewport is what shows all of it in one picture.
    await mkdir(ARTIFACTS, { recursive: true });
    await page.setViewportSize({ width: 1280, height: 1400 });
    await page.screenshot({ path: join(ARTIFACTS, 'rewards.png') });
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it('updates live while typing, follows the target language, and reports bad input', async () => {
    const { page } = app;
    await page.getByLabel('Live update').check();
    await page.getByTestId('rewards-example-english').click();
    const language = page.getByTestId('reward-row-language').getByTestId('reward-score');
    await page.waitForFunction(() => document.querySelector('[data-testid="reward-row-language"] [data-testid="reward-score"]')?.textContent === '0.00');
    await page.getByTestId('rewards-lang').selectOption('en');
    await page.waitForFunction(() => document.querySelector('[data-testid="reward-row-language"] [data-testid="reward-score"]')?.textContent === '1.00');
    assert.equal(await language.innerText(), '1.00');
    await page.getByTestId('rewards-lang').selectOption('auto');

    await page.getByTestId('rewards-gold').fill('9'.repeat(1001));
    await page.getByTestId('rewards-error').waitFor();
    assert.match(await page.getByTestId('rewards-error').innerText(), /gold/);
    await page.getByTestId('rewards-gold').fill('5');
    await page.getByTestId('rewards-error').waitFor({ state: 'detached' });
  });

  it('shows Korean strings, in the dark theme too', async () => {
    const { page } = app;
    await page.getByTestId('language-select').selectOption('ko');
    await page.getByTestId('theme-select').selectOption('dark');
    await page.getByRole('heading', { name: '보상 실험실' }).waitFor();
    assert.equal((await page.getByTestId('nav-rewards').innerText()).trim(), '보상');
    await page.getByTestId('rewards-example-hacking').click();
    // Live update evaluates the loaded example: wait for its (low) language score.
    await page.getByTestId('reward-row-language').filter({ hasText: '0.01' }).waitFor();
    await page.getByText('생각 블록 하나').waitFor();
    await page.setViewportSize({ width: 1280, height: 1400 });
    await page.screenshot({ path: join(ARTIFACTS, 'rewards-ko-dark.png') });
  });

  it('ran without page errors, console errors or CSP violations', () => {
    assert.deepEqual(app.problems, []);
  });
});
