// The run page's Export panel against real serve mode: a finished run's output becomes an Ollama folder
// (model.gguf + Modelfile) through an export job; the panel shows the files when the job ends.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { launchChromium, openApp, untilShown, type AppUnderTest } from '../helpers/browser.ts';
import { RunFolder } from '../../main/train/run/index.ts';
import { createModelFolder } from '../../main/models/init.ts';
import { GGUFFile } from '../../main/export/gguf/gguf-reader.ts';

describe('Export panel', () => {
  let browser: Browser;
  let app: AppUnderTest;

  before(async () => {
    browser = await launchChromium();
    app = await openApp(browser, { locale: 'en', viewport: { width: 1400, height: 900 } });
    const folder = RunFolder.inWorkspace(app.workspace, 'sft-done');
    await folder.create({ name: 'sft-done', kind: 'sft', config: { model: 'models/tiny' }, totalSteps: 3 });
    createModelFolder({ family: 'qwen2', preset: 'tiny', outDir: folder.outputDir, seed: 4 });
    await folder.update({ status: 'finished', step: 3, output: folder.outputDir });
  });

  after(async () => {
    await app?.close();
    await browser?.close();
  });

  it('exports a finished run for Ollama and lists the written files', async () => {
    const { page } = app;
    await page.getByTestId('nav-train').click();
    await page.locator('[data-testid="run-row"][data-run="sft-done"]').click();
    const panel = page.getByTestId('run-export');
    await panel.waitFor();
    await page.getByTestId('export-format').selectOption('ollama');
    await page.getByTestId('export-quant').selectOption('q8_0');
    await page.getByTestId('export-start').click();
    await untilShown(panel.getByTestId('export-done'), panel.locator('[role="alert"]'));
    const dir = join(app.workspace, 'runs', 'sft-done', 'export', 'ollama-q8_0');
    const text = await panel.innerText();
    assert.ok(text.includes(join(dir, 'model.gguf')) && text.includes(join(dir, 'Modelfile')), text);
    assert.match(readFileSync(join(dir, 'Modelfile'), 'utf8'), /^PARAMETER stop "<\|im_end\|>"$/m);
    const f = GGUFFile.open(join(dir, 'model.gguf'));
    try {
      assert.equal(f.value('general.architecture'), 'qwen2');
      assert.equal(f.value('general.file_type'), 7);
    } finally {
      f.close();
    }
    assert.ok(existsSync(join(dir, 'model.gguf')));
  });
});
