// The Recipe page's device picker (#21) with a fake nvidia-smi (two GPUs, the real CSV format): before
// start the page shows the default device and why (the CPU here: no CUDA libraries), the picker offers both
// GPUs, and Run with cuda:1 picked starts the `pipeline` job in cuda:1's queue with that device's environment,
// as `pipeline run --device cuda:1` would: its SFT stage asks onnxruntime for CUDA, which is not installed
// here, so the job fails with the engine's "cuda was requested" message — the proof the choice reached the
// job process, not just its record.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { launchChromium, openApp, type AppUnderTest } from '../helpers/browser.ts';

const RECIPE = `name: device-demo
description: tiny recipe for the device picker test
seed: 1
provider: cpu
model:
  make: { shape: { hiddenSize: 32, numLayers: 1, numHeads: 2, numKvHeads: 1, intermediateSize: 64, maxPositionEmbeddings: 256 }, seed: 1 }
data: { task: korean-arithmetic, train: 16, prompts: 0, heldout: 2, steps: 1 }
sft: { method: { kind: full }, maxSeqLength: 96, packing: false, batchSize: 4, maxSteps: 2, learningRate: 0.003, warmupSteps: 0, decay: constant, evalSplit: 0, evalEvery: 0, saveEvery: 0 }
eval: { maxNewTokens: 4 }
report: { title: Device demo }
`;

describe('Recipe page: device picker (serve mode, Chromium, fake nvidia-smi)', () => {
  let browser: Browser;
  let app: AppUnderTest;
  let recipePath: string;

  before(async () => {
    browser = await launchChromium();
    app = await openApp(browser, { locale: 'en', fakeNvidiaSmi: true });
    recipePath = join(app.workspace, '..', 'device-demo.yaml');
    await writeFile(recipePath, RECIPE);
  });

  after(async () => {
    await app?.close();
    await browser?.close();
  });

  it('shows the default before start and runs the pipeline job on the picked cuda:1', async () => {
    const { page } = app;
    await page.getByTestId('nav-recipe').click();
    await page.getByTestId('recipe-open-path').fill(recipePath);
    await page.getByTestId('recipe-open').click();
    await page.getByTestId('recipe-item').filter({ hasText: 'device-demo' }).waitFor();

    const area = page.getByTestId('recipe-device');
    const picker = area.getByTestId('run-device');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="recipe-device"] [data-testid="run-device"] option').length >= 4, undefined, { timeout: 30_000 });
    const options = await picker.locator('option').allInnerTexts();
    assert.equal(options[0], 'Default (cpu)');
    assert.match(options[1], /^cuda:0 · NVIDIA A100-SXM4-80GB/);
    assert.match(options[2], /^cuda:1 · NVIDIA GeForce RTX 4090/);
    const hint = area.getByTestId('run-device-default');
    await hint.waitFor({ timeout: 30_000 });
    assert.match(await hint.innerText(), /Starts on cpu \(cpu: CUDA support is not installed/);

    await picker.selectOption('cuda:1');
    assert.match(await hint.innerText(), /Starts on cuda:1/);
    await page.getByTestId('recipe-run').click();

    let job: Awaited<ReturnType<typeof app.call<'jobs.list'>>>[number] | undefined;
    for (const end = Date.now() + 30_000; !job && Date.now() < end; await new Promise((r) => setTimeout(r, 200))) {
      job = (await app.call('jobs.list', { limit: 20 })).find((j) => j.kind === 'pipeline');
    }
    assert.equal(job?.device, 'cuda:1', "the pipeline job went to cuda:1's queue");
    let final: typeof job | null = null;
    for (; !final; await new Promise((r) => setTimeout(r, 250))) {
      const now = await app.call('jobs.get', { id: job!.id });
      if (now.status !== 'running' && now.status !== 'queued') final = now;
    }
    // The job process ran with cuda:1's environment: its first session asked for CUDA, which this machine lacks.
    assert.equal(final.status, 'failed');
    assert.match(final.error ?? '', /execution provider 'cuda' was requested but is unavailable/);
    const log = (await app.call('jobs.log', { id: job!.id, tail: 200 })).lines.join('\n');
    assert.match(log, /cuda/);
  });
});
