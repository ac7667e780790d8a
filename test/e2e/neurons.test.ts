// The Neurons page against real serve mode: the workspace's selection files, the heat map, share per
// layer, chosen neurons, overlap with another selection (Korean too), and "Tune these" opening the SFT
// form preset for selective tuning of that selection.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { layerHeat, layerShares, randomSelectionLike, selectTop, SELECTION_FORMAT, type NeuronSelection } from '../../main/models/neurons/selection-file.ts';
import { launchChromium, openApp, type AppUnderTest } from '../helpers/browser.ts';

describe('neurons page (serve mode, Chromium)', () => {
  let browser: Browser;
  let app: AppUnderTest;
  let found: NeuronSelection;

  before(async () => {
    browser = await launchChromium();
    app = await openApp(browser, { locale: 'en' });
    // A lape-shaped selection over two layers of 64 neurons, and a random one of the same shape.
    const scores = [0, 1].map((layer) => ({ layer, scores: Array.from({ length: 64 }, (_, i) => (i % 16 === layer ? 0.9 : 0.01 * (i % 5))) }));
    const chosen = selectTop(scores, { topK: 8 });
    found = { format: SELECTION_FORMAT, model: '/models/tiny', method: 'lape', target: 'ko', layers: chosen, stats: { layers: layerShares(chosen, 64), heat: layerHeat(scores, 16) } };
    mkdirSync(join(app.workspace, 'neurons'), { recursive: true });
    writeFileSync(join(app.workspace, 'neurons', 'ko.json'), JSON.stringify(found));
    writeFileSync(join(app.workspace, 'neurons', 'random.json'), JSON.stringify(randomSelectionLike(found, 64, 3)));
    writeFileSync(join(app.workspace, 'neurons', 'not-a-selection.json'), '{"hello": 1}');
  });

  after(async () => {
    await app?.close();
    await browser?.close();
  });

  it('shows a selection: heat map by layer × bucket, share per layer, chosen neurons', async () => {
    const { page } = app;
    await page.getByTestId('nav-neurons').click();
    const items = page.getByTestId('selection-item');
    await items.first().waitFor();
    assert.equal(await items.count(), 2, 'only selection files are listed');
    await items.filter({ hasText: 'neurons/ko.json' }).click();
    const heat = page.getByTestId('neuron-heat');
    await heat.getByText('lape · target ko · 8 neurons').waitFor();
    assert.equal(await heat.locator('.heat-row').count(), 2);
    assert.equal(await heat.locator('.cell').count(), 32, '16 buckets per layer');
    const share = page.getByTestId('neuron-share');
    for (const s of found.stats.layers as { layer: number; selected: number }[]) await share.getByText(`${s.selected} of 64`).first().waitFor();
    const chosen = await page.getByTestId('neuron-chosen').innerText();
    for (const l of found.layers) if (l.neurons.length) assert.match(chosen, new RegExp(l.neurons.join(', ')));
  });

  it('compares two selections (overlap per layer) and speaks Korean', async () => {
    const { page } = app;
    const expected = await app.call('neurons.overlap', { a: join(app.workspace, 'neurons', 'ko.json'), b: join(app.workspace, 'neurons', 'random.json') });
    await page.getByTestId('neuron-overlap').locator('select').selectOption({ label: 'neurons/random.json' });
    await page.getByTestId('overlap-total').getByText(`${expected.shared} shared neurons, Jaccard ${expected.jaccard.toFixed(3)}`).waitFor();
    await page.getByTestId('language-select').selectOption('ko');
    await page.getByTestId('overlap-total').getByText(`공통 뉴런 ${expected.shared}개`).waitFor();
    await page.getByRole('heading', { name: '언어 뉴런' }).waitFor();
    await page.getByTestId('language-select').selectOption('en');
  });

  it('"Tune these" opens the SFT form for selective tuning of the selection', async () => {
    const { page } = app;
    await page.getByTestId('tune-these').click();
    const form = page.getByTestId('new-run-form');
    await form.waitFor();
    assert.equal(await page.getByTestId('run-neurons').inputValue(), join(app.workspace, 'neurons', 'ko.json'));
    assert.equal(await form.locator('select').filter({ has: page.locator('option[value="selective"]') }).first().inputValue(), 'selective');
  });

  it('ran without page errors, console errors or CSP violations', () => {
    assert.deepEqual(app.problems, []);
  });
});
