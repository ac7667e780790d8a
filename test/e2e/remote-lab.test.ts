// A remote GPU box (#21): two real serve-mode instances on two workspaces — A in this process (no GPU here),
// B a separate `saenggak serve` process with a fake nvidia-smi of two GPUs and `--allow-origin` A's origin,
// as a GPU box at the end of an SSH tunnel would be (a loopback port). The browser opens A, is refused with a
// clear message on a wrong token, connects to B with the right one, and then sees B's GPUs (Devices page),
// B's device queue (a job waiting on cuda:0, whose queue is paused), B's run, and downloads a file of that
// run, byte for byte. The token never lands in a cookie or localStorage; Disconnect goes back to A.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Browser } from 'playwright-core';
import { launchChromium, openApp, type AppUnderTest } from '../helpers/browser.ts';
import { installFakeNvidiaSmi } from '../unit/devices/fake-nvidia-smi.ts';
import { RunFolder } from '../../main/train/run/index.ts';
import type { MethodInput, MethodName, MethodOutput, Result } from '../../main/api/contract.ts';

const ROOT = resolve(import.meta.dirname, '..', '..');

/** Starts `saenggak serve` as its own process; resolves with its printed origin and token. */
async function startServe(args: string[], env: NodeJS.ProcessEnv): Promise<{ child: ChildProcess; origin: string; token: string }> {
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'saenggak.js'), 'serve', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((done, fail) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /(http:\/\/127\.0\.0\.1:\d+)\/#token=([0-9a-f]+)/.exec(out);
      if (m) done({ child, origin: m[1]!, token: m[2]! });
    });
    child.once('exit', (code) => fail(new Error(`saenggak serve exited ${code}: ${err}${out}`)));
  });
}

describe('remote lab: the UI of one serve instance attached to another (two processes, fake GPUs on B)', () => {
  let browser: Browser;
  let app: AppUnderTest;
  let fakeDir: string;
  let baseB: string;
  let b: { child: ChildProcess; origin: string; token: string };
  const artifact = 'adapter notes: 한국어 ✓\n' + 'x'.repeat(5000);

  async function callB<M extends MethodName>(method: M, input: MethodInput<M>): Promise<MethodOutput<M>> {
    const res = await fetch(`${b.origin}/api/call/${method}`, { method: 'POST', headers: { authorization: `Bearer ${b.token}`, 'content-type': 'application/json' }, body: JSON.stringify(input) });
    const result = (await res.json()) as Result<MethodOutput<M>>;
    if (!result.ok) throw new Error(`${method}: ${result.error.message}`);
    return result.value;
  }

  before(async () => {
    fakeDir = await installFakeNvidiaSmi();
    browser = await launchChromium();
    app = await openApp(browser, { locale: 'en' });
    baseB = await mkdtemp(join(tmpdir(), 'saenggak-remote-b-'));
    const wsB = join(baseB, 'ws');
    b = await startServe(['--port', '0', '--workspace', wsB, '--ui', join(ROOT, 'dist', 'renderer'), '--allow-origin', app.origin], {
      ...process.env,
      PATH: `${fakeDir}:${process.env.PATH}`,
    });
    // A finished run on B with a file in its output folder, and a job waiting in cuda:0's (paused) queue.
    const run = RunFolder.inWorkspace(wsB, 'box-run');
    await run.create({ name: 'box-run', kind: 'sft', config: { model: 'tiny' }, totalSteps: 3, baseModel: 'tiny', data: 'arith' });
    await mkdir(run.outputDir, { recursive: true });
    await writeFile(join(run.outputDir, 'notes.txt'), artifact);
    await run.update({ status: 'finished', step: 3, output: run.outputDir });
    await callB('jobs.pauseQueue', { device: 'cuda:0', paused: true });
    await callB('runs.start', { kind: 'sft', config: { name: 'waits-on-box', model: join(wsB, 'no-model'), data: join(wsB, 'no-data.jsonl') }, device: 'cuda:0' } as MethodInput<'runs.start'>);
  });

  after(async () => {
    b?.child.kill('SIGTERM');
    await app?.close();
    await browser?.close();
    if (fakeDir) await rm(fakeDir, { recursive: true, force: true });
    if (baseB) await rm(baseB, { recursive: true, force: true });
  });

  it('connects with the token, shows B\'s devices, queue and run, downloads an artifact; a wrong token is refused', async () => {
    const { page } = app;
    await page.locator('.sidebar button.workspace, button.workspace').first().click();
    const remote = page.getByTestId('remote-lab');
    await remote.getByTestId('remote-url').fill(b.origin);
    await remote.getByTestId('remote-token').fill('0'.repeat(64));
    await remote.getByTestId('remote-connect').click();
    const error = remote.getByTestId('remote-error');
    await error.waitFor({ timeout: 30_000 });
    assert.match(await error.innerText(), new RegExp(`The remote lab at ${b.origin} did not accept this token`));

    // The whole printed URL carries the token in its fragment: pasting it is enough.
    await remote.getByTestId('remote-url').fill(`${b.origin}/#token=${b.token}`);
    await remote.getByTestId('remote-token').fill('');
    await remote.getByTestId('remote-connect').click();
    const badge = page.getByTestId('remote-badge');
    await badge.waitFor({ timeout: 60_000 });
    assert.match(await badge.innerText(), new RegExp(`Remote lab ${b.origin}`));

    // B's GPUs (this machine has none: A would list no GPU).
    await page.getByTestId('nav-devices').click();
    await page.getByTestId('gpu-row').first().waitFor({ timeout: 60_000 });
    const gpus = await page.getByTestId('gpu-row').allInnerTexts();
    assert.equal(gpus.length, 2);
    assert.match(gpus[0]!, /NVIDIA A100-SXM4-80GB/);
    assert.match(gpus[1]!, /NVIDIA GeForce RTX 4090/);

    // B's queue: the job waiting on cuda:0, its queue paused.
    await page.getByTestId('nav-jobs').click();
    const queued = page.getByTestId('job-queue').first();
    await queued.waitFor({ timeout: 30_000 });
    assert.match(await queued.innerText(), /cuda:0/);
    await page.getByTestId('job-queue-paused').first().waitFor({ timeout: 30_000 });

    // B's run, and a file of it downloaded to this machine.
    await page.getByTestId('nav-train').click();
    await page.locator('[data-testid="run-row"]', { hasText: 'box-run' }).first().click();
    const files = page.getByTestId('run-files');
    await files.locator('summary').click();
    await files.getByRole('button', { name: 'output/' }).click();
    const row = files.locator('[data-testid="run-file"][data-path="runs/box-run/output/notes.txt"]');
    await row.waitFor({ timeout: 30_000 });
    const [download] = await Promise.all([page.waitForEvent('download'), row.getByTestId('run-file-download').click()]);
    assert.equal(download.suggestedFilename(), 'notes.txt');
    assert.equal(await readFile((await download.path())!, 'utf8'), artifact);

    // The token lives in this tab's session storage only.
    assert.deepEqual(await app.context.cookies(), []);
    const stored = await page.evaluate(() => ({ session: sessionStorage.getItem('saenggak.remote'), local: JSON.stringify(localStorage) }));
    assert.ok(stored.session?.includes(b.token));
    assert.ok(!stored.local.includes(b.token));

    // Disconnect: back to A's own back end (no GPU rows, no remote badge).
    await page.locator('button.workspace').first().click();
    await page.getByTestId('remote-disconnect').click();
    await page.getByTestId('remote-connect').waitFor({ timeout: 60_000 });
    assert.equal(await page.getByTestId('remote-badge').count(), 0);
    // The one expected complaint: Chromium logs the wrong-token probe's 401; nothing else (no CSP violation, no CORS failure).
    assert.deepEqual(app.problems, ['console: Failed to load resource: the server responded with a status of 401 (Unauthorized)']);
  });
});
