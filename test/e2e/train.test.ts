// The Train page against real serve mode: run folders written by RunFolder + MetricsLog in the test's
// workspace are listed, the selected run's charts draw exactly the logged points, two runs compare on
// one chart, the GRPO rollout viewer shows a step's responses with the stripped spans marked, the
// New-run form's memory estimate refuses a model that cannot fit and accepts a tiny one, and the Korean
// strings are complete — all under the server's CSP.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { launchChromium, openApp, untilShown, untilTrue, type AppUnderTest } from '../helpers/browser.ts';
import { RunFolder } from '../../main/train/run/index.ts';
import { arithmeticAlphabet, arithmeticProblems, arithmeticRow, writeCompactTokenizer } from '../../main/train/tasks/index.ts';
import { Tokenizer } from '../../main/models/tokenizer.ts';
import { presetConfig } from '../../main/models/presets.ts';
import { initWeights } from '../../main/models/init.ts';
import { saveModel } from '../../main/models/weights.ts';
import type { ModelConfig } from '../../main/models/config.ts';
import { workspacePaths } from '../../main/store/index.ts';
import { trainEn } from '../../renderer/src/lib/i18n/train.en.ts';
import { trainKo } from '../../renderer/src/lib/i18n/train.ko.ts';

const ARTIFACTS = join(import.meta.dirname, '..', 'artifacts');

async function writeSftRun(root: string, name: string, steps: number, evalEvery: number) {
  const folder = RunFolder.inWorkspace(root, name);
  await folder.create({ name, kind: 'sft', config: { model: 'models/tiny', data: 'arith', maxSteps: steps }, totalSteps: steps, baseModel: 'models/tiny', data: 'arith' });
  const log = folder.openMetrics();
  for (let step = 1; step <= steps; step++) {
    log.append({ step, split: 'train', loss: 3 * Math.exp(-step / 8) + 0.1, lr: 1e-3 * Math.min(1, step / 3), grad_norm: 1 / Math.sqrt(step), tokens_per_s: 900 + step });
    if (step % evalEvery === 0) log.append({ step, split: 'eval', loss: 3.2 * Math.exp(-step / 9) + 0.15 });
  }
  log.close();
  await folder.update({ status: 'finished', step: steps, summary: { loss: 0.2 } });
}

const THINKING = '<think>\n먼저 $3 \\times 4 = 12$ 를 계산합니다. 그다음 5를 더하면 17입니다.\n</think>\n\n답은 \\boxed{17}입니다.';

async function writeGrpoRun(root: string) {
  const folder = RunFolder.inWorkspace(root, 'grpo-a');
  await folder.create({ name: 'grpo-a', kind: 'grpo', config: { model: 'runs/sft-a/output', prompts: { dataset: 'arith' } }, totalSteps: 10 });
  const log = folder.openMetrics();
  for (let step = 1; step <= 3; step++) {
    log.append({ step, split: 'train', reward: 0.3 * step, 'rewards/accuracy': 0.2 * step, 'rewards/language': 0.5, accuracy: 0.2 * step, lang_share: 0.8, kl: 0.01 * step, clip_fraction: 0.05, entropy: 1.1, 'time/rollout': 2, 'time/update': 1 });
  }
  log.close();
  mkdirSync(folder.samplesDir, { recursive: true });
  const mathStart = THINKING.indexOf('$3');
  const mathEnd = THINKING.indexOf('$ 를') + 1;
  const group = (prompt: string) => ({
    prompt,
    answer: '17',
    lang: 'ko',
    responses: [0, 1, 2, 3].map((i) => ({
      text: i % 2 === 0 ? THINKING : '<think>\nI think the answer is 16.\n</think>\n\n답은 \\boxed{16}입니다.',
      rewards: { total: i % 2 === 0 ? 1.6 : 0.1, accuracy: i % 2 === 0 ? 1 : 0, format: 1, language: i % 2 === 0 ? 1 : 0 },
      advantage: i % 2 === 0 ? 0.87 : -0.87,
      spans: i % 2 === 0 ? [{ start: mathStart, end: mathEnd, kind: 'math' }] : [],
    })),
  });
  writeFileSync(join(folder.samplesDir, 'step-1.jsonl'), JSON.stringify(group('첫 스텝: 3 × 4 + 5는?')) + '\n');
  writeFileSync(join(folder.samplesDir, 'step-3.jsonl'), [group('3 × 4 + 5는?'), group('12 + 5는?')].map((g) => JSON.stringify(g)).join('\n') + '\n');
  await folder.update({ status: 'stopped', step: 3 });
}

/** config.json of a Qwen2 model (the estimate reads only this). */
function writeModelConfig(dir: string, size: 'tiny' | 'huge') {
  mkdirSync(dir, { recursive: true });
  const dims = size === 'tiny'
    ? { hidden_size: 64, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2, intermediate_size: 128, vocab_size: 100, tie_word_embeddings: true }
    : { hidden_size: 8192, num_hidden_layers: 80, num_attention_heads: 64, num_key_value_heads: 8, intermediate_size: 28672, vocab_size: 152064, tie_word_embeddings: false };
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ model_type: 'qwen2', architectures: ['Qwen2ForCausalLM'], max_position_embeddings: 4096, ...dims }));
}

/** A real, very small student: qwen2-style, hidden 32, 2 layers, the compact character-level tokenizer. */
function writeStudent(dir: string) {
  const tokDir = join(dir, '.tokenizer');
  writeCompactTokenizer(tokDir, arithmeticAlphabet());
  const tokenizer = Tokenizer.load(tokDir);
  const base = presetConfig('qwen2', 'tiny', { vocabSize: tokenizer.vocabSize, bosTokenId: null, eosTokenIds: [tokenizer.eosTokenId!], padTokenId: tokenizer.padTokenId, maxPositionEmbeddings: 512 });
  const config: ModelConfig = { ...base, hiddenSize: 32, numLayers: 2, numHeads: 2, numKvHeads: 2, headDim: 16, intermediateSize: 64, ropeTheta: 10000 };
  saveModel(dir, { config, weights: initWeights(config, { seed: 1 }), generationConfig: null }, { tokenizerDir: tokDir });
}

describe('train page (serve mode, Chromium)', () => {
  let browser: Browser;
  let app: AppUnderTest;

  before(async () => {
    browser = await launchChromium();
    app = await openApp(browser, { locale: 'en', viewport: { width: 1400, height: 900 } });
    await writeSftRun(app.workspace, 'sft-a', 24, 6);
    await writeSftRun(app.workspace, 'sft-b', 15, 5);
    await writeGrpoRun(app.workspace);
    writeModelConfig(join(workspacePaths(app.workspace).models, 'tiny'), 'tiny');
    writeModelConfig(join(workspacePaths(app.workspace).models, 'huge'), 'huge');
    writeStudent(join(workspacePaths(app.workspace).models, 'student'));
    const problems = arithmeticProblems({ count: 24, seed: 3, steps: 2 });
    await app.importBytes('arith-sft', 'arith-sft.jsonl', problems.map((p) => JSON.stringify(arithmeticRow(p))).join('\n') + '\n');
    await app.importBytes('arith', 'arith.jsonl', JSON.stringify({ prompt: '3 + 4는?', response: '<think>3 + 4 = 7</think>\n\n답은 7입니다.' }) + '\n');
  });

  after(async () => {
    await app?.close();
    await browser?.close();
  });

  it('lists the runs with kind, status and steps', async () => {
    const { page } = app;
    await page.getByTestId('nav-train').click();
    await page.getByRole('heading', { name: 'Train' }).waitFor();
    const rows = page.getByTestId('run-row');
    await rows.first().waitFor();
    assert.equal(await rows.count(), 3);
    const sftA = page.locator('[data-testid="run-row"][data-run="sft-a"]');
    assert.match(await sftA.innerText(), /SFT[\s\S]*finished[\s\S]*step 24 \/ 24/);
    assert.match(await page.locator('[data-testid="run-row"][data-run="grpo-a"]').innerText(), /GRPO[\s\S]*stopped[\s\S]*step 3 \/ 10/);
  });

  it('draws the selected run’s charts with one point per logged step', async () => {
    const { page } = app;
    await page.locator('[data-testid="run-row"][data-run="sft-a"]').click();
    const loss = page.getByTestId('chart-loss');
    await loss.locator('path[data-series="loss"]').waitFor();
    assert.equal(await loss.locator('path[data-series="loss"]').getAttribute('data-points'), '24');
    assert.equal(await loss.locator('path[data-series="eval/loss"]').getAttribute('data-points'), '4');
    for (const chart of ['chart-lr', 'chart-gradNorm', 'chart-throughput']) {
      assert.equal(await page.getByTestId(chart).locator('path.line').getAttribute('data-points'), '24', chart);
    }
    // Hovering shows every series' value at the nearest step.
    const box = (await loss.locator('rect.hit').boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.5, box.y + box.height / 2);
    const tip = loss.getByTestId('chart-tooltip');
    await tip.waitFor();
    assert.match(await tip.innerText(), /Step \d+[\s\S]*loss/);
    // The keyboard moves the same guide: End shows the last step.
    await loss.locator('svg').focus();
    await page.keyboard.press('End');
    assert.match(await tip.innerText(), /Step 24[\s\S]*loss/);
    assert.equal(await loss.locator('svg').getAttribute('aria-valuenow'), '24');
    await page.keyboard.press('ArrowLeft');
    assert.match(await tip.innerText(), /Step 23/);
    // Log scale keeps the points and marks the axis.
    await page.getByTestId('log-loss').check();
    assert.equal(await loss.getAttribute('data-log'), 'y');
    assert.equal(await loss.locator('path[data-series="loss"]').getAttribute('data-points'), '24');
    assert.match(await page.getByTestId('run-view').innerText(), /Checkpoints\s+none yet/);
  });

  it('compares two runs on one chart', async () => {
    const { page } = app;
    await page.locator('[data-testid="run-row"][data-run="sft-a"]').getByTestId('compare-toggle').check();
    await page.locator('[data-testid="run-row"][data-run="sft-b"]').getByTestId('compare-toggle').check();
    const chart = page.getByTestId('compare-chart');
    await chart.locator('path[data-series="sft-b"]').waitFor();
    assert.equal(await chart.locator('path[data-series="sft-a"]').getAttribute('data-points'), '24');
    assert.equal(await chart.locator('path[data-series="sft-b"]').getAttribute('data-points'), '15');
    await page.getByTestId('compare-metric').selectOption('eval/loss');
    await page.waitForFunction(() => document.querySelector('[data-testid="compare-chart"] path[data-series="sft-a"]')?.getAttribute('data-points') === '4');
    assert.equal(await chart.locator('path[data-series="sft-b"]').getAttribute('data-points'), '3');
  });

  it('shows a GRPO run’s charts and a step’s rollouts with thinking folded and stripped spans marked', async () => {
    const { page } = app;
    await page.locator('[data-testid="run-row"][data-run="grpo-a"]').click();
    await page.getByTestId('chart-reward').locator('path[data-series="reward"]').waitFor();
    assert.equal(await page.getByTestId('chart-reward').locator('path.line').count(), 3);
    for (const chart of ['chart-accuracy', 'chart-lang', 'chart-kl', 'chart-clip', 'chart-entropy', 'chart-time']) {
      assert.ok(await page.getByTestId(chart).locator('path.line').count() >= 1, chart);
    }
    const viewer = page.getByTestId('rollouts');
    await viewer.getByTestId('rollout-group').first().waitFor();
    assert.equal(await viewer.getByTestId('rollout-step').inputValue(), '3', 'the newest step first');
    assert.equal(await viewer.getByTestId('rollout-group').count(), 2);
    // 2 prompts × 4 responses: four rewards of 1.6 and four of 0.1 in the step's histogram.
    const bars = viewer.getByTestId('reward-histogram').locator('rect.bar');
    const counts = await bars.evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-count'))));
    assert.deepEqual([counts[0], counts.at(-1), counts.reduce((a, b) => a + b, 0)], [4, 4, 8]);
    const first = viewer.getByTestId('rollout-group').first();
    assert.equal(await first.getByTestId('rollout-response').count(), 4);
    assert.match(await first.getByTestId('rollout-response').first().innerText(), /Reward 1\.6[\s\S]*Advantage \+0\.87[\s\S]*accuracy 1/);
    const details = first.getByTestId('rollout-response').first().locator('details');
    assert.equal(await details.getAttribute('open'), null, 'thinking starts folded');
    await details.locator('summary').click();
    const mark = details.locator('mark[data-kind="math"]');
    assert.equal(await mark.innerText(), '$3 \\times 4 = 12$');
    assert.equal(await first.getByTestId('rollout-summary').first().innerText(), '답은 \\boxed{17}입니다.');

    await mkdir(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'train-rollouts.png'), fullPage: true });
    await viewer.getByTestId('rollout-step').selectOption('1');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="rollout-group"]').length === 1);
    assert.match(await viewer.getByTestId('rollout-group').innerText(), /첫 스텝/);
  });

  it('estimates memory live in the New-run form and refuses a run that cannot fit', async () => {
    const { page } = app;
    await page.getByTestId('new-run').click();
    const form = page.getByTestId('new-run-form');
    await form.getByTestId('run-provider').selectOption('cpu');
    await form.getByTestId('run-dataset').selectOption('arith');
    await form.getByTestId('run-method').selectOption('full');
    await form.getByTestId('run-model').fill(join(workspacePaths(app.workspace).models, 'huge'));
    const estimate = form.getByTestId('memory-estimate');
    await page.waitForFunction(() => document.querySelector('[data-testid="memory-estimate"]')?.getAttribute('data-fits') === 'false');
    assert.ok(await form.getByTestId('run-start').isDisabled());
    assert.match(await estimate.innerText(), /does not fit[\s\S]*To make it fit/);

    await form.getByTestId('run-model').fill(join(workspacePaths(app.workspace).models, 'tiny'));
    await page.waitForFunction(() => document.querySelector('[data-testid="memory-estimate"]')?.getAttribute('data-fits') === 'true');
    assert.ok(await form.getByTestId('run-start').isEnabled());
    assert.match(await estimate.innerText(), /80,704 of 80,704 parameters trained/);
    // The planner's peak (what pipeline check says for the same shape) and the GPU sizes that hold it.
    assert.match(await estimate.getByTestId('memory-planned').innerText(), /planned peak [\d.,]+ \S+ .*fits GPUs of 24 GB, 40 GB, 80 GB/);
    // LoRA trains far fewer parameters; the estimate follows the form.
    await form.getByTestId('run-method').selectOption('lora');
    await page.waitForFunction(() => !/80,704 of 80,704/.test(document.querySelector('[data-testid="memory-estimate"]')?.textContent ?? ''));

    await mkdir(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'train-form.png') });
  });

  it('starts a real tiny SFT run from the form and follows it to the end', async () => {
    const { page } = app;
    const form = page.getByTestId('new-run-form');
    await form.getByTestId('run-model').fill(join(workspacePaths(app.workspace).models, 'student'));
    await form.getByTestId('run-dataset').selectOption('arith-sft');
    await form.getByTestId('run-method').selectOption('full');
    await form.getByTestId('run-name').fill('tiny-sft');
    await form.getByTestId('run-maxSeqLength').fill('256');
    await form.getByTestId('run-batchSize').fill('4');
    await form.getByTestId('run-maxSteps').fill('6');
    await form.getByTestId('run-learningRate').fill('0.003');
    await form.getByTestId('run-evalSplit').fill('0.2');
    await form.getByTestId('run-evalEvery').fill('2');
    await page.waitForFunction(() => document.querySelector('[data-testid="memory-estimate"]')?.getAttribute('data-fits') === 'true');
    await form.getByTestId('run-start').click();

    const view = page.locator('[data-testid="run-view"][data-run="tiny-sft"]');
    await untilShown(view);
    await untilTrue(page, () => document.querySelector('[data-testid="run-status"]')?.textContent?.trim() === 'finished');
    // The charts hold exactly what the trainer logged: one train point per optimizer step, eval every 2.
    const logged = await app.call('runs.metrics', { name: 'tiny-sft', from: 0 });
    const trainSteps = new Set(logged.records.filter((r) => r.split === 'train').map((r) => r.step));
    const evalSteps = new Set(logged.records.filter((r) => r.split === 'eval').map((r) => r.step));
    assert.equal(trainSteps.size, 6);
    assert.ok(evalSteps.size >= 3, `eval points at ${[...evalSteps]}`);
    const loss = view.getByTestId('chart-loss');
    await untilTrue(page, () => document.querySelector('[data-testid="run-view"] [data-testid="chart-loss"] path[data-series="loss"]')?.getAttribute('data-points') === '6');
    await untilTrue(
      page,
      (n) => document.querySelector('[data-testid="run-view"] [data-testid="chart-loss"] path[data-series="eval/loss"]')?.getAttribute('data-points') === String(n),
      evalSteps.size,
    );
    for (const chart of ['chart-lr', 'chart-gradNorm', 'chart-throughput']) await view.getByTestId(chart).locator('path.line').first().waitFor();
    assert.match(await view.innerText(), /step 6 \/ 6/);
    // The job's log is shown and the run's output is listed as a model to start from.
    const logPanel = view.getByTestId('run-log-panel');
    if (!(await logPanel.evaluate((d) => (d as HTMLDetailsElement).open))) await view.getByText('Log', { exact: true }).click();
    await untilTrue(page, () => (document.querySelector('[data-testid="run-log"]')?.textContent ?? '').includes('finished'));
    // The run's output is listed as a model to start from (polled until it is: the listing reads run.json,
    // written last; the test runner's timeout is the backstop).
    let models = await app.call('runs.models', {});
    while (!models.some((m) => m.source === 'run' && m.run === 'tiny-sft')) {
      await new Promise((r) => setTimeout(r, 200));
      models = await app.call('runs.models', {});
    }
    assert.ok(models.some((m) => m.source === 'run' && m.run === 'tiny-sft'), JSON.stringify(models.map((m) => m.name)));
  });

  it('stops a real run from the page and resumes it where it stopped', async () => {
    const { page } = app;
    const student = join(workspacePaths(app.workspace).models, 'student');
    await app.call('runs.start', {
      kind: 'sft',
      config: { name: 'long-sft', model: student, data: 'arith-sft', method: { kind: 'full' }, maxSeqLength: 256, batchSize: 2, maxSteps: 20000, evalSplit: 0, saveEvery: 0, provider: 'cpu' },
    });
    await untilShown(page.locator('[data-testid="run-row"][data-run="long-sft"]'));
    await page.locator('[data-testid="run-row"][data-run="long-sft"]').click();
    const view = page.locator('[data-testid="run-view"][data-run="long-sft"]');
    const stepOf = async () => Number(/step (\d+)/.exec(await view.innerText())?.[1] ?? 0);
    await untilTrue(page, () => /step ([3-9]|\d\d+) \//.test(document.querySelector('[data-testid="run-view"]')?.textContent ?? ''));
    await view.getByTestId('run-stop').click();
    await untilTrue(page, () => document.querySelector('[data-testid="run-status"]')?.textContent?.trim() === 'stopped');
    const stoppedAt = await stepOf();
    assert.ok(stoppedAt >= 3 && stoppedAt < 20000, `stopped at ${stoppedAt}`);
    const details = await app.call('runs.get', { name: 'long-sft' });
    assert.equal(details.checkpoints.at(-1), stoppedAt, 'a checkpoint at the stopping step');

    await view.getByTestId('run-resume').click();
    await untilTrue(page, (at) => {
      const m = /step (\d+) \//.exec(document.querySelector('[data-testid="run-view"]')?.textContent ?? '');
      return m !== null && Number(m[1]) >= at + 2;
    }, stoppedAt);
    await view.getByTestId('run-stop').click();
    await untilTrue(page, () => document.querySelector('[data-testid="run-status"]')?.textContent?.trim() === 'stopped');
    // One curve: every step once, continuing from the checkpoint.
    const steps = (await app.call('runs.metrics', { name: 'long-sft', from: 0 })).records.filter((r) => r.split === 'train').map((r) => r.step);
    assert.deepEqual(steps, Array.from({ length: steps.length }, (_, i) => i + 1));
    assert.ok(steps.length >= stoppedAt + 2);
    const jobs = await app.call('jobs.list', { limit: 20 });
    assert.equal(jobs.filter((j) => j.params?.run === 'long-sft').length, 2, 'the resume ran as a second job');
  });

  it('has every string in Korean and draws the page in Korean', async () => {
    assert.deepEqual(Object.keys(trainKo).sort(), Object.keys(trainEn).sort());
    for (const [key, text] of Object.entries(trainKo)) assert.ok(text.trim().length > 0, key);
    const { page } = app;
    await page.evaluate(() => localStorage.setItem('saenggak.locale', 'ko'));
    await page.reload();
    await page.getByTestId('nav-train').click();
    await page.getByRole('heading', { name: '학습' }).waitFor();
    await page.locator('[data-testid="run-row"][data-run="sft-a"]').click();
    await page.getByTestId('chart-loss').waitFor();
    assert.match(await page.getByTestId('runs-table').innerText(), /완료[\s\S]*스텝 24 \/ 24/);
    assert.match(await page.getByTestId('chart-loss').innerText(), /손실/);
    await page.setViewportSize({ width: 1400, height: 1300 });
    await page.screenshot({ path: join(ARTIFACTS, 'train.png') });
    assert.deepEqual(app.problems, []);
  });
});
