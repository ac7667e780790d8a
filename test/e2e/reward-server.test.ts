// The Devices page's reward server switch against real serve mode: toggle on, read the address and copy
// the token from the page, send a real POST /v1/rewards from the test with that token, watch the request
// count and rate move on the page, toggle off (the port then refuses), and see a port in use reported.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { launchChromium, openApp, untilTrue, type AppUnderTest } from '../helpers/browser.ts';

const ARTIFACTS = join(import.meta.dirname, '..', 'artifacts');
const ITEM = { prompt: '6 × 7은?', response: '<think>\n6에 7을 곱하면 42이다.\n</think>\n정답은 \\boxed{42}', ground_truth: '42', lang: 'ko', data_source: 'e2e' };

describe('reward server switch on the Devices page (serve mode, Chromium)', () => {
  let browser: Browser;
  let app: AppUnderTest;

  before(async () => {
    browser = await launchChromium();
    app = await openApp(browser, { locale: 'en' });
    // The token is copied through the clipboard, as a person would.
    await app.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: app.origin });
  });

  after(async () => {
    await app?.call('rewardServer.stop', {}).catch(() => undefined);
    await app?.close();
    await browser?.close();
  });

  it('toggles on, shows the address and a masked token, scores a real request and counts it, toggles off', async () => {
    const { page } = app;
    await page.getByTestId('nav-devices').click();
    const section = page.getByTestId('reward-server');
    await section.getByRole('heading', { name: /Reward server/ }).waitFor();
    const toggle = page.getByRole('switch', { name: 'Serve rewards over HTTP' });
    assert.equal(await toggle.getAttribute('aria-checked'), 'false');

    await page.getByTestId('reward-server-port').fill('0');
    await toggle.click();
    await page.waitForFunction(() => document.querySelector('[role="switch"]')?.getAttribute('aria-checked') === 'true');
    const origin = (await page.getByTestId('reward-server-address').innerText()).trim();
    assert.match(origin, /^http:\/\/127\.0\.0\.1:\d+$/);
    // The port field now shows the port actually bound.
    assert.equal(await page.getByTestId('reward-server-port').inputValue(), origin.split(':')[2]);

    const shownToken = await page.getByTestId('reward-server-token').innerText();
    assert.match(shownToken, /^•+[0-9a-f]{4}$/, 'the token is masked');
    await section.locator('dd', { has: page.getByTestId('reward-server-token') }).getByRole('button', { name: 'Copy' }).click();
    const token = await page.evaluate(() => navigator.clipboard.readText());
    assert.match(token, /^[0-9a-f]{64}$/);
    assert.ok(token.endsWith(shownToken.replace(/•/g, '')));
    const env = await page.getByTestId('reward-server-env').innerText();
    assert.match(env, new RegExp(`^SAENGGAK_REWARD_URL=${origin}\\nSAENGGAK_REWARD_TOKEN=•+[0-9a-f]{4}$`));
    assert.ok(!(await page.content()).includes(token), 'the full token is not in the page');

    // A real client with the copied token.
    const requests = page.getByTestId('reward-server-requests');
    assert.equal((await requests.innerText()).trim(), '0');
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${origin}/v1/rewards`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ items: [ITEM, ITEM] }) });
      assert.equal(res.status, 200);
      const { results } = (await res.json()) as { results: { score: number; components: Record<string, { score: number }> }[] };
      assert.equal(results.length, 2);
      assert.equal(results[0].components.accuracy.score, 1);
    }
    // The page polls about once a second: the counts and the rate move without a click.
    await untilTrue(page, () => document.querySelector('[data-testid="reward-server-requests"]')?.textContent?.trim() === '3');
    assert.equal((await page.getByTestId('reward-server-items').innerText()).trim(), '6');
    assert.ok(Number(await page.getByTestId('reward-server-rps').innerText()) > 0);
    await mkdir(ARTIFACTS, { recursive: true });
    await page.setViewportSize({ width: 1280, height: 1300 });
    await page.screenshot({ path: join(ARTIFACTS, 'reward-server.png') });
    await page.setViewportSize({ width: 1280, height: 800 });

    await toggle.click();
    await page.waitForFunction(() => document.querySelector('[role="switch"]')?.getAttribute('aria-checked') === 'false');
    await page.getByTestId('reward-server-off').waitFor();
    assert.equal(await page.getByTestId('reward-server-address').count(), 0);
    const refused = await fetch(`${origin}/health`, { headers: { authorization: `Bearer ${token}` } }).then(
      () => 'answered',
      (error: Error & { cause?: { code?: string } }) => error.cause?.code,
    );
    assert.equal(refused, 'ECONNREFUSED');
  });

  it('says when the port is in use, and asks before listening beyond loopback', async () => {
    const { page } = app;
    const blocker = createServer();
    await new Promise<void>((done) => blocker.listen(0, '127.0.0.1', done));
    const port = (blocker.address() as { port: number }).port;
    try {
      await page.getByTestId('reward-server-port').fill(String(port));
      await page.getByRole('switch', { name: 'Serve rewards over HTTP' }).click();
      const error = page.getByTestId('reward-server-error');
      await error.waitFor();
      assert.match(await error.innerText(), new RegExp(`Port ${port} is already in use`));
      assert.equal(await page.getByRole('switch').getAttribute('aria-checked'), 'false');
    } finally {
      await new Promise((done) => blocker.close(done));
    }

    await page.getByTestId('reward-server-host').fill('0.0.0.0');
    const warning = page.getByTestId('reward-server-expose');
    await warning.waitFor();
    assert.match(await warning.innerText(), /reachable from the network/);
    assert.ok(await page.getByRole('switch').isDisabled(), 'the switch waits for the explicit choice');
    await warning.getByRole('checkbox').check();
    assert.ok(await page.getByRole('switch').isEnabled());
    await page.getByTestId('reward-server-host').fill('127.0.0.1');
    assert.equal(await warning.count(), 0);
    assert.deepEqual(app.problems, []);
  });
});
