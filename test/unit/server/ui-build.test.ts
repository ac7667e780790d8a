// #31: serve builds the UI when dist/renderer is missing or older than its sources. The states are read
// from file times; the build itself is exercised end to end by test/e2e/serve-fresh.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureUiBuilt, uiBuildState } from '../../../main/server/ui-build.ts';

test('the UI counts as missing, stale or fresh from its sources\' and its build\'s times', async () => {
  const root = await mkdtemp(join(tmpdir(), 'saenggak-ui-'));
  try {
    assert.equal(await uiBuildState(root), 'no-sources', 'an installed package without sources is left alone');
    await mkdir(join(root, 'renderer', 'src', 'lib'), { recursive: true });
    await writeFile(join(root, 'renderer', 'index.html'), '<!doctype html>');
    await writeFile(join(root, 'renderer', 'src', 'lib', 'deep.ts'), 'export {}');
    await writeFile(join(root, 'vite.config.ts'), 'export default {}');
    assert.equal(await uiBuildState(root), 'missing');

    await mkdir(join(root, 'dist', 'renderer'), { recursive: true });
    await writeFile(join(root, 'dist', 'renderer', 'index.html'), '<!doctype html>');
    const t = Date.now() / 1000;
    for (const p of ['renderer', 'renderer/src', 'renderer/src/lib', 'renderer/index.html', 'renderer/src/lib/deep.ts', 'vite.config.ts']) {
      await utimes(join(root, p), t - 100, t - 100);
    }
    await utimes(join(root, 'dist', 'renderer', 'index.html'), t - 50, t - 50);
    assert.equal(await uiBuildState(root), 'fresh');
    assert.equal(await ensureUiBuilt(root, () => assert.fail('a fresh build is not rebuilt')), 'fresh');

    // A source file deep in the tree, changed after the build, makes it stale; so does the build config.
    await utimes(join(root, 'renderer', 'src', 'lib', 'deep.ts'), t - 10, t - 10);
    assert.equal(await uiBuildState(root), 'stale');
    await utimes(join(root, 'renderer', 'src', 'lib', 'deep.ts'), t - 100, t - 100);
    await utimes(join(root, 'vite.config.ts'), t - 10, t - 10);
    assert.equal(await uiBuildState(root), 'stale');

    // Without vite installed the build fails with a message that says what to do, and keeps the old build.
    await assert.rejects(ensureUiBuilt(root, () => {}), /vite is not installed: run `npm install`/);
    assert.equal(await uiBuildState(root), 'stale');
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
