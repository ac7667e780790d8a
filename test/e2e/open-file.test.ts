// #24 in a browser (serve mode, Chromium, Korean UI): the pipeline report's texts, stage summaries, chart labels
// and hover texts, a GRPO ablation's verdicts, the reward reasons and the math verdict read in Korean; the
// report's file links download the files the lab wrote (byte for byte), a stage's model folder is shown to
// copy (a browser cannot download a folder), and a file outside the workspace is refused by the server; a training job's title and a GRPO run's metric names
// (chart legends, summary) are Korean.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, openApp, untilShown, type AppUnderTest } from '../helpers/browser.ts';
import { RunFolder } from '../../main/train/run/index.ts';
import { ablationHtml, summarizeAblation } from '../../main/pipeline/ablation-summary.ts';

const RECIPE = `name: files-demo
description: tiny recipe for the open-file test
seed: 1
provider: cpu
model:
  make: { shape: { hiddenSize: 32, numLayers: 1, numHeads: 2, numKvHeads: 1, intermediateSize: 64, maxPositionEmbeddings: 256 }, seed: 1 }
data: { task: korean-arithmetic, train: 16, prompts: 0, heldout: 3, steps: 1 }
eval: { maxNewTokens: 4 }
report: { title: Files demo }
`;

const HANGUL = /[\uac00-\ud7a3]/;

/** Clicks a file link and returns the downloaded file's name and bytes. */
async function download(page: Page, testid: string, nth = 0): Promise<{ name: string; bytes: Buffer; path: string }> {
  const link = page.getByTestId(testid).nth(nth);
  const path = (await link.getAttribute('data-path'))!;
  const [file] = await Promise.all([page.waitForEvent('download'), link.click()]);
  const saved = await file.path();
  return { name: file.suggestedFilename(), bytes: await readFile(saved!), path };
}

describe('open file and Korean report (serve mode, Chromium)', () => {
  let browser: Browser;
  let app: AppUnderTest;
  let recipePath: string;

  before(async () => {
    browser = await launchChromium();
    app = await openApp(browser, { locale: 'ko' });
    recipePath = join(app.workspace, '..', `${app.workspace.split('/').pop()}-files.yaml`);
    await writeFile(recipePath, RECIPE);
  });

  after(async () => {
    await app?.close();
    await browser?.close();
  });

  it('shows the report in Korean and downloads its files; nothing outside the workspace', async () => {
    const { page } = app;
    await page.getByTestId('nav-recipe').click();
    await page.getByTestId('recipe-open-path').fill(recipePath);
    await page.getByTestId('recipe-open').click();
    await page.getByTestId('recipe-item').filter({ hasText: 'files-demo' }).waitFor();
    const status = (value: string) => page.locator(`[data-testid="recipe-status"][data-status="${value}"]`);
    await page.getByTestId('recipe-run').click();
    await untilShown(status('finished'), status('failed'));
    const report = page.getByTestId('recipe-report-html');
    await report.waitFor();

    // The report body: headings, table heads, stage names and statuses, chart captions and SVG labels in Korean.
    assert.deepEqual(await report.locator('table#stages thead th').allInnerTexts(), ['단계', '상태', '초', '요약']);
    assert.equal(await report.locator('table#stages tbody tr').first().locator('td').first().innerText(), '기본 모델');
    assert.deepEqual(await report.locator('figcaption').allInnerTexts(), ['학습 전과 후', '생각 길이에 따른 정확도', '생각 과정이 주로 벤치마크 언어인 비율']);
    const svgLabels = await report.locator('svg text[data-i18n]').allTextContents();
    assert.ok(svgLabels.includes('heldout: 정확도') && svgLabels.includes('평균 생각 토큰 수'), svgLabels.join(' | '));
    for (const text of await report.locator('[data-i18n]').allTextContents()) assert.match(text, HANGUL, `untranslated: ${text}`);
    // The stage summary column: every entry in Korean, no English name left ("layers 1, hidden 32" was English).
    const modelSummary = await report.locator('table#stages tbody tr').first().locator('td.l').innerText();
    assert.match(modelSummary, /층 1개/);
    assert.match(modelSummary, /은닉 크기 32/);
    const summaries = await report.locator('table#stages tbody td.l').allInnerTexts();
    assert.ok(summaries.filter(Boolean).length >= 3, summaries.join(' | '));
    // (The benchmark's name, "heldout", is data and stays as it is.)
    for (const text of summaries) assert.doesNotMatch(text.replaceAll('heldout', ''), /[A-Za-z]{3,}/, `English in the summary column: ${text}`);
    // Chart hover texts (SVG <title>) of the report's charts and of the results chart above it, in Korean.
    const hovers = [...(await report.locator('svg title').allTextContents()), ...(await page.getByTestId('recipe-results').locator('svg title').allTextContents())];
    assert.ok(hovers.length >= 4, hovers.join(' | '));
    for (const text of hovers) assert.match(text, HANGUL, `untranslated hover text: ${text}`);
    assert.ok(hovers.some((t) => /^기본: \d/.test(t)) && hovers.some((t) => /토큰 [\d.]+개$/.test(t)), hovers.join(' | '));
    // Models in the charts' legends and labels by their Korean role names; the charts' accessible names too.
    const legend = await report.locator('svg text[data-i18n^="report.role."]').allTextContents();
    assert.ok(legend.includes('기본'), legend.join(' | '));
    assert.deepEqual(await report.locator('svg[data-i18n-aria]').evaluateAll((els) => els.map((e) => e.getAttribute('aria-label'))), ['학습 전과 후', '생각 길이에 따른 정확도', '생각 과정이 주로 벤치마크 언어인 비율']);
    // The results chart above the report too.
    const chartLabels = await page.getByTestId('recipe-results').locator('svg text[data-i18n]').allTextContents();
    assert.ok(chartLabels.length >= 3 && chartLabels.every((t) => HANGUL.test(t)), chartLabels.join(' | '));
    // Its model table's column heads too (the benchmark's name is data).
    const heads = await page.getByTestId('recipe-models').locator('thead th').allInnerTexts();
    assert.ok(heads.length >= 3 && heads.every((t) => t === 'heldout' || HANGUL.test(t)), heads.join(' | '));

    // The HTML and Markdown reports download byte for byte, under their own names.
    for (const [testid, name] of [['report-file-html', 'report.html'], ['report-file-md', 'report.md']]) {
      const file = await download(page, testid);
      assert.equal(file.name, name);
      assert.ok(file.path.startsWith(app.workspace), file.path);
      assert.deepEqual(file.bytes, await readFile(file.path));
    }
    // A stage's output file (the data stage's training split) downloads; the model stage's folder is shown to copy.
    const model = page.locator('[data-stage="model"]');
    await model.getByTestId('stage-output-path').waitFor();
    assert.equal(await model.getByTestId('stage-output').count(), 0, 'no download link for a folder');
    const results = await download(page, 'stage-output', 0);
    assert.equal(results.name, (await page.locator('[data-stage] [data-testid="stage-output"]').first().getAttribute('data-path'))!.split('/').pop());
    assert.deepEqual(results.bytes, await readFile(results.path));

    // The server hands out nothing outside the workspace, even with the token.
    // (Asked from here with the page's token: the refusals would be console errors in the page.)
    const token = await page.evaluate(() => sessionStorage.getItem('saenggak.token'));
    const refused: number[] = [];
    for (const p of ['/etc/passwd', `../${recipePath.split('/').pop()}`, join(app.workspace, '..', recipePath.split('/').pop()!)]) {
      refused.push((await fetch(`${app.origin}/api/file?path=${encodeURIComponent(p)}`, { headers: { authorization: `Bearer ${token}` } })).status);
    }
    assert.deepEqual(refused, [403, 403, 403]);
    const inside = await fetch(`${app.origin}/api/file?path=${encodeURIComponent(results.path)}`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(inside.status, 200, 'the same token reads a workspace file');

    // A training job's title is Korean on the Jobs page (it was "Train SFT run …" in every language).
    const pipeline = join(app.workspace, 'pipelines', 'files-demo');
    await app.call('runs.start', {
      kind: 'sft',
      config: { name: 'titled-sft', model: join(pipeline, 'model', 'base'), data: join(pipeline, 'data', 'train.jsonl'), method: { kind: 'full' }, maxSeqLength: 96, batchSize: 2, maxSteps: 2, evalSplit: 0, saveEvery: 0, provider: 'cpu' },
    });
    await page.getByTestId('nav-jobs').click();
    await page.getByTestId('job-row').filter({ hasText: 'SFT 실행 titled-sft 학습' }).waitFor();
  });

  it("says a GRPO ablation's verdicts in Korean", async () => {
    const { page } = app;
    // The ablation section as its stage writes it into report.html (its real statistics over given runs:
    // training the arms takes minutes), added to this recipe's report; the Recipe page reads the file again.
    const run = (arm: string, seed: number, accs: number[]) => ({ arm, seed, run: `${arm}-${seed}`, evals: accs.map((accuracy, i) => ({ step: 10 * (i + 1), accuracy, lang: 0.9 })), zeroVarianceShare: 0, droppedShare: 0 });
    const summary = summarizeAblation([run('baseline', 1, [0.5, 0.6]), run('baseline', 2, [0.4, 0.6]), run('strong', 1, [0.9, 0.95]), run('strong', 2, [0.9, 0.96]), run('same', 1, [0.2, 0.58]), run('same', 2, [0.1, 0.62]), run('weak', 1, [0.1, 0.2]), run('weak', 2, [0.1, 0.21])], 'baseline');
    await page.getByTestId('nav-recipe').click();
    const htmlPath = (await page.getByTestId('report-file-html').getAttribute('data-path'))!;
    const html = await readFile(htmlPath, 'utf8');
    await writeFile(htmlPath, html.replace('</body>', `${ablationHtml(summary)}\n</body>`));
    await page.reload();
    await page.getByTestId('nav-recipe').click();
    await page.getByTestId('recipe-item').filter({ hasText: 'files-demo' }).click();
    const verdicts = page.getByTestId('recipe-report-html').locator('#ablation-verdicts li');
    await verdicts.first().waitFor();
    const texts = await verdicts.allInnerTexts();
    assert.equal(texts.length, 4);
    assert.match(texts[0]!, /^기준: 시드 2개에서 60\.0% ± 0\.0%$/);
    assert.match(texts[1]!, /^strong: 기준 대비 \+35\.5%p, 잡음 범위 밖\(표준오차의 [\d.]+배\)$/);
    assert.match(texts[2]!, /^same: 기준 대비 \+0\.0%p, 잡음 범위 안\(시드 2개, 표준오차 2\.0%p\)$/);
    for (const text of texts) assert.doesNotMatch(text.replace(/^(strong|same|weak): /, ''), /[A-Za-z]{3,}/, `English in a verdict: ${text}`);
    const section = page.getByTestId('recipe-report-html');
    assert.equal(await section.locator('#ablation [data-i18n="report.ablation.notReached"]').innerText(), '닿지 못함');
    assert.match(await section.locator('[data-i18n="report.ablation.noiseRuleText"]').innerText(), /표준오차/);
  });

  it('gives reward reasons and the math verdict in Korean', async () => {
    const { page } = app;
    await page.getByTestId('nav-rewards').click();
    await page.getByTestId('rewards-prompt').fill('2에 3을 더하면?');
    await page.getByTestId('rewards-response').fill('<think>\nTwo plus three is five.\n</think>\n\n답은 \\boxed{5}입니다.');
    await page.getByTestId('rewards-gold').fill('5');
    await page.getByTestId('rewards-evaluate').click();
    const reason = (name: string) => page.getByTestId(`reward-row-${name}`).getByTestId('reward-reason');
    await reason('language').waitFor();
    const language = await reason('language').innerText();
    assert.match(language, /글의 100%가 ko가 아님/);
    assert.doesNotMatch(language, /prose|needed/);
    assert.match(await reason('accuracy').innerText(), /^같은 [^:]+: 5 대 정답 5$/);
    assert.equal(await reason('format').innerText(), '형식이 올바름');
    assert.match(await page.getByTestId('rewards-verdict').innerText(), /^\(같은 /);
  });

  it("names a GRPO run's metrics in Korean on the Train page", async () => {
    const { page } = app;
    // The metric keys the GRPO trainer logs (main/train/grpo/step-log.ts), in a run folder of the workspace.
    const folder = RunFolder.inWorkspace(app.workspace, 'grpo-ko');
    await folder.create({ name: 'grpo-ko', kind: 'grpo', config: { model: 'm' }, totalSteps: 2 });
    const log = folder.openMetrics();
    for (const step of [1, 2]) log.append({ step, split: 'train', reward: 0.5, 'rewards/accuracy/mean': 0.4, 'rewards/language/mean': 0.9, kl: 0.01, clip_fraction: 0.02, zero_variance_share: 0.25, thinking_length: 40 });
    log.append({ step: 2, split: 'eval', accuracy: 0.5, lang: 1, reward: 0.6 });
    log.close();
    await folder.update({ status: 'finished', step: 2, summary: { steps: 2, reward: 0.5, accuracy: 0.5, lang: 1 } });
    await page.getByTestId('nav-train').click();
    await page.locator('[data-testid="run-row"][data-run="grpo-ko"]').click();
    const view = page.locator('[data-testid="run-view"][data-run="grpo-ko"]');
    // The legends name the series in the UI language (data-series keeps the metric's stable id for tests).
    await view.locator('path[data-series]').first().waitFor({ state: 'attached' });
    const series = await view.locator('.legend button.key').allInnerTexts();
    for (const name of ['정확도 보상', '언어 보상', 'KL 발산', '클리핑 비율', '분산 0 그룹 비율', '생각 길이', '검증/정확도']) assert.ok(series.includes(name), `${name} in ${series.join(' | ')}`);
    for (const name of series) assert.match(name!, HANGUL, `untranslated series ${name}`);
    assert.match(await view.innerText(), /스텝 수 2 · 보상 0\.5/);
    assert.deepEqual(app.problems, []);
  });
});
